#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace cartopull::config {

// A credential (API key, auth token, bearer token). It cannot be streamed or formatted: there is
// no operator<< and no fmt::formatter, so logging one is a compile error. reveal() is the only way
// out and is called where the value goes on the wire. The buffer is wiped on destruction.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  std::string_view reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  // Constant-time comparison, for bearer tokens checked by the admin server.
  bool equals(std::string_view candidate) const noexcept;

  friend bool operator==(const Secret& a, const Secret& b) noexcept { return a.equals(b.value_); }

 private:
  void wipe() noexcept;
  std::string value_;
};

std::ostream& operator<<(std::ostream&, const Secret&) = delete;

}  // namespace cartopull::config
