#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <sstream>

#include "http/executor.hpp"
#include "support/http_test/run_sync.hpp"
#include "support/http_test/scripted_server.hpp"

namespace cartopull::http {
namespace {

using namespace std::chrono_literals;
using test::Reply;
using test::ScriptedServer;
using test::ServedRequest;

Reply status(int code, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Reply r;
  r.status = code;
  r.body = code == 200 ? "ok" : "{\"errors\":[\"no\"]}";
  r.headers = std::move(headers);
  return r;
}

class HttpExecutor : public ::testing::Test {
 protected:
  boost::asio::io_context ioc;
  std::unique_ptr<Client> client = *Client::create(ioc.get_executor(), ClientOptions{.io_timeout = 2s});
  std::vector<AttemptEvent> events;

  ExecutorOptions fast_retries() {
    ExecutorOptions o;
    o.retry.backoff_base = 5ms;
    o.retry.backoff_cap = 20ms;
    o.random = [] { return 0.0; };  // the full backoff, deterministic
    o.arc.initial = 4;
    return o;
  }

  std::unique_ptr<Executor> make(ExecutorOptions o) {
    return std::make_unique<Executor>(*client, std::move(o), [this](const AttemptEvent& e) {
      events.push_back(e);
      events.back().group = "";  // the view dies with the request
    });
  }

  result<Response> run(Executor& ex, std::string group, std::string url) {
    Request r;
    r.url = std::move(url);
    auto out = test::run_sync(ioc, ex.execute(std::move(group), std::move(r)));
    if (!out) return Error(errc::cancelled, "test time limit");
    return std::move(*out);
  }

  // Runs n requests concurrently; returns when all finished.
  std::vector<result<Response>> run_many(Executor& ex, std::string group, std::string url, int n) {
    std::vector<std::optional<result<Response>>> outs(static_cast<std::size_t>(n));
    int done = 0;
    for (int i = 0; i < n; ++i) {
      Request r;
      r.url = url;
      boost::asio::co_spawn(ioc, ex.execute(group, std::move(r)),
                            [&, i](std::exception_ptr, result<Response> v) {
                              outs[static_cast<std::size_t>(i)].emplace(std::move(v));
                              if (++done == n) ioc.stop();
                            });
    }
    ioc.restart();
    ioc.run_for(10s);
    ioc.restart();
    std::vector<result<Response>> results;
    for (auto& o : outs)
      results.push_back(o ? std::move(*o) : result<Response>(Error(errc::cancelled, "limit")));
    return results;
  }
};

TEST_F(HttpExecutor, never_retries_400_401_403_404) {
  ScriptedServer server(ioc.get_executor(),
                        [](const ServedRequest& q) { return status(std::stoi(q.target.substr(1))); });
  auto ex = make(fast_retries());
  for (int code : {400, 401, 403, 404, 409, 501}) {
    auto r = run(*ex, "anonymous", server.url("/" + std::to_string(code)));
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->status, code);
  }
  EXPECT_EQ(server.requests().size(), 6u);
  ASSERT_EQ(events.size(), 6u);
  for (const auto& e : events) {
    EXPECT_TRUE(e.final);
    EXPECT_EQ(e.retry_reason, flow::RetryReason::none);
    EXPECT_EQ(e.status_class, e.status >= 500 ? "5xx" : "4xx");
  }
}

TEST_F(HttpExecutor, retries_503_with_backoff_then_returns_the_success) {
  int n = 0;
  ScriptedServer server(ioc.get_executor(),
                        [&](const ServedRequest&) { return status(++n < 3 ? 503 : 200); });
  auto ex = make(fast_retries());
  auto r = run(*ex, "tile", server.url("/t"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(server.requests().size(), 3u);
  // Full backoff with u = 0: 5 ms then 10 ms between arrivals.
  EXPECT_GE(server.requests()[1].arrived - server.requests()[0].arrived, 5ms);
  EXPECT_GE(server.requests()[2].arrived - server.requests()[1].arrived, 10ms);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].retry_reason, flow::RetryReason::status_503);
  EXPECT_FALSE(events[0].final);
  EXPECT_EQ(events[2].status_class, "2xx");
  EXPECT_TRUE(events[2].final);
}

TEST_F(HttpExecutor, gives_up_after_max_attempts_with_the_last_response) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) { return status(502); });
  auto o = fast_retries();
  o.retry.max_attempts = 3;
  auto ex = make(o);
  auto r = run(*ex, "tile", server.url("/t"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(HttpExecutor, retries_a_timeout) {
  int n = 0;
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest&) {
    Reply r = status(200);
    if (++n == 1) r.action = Reply::Action::stall;
    return r;
  });
  client = *Client::create(ioc.get_executor(), ClientOptions{.io_timeout = 60ms});
  auto ex = make(fast_retries());
  auto r = run(*ex, "tile", server.url("/t"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].retry_reason, flow::RetryReason::timeout);
  EXPECT_EQ(events[0].error, errc::timeout);
}

