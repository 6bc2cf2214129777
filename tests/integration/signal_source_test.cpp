// SignalSource: the daemon's signals stay blocked and are read from a signalfd on the event loop.
#include "app/signal_source.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "support/http_test/run_sync.hpp"

using cartopull::app::block_daemon_signals;
using cartopull::app::SignalSource;
using cartopull::app::stop_signal_pending;
using cartopull::test::run_sync;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;

// Signals go to this thread only (other threads of the test binary do not block them), and the
// thread's mask is restored afterwards.
class SignalSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pthread_sigmask(SIG_SETMASK, nullptr, &saved_);
    block_daemon_signals();
  }
  void TearDown() override { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  static void send(int sig) { pthread_kill(pthread_self(), sig); }

  sigset_t saved_{};
};

// After `delay`: sends `sig` to this thread (sig > 0) or closes the source (sig == 0).
asio::awaitable<void> act_after(SignalSource* source, int sig, std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (sig > 0) {
    pthread_kill(pthread_self(), sig);
  } else {
    source->close();
  }
}

// next() while act_after acts on the same loop.
asio::awaitable<int> next_while(SignalSource* source, int sig, std::chrono::milliseconds delay) {
  auto executor = co_await asio::this_coro::executor;
  auto act = act_after(source, sig, delay);
  asio::co_spawn(executor, std::move(act), asio::detached);
  co_return co_await source->next();
}

}  // namespace

TEST_F(SignalSourceTest, signals_sent_before_the_loop_runs_stay_pending_until_read) {
  send(SIGHUP);
  send(SIGTERM);
  EXPECT_TRUE(stop_signal_pending());
  asio::io_context ioc;
  auto source = SignalSource::open(ioc.get_executor());
  ASSERT_TRUE(source) << source.error().what();
  // Standard signals leave the pending set lowest number first.
  EXPECT_EQ(run_sync(ioc, (*source)->next()), std::optional<int>(SIGHUP));
  EXPECT_TRUE(stop_signal_pending());
  EXPECT_EQ(run_sync(ioc, (*source)->next()), std::optional<int>(SIGTERM));
  EXPECT_FALSE(stop_signal_pending());
}

TEST_F(SignalSourceTest, next_waits_on_the_loop_for_a_signal_sent_later) {
  asio::io_context ioc;
  auto source = SignalSource::open(ioc.get_executor());
  ASSERT_TRUE(source) << source.error().what();
  EXPECT_EQ(run_sync(ioc, next_while(source->get(), SIGINT, 5ms)), std::optional<int>(SIGINT));
  EXPECT_EQ(run_sync(ioc, next_while(source->get(), SIGUSR1, 5ms)), std::optional<int>(SIGUSR1));
  EXPECT_FALSE(stop_signal_pending());
}

TEST_F(SignalSourceTest, closing_the_source_ends_a_waiting_next_with_0) {
  asio::io_context ioc;
  auto source = SignalSource::open(ioc.get_executor());
  ASSERT_TRUE(source) << source.error().what();
  EXPECT_EQ(run_sync(ioc, next_while(source->get(), 0, 5ms), 2s), std::optional<int>(0));
}
