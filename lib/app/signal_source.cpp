#include "app/signal_source.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <system_error>

#include "core/errc.hpp"

namespace cartopull::app {

namespace asio = boost::asio;

namespace {

sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void block_daemon_signals() {
  const auto set = daemon_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool stop_signal_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

result<std::unique_ptr<SignalSource>> SignalSource::open(asio::any_io_executor executor) {
  const auto set = daemon_signals();
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    return Error{std::error_code(errno, std::system_category()), "signalfd failed"};
  }
  asio::posix::stream_descriptor stream(executor, fd);
  boost::system::error_code ec;
  stream.non_blocking(true, ec);  // read_some answers would_block instead of waiting
  if (ec) return Error{ec, "signalfd: cannot make it non-blocking"};
  return std::unique_ptr<SignalSource>(new SignalSource(std::move(stream)));
}

SignalSource::~SignalSource() = default;

asio::awaitable<int> SignalSource::next() {
  for (;;) {
    signalfd_siginfo info{};
    boost::system::error_code ec;
    const auto n = fd_.read_some(asio::buffer(&info, sizeof info), ec);
    if (!ec && n == sizeof info) co_return static_cast<int>(info.ssi_signo);
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return 0;
    auto [wait_ec] = co_await fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                                             asio::as_tuple(asio::use_awaitable));
    if (wait_ec) co_return 0;
  }
}

void SignalSource::close() {
  boost::system::error_code ignored;
  fd_.close(ignored);
}

}  // namespace cartopull::app