TEST_F(HttpExecutor, honours_429_retry_after_for_the_whole_group) {
  int n = 0;
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest&) {
    if (++n == 1) return status(429, {{"Retry-After", "1"}, {"Carto-Rate-Limit-Remaining", "0"}});
    return status(200);
  });
  auto o = fast_retries();
  o.rate_limits = {{"anonymous", {100, 100}}};
  o.arc.initial = 1;
  auto ex = make(o);
  auto results = run_many(*ex, "anonymous", server.url("/map"), 3);
  for (auto& r : results) ASSERT_TRUE(r.has_value() && r->status == 200) << (r ? "status" : r.error().what());
  ASSERT_EQ(server.requests().size(), 4u);
  // Nothing of the group reached the server within Retry-After of the 429.
  for (std::size_t i = 1; i < server.requests().size(); ++i)
    EXPECT_GE(server.requests()[i].arrived - server.requests()[0].arrived, 990ms) << i;
}

TEST_F(HttpExecutor, retry_after_beyond_the_cap_fails_as_rate_limited) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    return status(429, {{"Retry-After", "3600"}});
  });
  auto ex = make(fast_retries());
  auto start = std::chrono::steady_clock::now();
  auto r = run(*ex, "static", server.url("/s"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::rate_limited);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(HttpExecutor, limiter_paces_a_group_at_rate_plus_burst) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) { return status(200); });
  auto o = fast_retries();
  o.rate_limits = {{"tile", {20, 2}}};  // 50 ms apart after a burst of 2
  o.arc.initial = 8;
  o.arc.adaptive = false;
  o.arc.max = 8;
  auto ex = make(o);
  // Warm two pooled connections first (a group without a limit), so connect time does not skew arrivals.
  for (auto& r : run_many(*ex, "warm", server.url("/w"), 2)) ASSERT_TRUE(r.has_value());
  auto results = run_many(*ex, "tile", server.url("/t"), 6);
  for (auto& r : results) ASSERT_TRUE(r.has_value());
  ASSERT_EQ(server.requests().size(), 8u);
  ASSERT_EQ(events.size(), 8u);
  // The limiter's grant instants, as the executor reports them: server arrival times (and even a stamp
  // taken just after the grant) bunch up after a stall of a loaded test process.
  std::vector<std::chrono::steady_clock::time_point> sent;
  for (std::size_t i = 2; i < events.size(); ++i) sent.push_back(events[i].sent);
  std::sort(sent.begin(), sent.end());
  // In any window of length w at most 2 + w * 20 were sent (the exact bound on the limiter alone is the
  // unit test GcraLimiter.never_exceeds_rate_plus_burst_over_any_window).
  for (std::size_t i = 0; i < sent.size(); ++i)
    for (std::size_t j = i; j < sent.size(); ++j) {
      double w = std::chrono::duration<double>(sent[j] - sent[i]).count();
      EXPECT_LE(static_cast<double>(j - i + 1), 2 + (w + 0.0001) * 20) << i << ".." << j;
    }
  EXPECT_GE(sent.back() - sent.front(), 195ms);
}

TEST_F(HttpExecutor, daemon_options_start_each_limited_group_with_its_burst_spent) {
  // executor_options() is what the daemon uses: a restart must not hand out a fresh burst.
  auto o = executor_options(config::RetryConfig{}, config::ConcurrencyConfig{.max = 8, .initial = 8},
                            {{"tile", {20, 2}}});
  EXPECT_TRUE(o.limiter_starts_spent);
  o.arc.adaptive = false;
  auto ex = make(o);
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) { return status(200); });
  for (auto& r : run_many(*ex, "warm", server.url("/w"), 3)) ASSERT_TRUE(r.has_value());
  auto results = run_many(*ex, "tile", server.url("/t"), 3);
  for (auto& r : results) ASSERT_TRUE(r.has_value());
  ASSERT_EQ(server.requests().size(), 6u);
  ASSERT_EQ(events.size(), 6u);
  std::vector<std::chrono::steady_clock::time_point> sent{events[3].sent, events[4].sent, events[5].sent};
  std::sort(sent.begin(), sent.end());
  // Spent: 50, 100, 150 ms after the first ask (a full bucket would send two at once and the third at 50).
  EXPECT_GE(sent[2] - sent[0], 95ms);
}

