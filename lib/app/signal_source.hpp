#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

#include "core/result.hpp"

namespace cartopull::app {

// The signals `serve` and `run` act on: SIGTERM and SIGINT (stop), SIGHUP (reload), SIGUSR1 (reopen
// the log file).
//
// They are blocked in every thread from the start of the command and read from a signalfd by the
// event loop, so no asynchronous handler ever runs: a signal that arrives during startup stays
// pending in the kernel (neither fatal nor lost) until the loop reads it, and no runtime can drop
// one (GCC 12's ThreadSanitizer lost a SIGTERM that interrupted its lazy per-thread signal setup).

// Blocks the daemon's signals in the calling thread. Call it before any thread starts: threads
// inherit the mask, so none of them takes these signals asynchronously.
void block_daemon_signals();

// True when SIGTERM or SIGINT is pending (sent, not yet read): a startup step may end early.
bool stop_signal_pending();

// A signalfd over the daemon's signals on an executor. Threading: use on the executor's thread.
// Cancellation: next() ends with 0 when the descriptor is closed or the wait is cancelled.
class SignalSource {
 public:
  static result<std::unique_ptr<SignalSource>> open(boost::asio::any_io_executor executor);
  ~SignalSource();
  SignalSource(const SignalSource&) = delete;
  SignalSource& operator=(const SignalSource&) = delete;

  // The next signal number, or 0 after an error or a cancellation.
  boost::asio::awaitable<int> next();
  void close();

 private:
  explicit SignalSource(boost::asio::posix::stream_descriptor fd) : fd_(std::move(fd)) {}
  boost::asio::posix::stream_descriptor fd_;
};

}  // namespace cartopull::app
