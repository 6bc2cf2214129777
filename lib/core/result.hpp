#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "core/errc.hpp"

namespace cartopull {

// An expected failure: a code to branch on and a message for the one log line that reports it.
// The message never holds a secret: callers pass URLs through redact() before building it.
struct Error {
  std::error_code code;
  std::string message;

  Error() = default;
  Error(std::error_code c, std::string m) : code(c), message(std::move(m)) {}
  Error(errc e, std::string m) : code(make_error_code(e)), message(std::move(m)) {}

  // "message" or, when the message is empty, the code's own text.
  std::string what() const { return message.empty() ? code.message() : message; }
};

// Thrown only by result<T>::value() on an error: a bug, since callers check first.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(const Error& e) : std::runtime_error(e.what()), error_(e) {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw ErrorException(e);
}

template <class T>
using result = boost::system::result<T, Error>;

}  // namespace cartopull