TEST_F(HttpExecutor, a_request_reset_on_a_reused_connection_is_retried_through_the_limiter) {
  // The server reads the second request and drops the connection unanswered (as a CARTO edge may):
  // the copy it read counts against its limit, so the next copy must wait for the limiter too.
  int served = 0;
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& q) {
    Reply r = status(200);
    if (q.connection == 1 && ++served == 2) r.action = Reply::Action::close;
    return r;
  });
  auto o = fast_retries();
  o.rate_limits = {{"tile", {20, 1}}};  // one every 50 ms
  auto ex = make(o);
  ASSERT_TRUE(run(*ex, "tile", server.url("/a")).has_value());
  auto r = run(*ex, "tile", server.url("/b"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  ASSERT_EQ(server.requests().size(), 3u);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_NE(events[1].error, std::error_code()) << "the second request's first copy died with the connection";
  EXPECT_GE(events[2].sent - events[1].sent, 49ms) << "the resent copy waited for the limiter";
}

TEST_F(HttpExecutor, each_redirect_hop_waits_for_the_limiter) {
  // CARTO counts every request, the redirected one too: a hop sent at once would pass the limit.
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& q) {
    if (q.target.starts_with("/moved")) return status(302, {{"Location", "/here"}});
    return status(200);
  });
  auto o = fast_retries();
  o.rate_limits = {{"tile", {1, 1}}};  // one a second: the first request takes the only cell
  auto ex = make(o);
  Request req;
  req.url = server.url("/moved");
  req.deadline = std::chrono::steady_clock::now() + 300ms;
  auto out = test::run_sync(ioc, ex->execute("tile", std::move(req)));
  ASSERT_TRUE(out);
  ASSERT_FALSE(out->has_value()) << "the hop went out without waiting for the limiter";
  EXPECT_EQ(out->error().code, errc::rate_limited);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/moved");

  // With cells to spare the hop is sent and the final response returned.
  o.rate_limits = {{"tile", {1000, 10}}};
  auto roomy = make(o);
  auto r = run(*roomy, "tile", server.url("/moved"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->redirects, 1u);
  EXPECT_EQ(server.requests().back().target, "/here");
}

TEST_F(HttpExecutor, cache_hits_are_not_charged_to_the_limiter) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    return status(200, {{"X-Cache", "HIT"}});
  });
  auto o = fast_retries();
  o.rate_limits = {{"tile", {2, 1}}};  // a miss would cost 500 ms
  o.arc.adaptive = false;
  o.arc.max = 1;
  auto ex = make(o);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(run(*ex, "tile", server.url("/t")).has_value());
  ASSERT_EQ(events.size(), 5u);
  // The limiter's own wait, not wall time (which a loaded machine stretches): charged, each would be 500 ms.
  for (const auto& e : events) {
    EXPECT_TRUE(e.cache_hit);
    EXPECT_LT(e.limiter_wait, std::chrono::milliseconds(100));
  }
}

TEST_F(HttpExecutor, tightens_the_limiter_from_carto_headers) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    return status(200, {{"Carto-Rate-Limit-Remaining", "0"}});
  });
  auto o = fast_retries();
  o.rate_limits = {{"tile", {10, 10}}};  // locally 10 at once, but the server says none left
  o.arc.adaptive = false;
  o.arc.max = 1;
  auto ex = make(o);
  ASSERT_TRUE(run(*ex, "tile", server.url("/t")).has_value());
  EXPECT_EQ(ex->group_state("tile").limiter_remaining, 0u);
  ASSERT_TRUE(run(*ex, "tile", server.url("/t")).has_value());
  EXPECT_GE(server.requests()[1].arrived - server.requests()[0].arrived, 95ms);
  EXPECT_EQ(events.back().carto_remaining, 0);
}

TEST_F(HttpExecutor, retry_budget_stops_multiplying_load_on_a_dead_server) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) { return status(500); });
  auto o = fast_retries();
  o.retry_budget_ratio = 0;
  o.retry_budget_reserve = 2;
  auto ex = make(o);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(run(*ex, "tile", server.url("/t")).has_value());
  EXPECT_EQ(server.requests().size(), 5u + 2u);
}

TEST_F(HttpExecutor, debug_log_and_events_never_carry_the_api_key) {
  const std::string key = "exec-secret-key-42";
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto logger =
      std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  int n = 0;
  ScriptedServer server(ioc.get_executor(),
                        [&](const ServedRequest&) { return status(++n == 1 ? 503 : 200); });
  ClientOptions o{.io_timeout = 2s};
  o.auth =
      Auth{AuthMode::query, "http://127.0.0.1:" + std::to_string(server.port()), "", config::Secret(key)};
  client = *Client::create(ioc.get_executor(), std::move(o));
  auto ex = make(fast_retries());
  auto r = run(*ex, "tile", server.url("/t?x=1"));
  spdlog::set_default_logger(previous);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_NE(server.requests().back().target.find(key), std::string::npos);  // it did go on the wire
  EXPECT_NE(log.str().find("group=tile"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find(key), std::string::npos) << log.str();
  EXPECT_EQ(r->url.find(key), std::string::npos);
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(HttpExecutor, global_cap_bounds_requests_in_flight) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r = status(200);
    r.delay = 20ms;
    return r;
  });
  auto o = fast_retries();
  o.max_concurrency = 2;
  o.arc.initial = 8;
  o.arc.max = 8;
  auto ex = make(o);
  auto results = run_many(*ex, "tile", server.url("/t"), 8);
  for (auto& r : results) ASSERT_TRUE(r.has_value());
  EXPECT_LE(server.connections(), 2u);  // each request in flight needs its own connection
  for (const auto& e : events) {
    EXPECT_LE(e.concurrency_limit, 2u);
    EXPECT_LE(e.in_flight, 2u);
  }
}

}  // namespace
}  // namespace cartopull::http
