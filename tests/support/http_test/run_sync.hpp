#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace cartopull::test {

// Runs one coroutine on `ioc` (which also runs the test's servers) until it completes or `limit` passes;
// nothing is returned on a timeout, so a hung client fails the test instead of hanging it.
template <class T>
std::optional<T> run_sync(boost::asio::io_context& ioc, boost::asio::awaitable<T> task,
                          std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) out.emplace(std::move(value));
    ioc.stop();
  });
  ioc.restart();
  ioc.run_for(limit);
  ioc.restart();
  if (error) std::rethrow_exception(error);
  return out;
}

}  // namespace cartopull::test
