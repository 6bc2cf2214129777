#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http/admin_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using cartopull::http::AdminHandlers;
using cartopull::http::AdminResponse;
using cartopull::http::AdminServer;
using cartopull::http::AdminServerOptions;
using Response = bhttp::response<bhttp::string_body>;
using Clock = std::chrono::steady_clock;

struct Fetched {
  beast::error_code ec;
  Response res;
};

// One request on a fresh connection, with a 2 s deadline on every step.
asio::awaitable<Fetched> fetch(tcp::endpoint ep, bhttp::verb method, std::string target,
                               std::string auth = {}) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  Fetched out;
  stream.expires_after(2s);
  auto [cec] = co_await stream.async_connect(ep, asio::as_tuple(asio::use_awaitable));
  if (cec) {
    out.ec = cec;
    co_return out;
  }
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!auth.empty()) req.set(bhttp::field::authorization, auth);
  req.prepare_payload();
  auto [wec, wn] = co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  (void)wn;
  if (wec) {
    out.ec = wec;
    co_return out;
  }
  beast::flat_buffer buffer;
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, out.res, asio::as_tuple(asio::use_awaitable));
  (void)rn;
  out.ec = rec;
  co_return out;
}

// Sends raw bytes and reads whatever comes back until the server closes (or 2 s).
asio::awaitable<std::string> raw_exchange(tcp::endpoint ep, std::string bytes) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(2s);
  auto [cec] = co_await stream.async_connect(ep, asio::as_tuple(asio::use_awaitable));
  if (cec) co_return "connect failed";
  co_await asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  std::string got;
  char chunk[4096];
  while (true) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    got.append(chunk, n);
    if (ec) break;
  }
  co_return got;
}

// A slowloris: sends a header one line at a time every `every`, never finishing. Returns how long the
// server kept the connection open.
asio::awaitable<Clock::duration> slowloris(tcp::endpoint ep, std::chrono::milliseconds every) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(ep, asio::use_awaitable);
  const auto start = Clock::now();
  co_await asio::async_write(socket, asio::buffer(std::string("GET /healthz HTTP/1.1\r\n")),
                             asio::use_awaitable);
  asio::steady_timer timer(socket.get_executor());
  for (int i = 0; i < 100; ++i) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(std::string("X-Slow: y\r\n")),
                                              asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) break;
    // A closed connection shows up on read sooner than on write.
    if (socket.available() > 0) break;
    char c;
    socket.non_blocking(true);
    boost::system::error_code rec;
    const auto got = socket.read_some(asio::buffer(&c, 1), rec);
    socket.non_blocking(false);
    if (got == 0 && rec != asio::error::would_block) break;
  }
  co_return Clock::now() - start;
}

// Opens a connection that sends nothing and keeps it until the server closes it.
asio::awaitable<void> silent(tcp::endpoint ep, int* closed) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(ep, asio::use_awaitable);
  char c;
  co_await socket.async_read_some(asio::buffer(&c, 1), asio::as_tuple(asio::use_awaitable));
  ++*closed;
}

template <class T>
std::optional<T> run(asio::io_context& ioc, asio::awaitable<T> task, std::chrono::milliseconds limit = 3s) {
  std::optional<T> result;
  asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T value) {
    if (!e) result = std::move(value);
  });
  const auto deadline = Clock::now() + limit;
  while (!result && Clock::now() < deadline) ioc.run_one_for(50ms);
  return result;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void start(AdminServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    AdminHandlers h;
    h.metrics = [] { return std::string("# TYPE x counter\nx_total 1\n"); };
    h.ready = [this] { return ready_; };
    h.jobs = [] { return AdminResponse{200, R"({"jobs":[]})"}; };
    h.runs = [this](std::string job, std::size_t limit) {
      runs_calls_.emplace_back(job, limit);
      return AdminResponse{200, R"({"runs":[]})"};
    };
    h.trigger = [this](std::string job) {
      triggered_.push_back(job);
      return AdminResponse{202, R"({"started":true})"};
    };
    auto server = AdminServer::create(ioc_.get_executor(), std::move(options), std::move(h));
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    server_->start();
    ep_ = server_->local_endpoint();
    ASSERT_NE(ep_.port(), 0);
  }
  Fetched get(std::string target, std::string auth = {}) {
    return run(ioc_, fetch(ep_, bhttp::verb::get, std::move(target), std::move(auth))).value_or(Fetched{});
  }
  Fetched post(std::string target, std::string auth = {}) {
    return run(ioc_, fetch(ep_, bhttp::verb::post, std::move(target), std::move(auth))).value_or(Fetched{});
  }

  asio::io_context ioc_;
  std::unique_ptr<AdminServer> server_;
  tcp::endpoint ep_;
  bool ready_ = false;
  std::vector<std::pair<std::string, std::size_t>> runs_calls_;
  std::vector<std::string> triggered_;
};

TEST_F(AdminServerTest, serves_health_readiness_and_metrics) {
  start();
  auto health = get("/healthz");
  ASSERT_FALSE(health.ec) << health.ec.message();
  EXPECT_EQ(health.res.result_int(), 200);
  EXPECT_EQ(get("/readyz").res.result_int(), 503);
  ready_ = true;
  EXPECT_EQ(get("/readyz").res.result_int(), 200);
  auto metrics = get("/metrics");
  EXPECT_EQ(metrics.res.result_int(), 200);
  EXPECT_EQ(metrics.res.body(), "# TYPE x counter\nx_total 1\n");
  EXPECT_EQ(metrics.res[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(get("/").res.result_int(), 200);
  EXPECT_EQ(get("/nope").res.result_int(), 404);
  EXPECT_EQ(post("/metrics").res.result_int(), 405);
}

TEST_F(AdminServerTest, api_routes_call_the_injected_handlers) {
  start();
  auto jobs = get("/api/jobs");
  EXPECT_EQ(jobs.res.result_int(), 200);
  EXPECT_EQ(jobs.res.body(), R"({"jobs":[]})");
  EXPECT_EQ(jobs.res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(get("/api/runs?job=maps&limit=5").res.result_int(), 200);
  EXPECT_EQ(get("/api/runs").res.result_int(), 200);
  EXPECT_EQ(get("/api/runs?limit=0").res.result_int(), 400);
  EXPECT_EQ(get("/api/runs?limit=abc").res.result_int(), 400);
  ASSERT_EQ(runs_calls_.size(), 2u);
  EXPECT_EQ(runs_calls_[0], std::make_pair(std::string("maps"), std::size_t{5}));
  EXPECT_EQ(runs_calls_[1], std::make_pair(std::string(""), std::size_t{20}));
  EXPECT_EQ(post("/api/jobs/tiles%20berlin/run").res.result_int(), 202);
  ASSERT_EQ(triggered_.size(), 1u);
  EXPECT_EQ(triggered_[0], "tiles berlin");
  EXPECT_EQ(get("/api/jobs/maps/run").res.result_int(), 405);
  EXPECT_EQ(post("/api/jobs//run").res.result_int(), 404);
}

TEST_F(AdminServerTest, bearer_token_guards_the_api_but_not_metrics) {
  AdminServerOptions o;
  o.bearer_token = cartopull::config::Secret("s3cret-token");
  start(std::move(o));
  auto none = get("/api/jobs");
  EXPECT_EQ(none.res.result_int(), 401);
  EXPECT_EQ(none.res[bhttp::field::www_authenticate], "Bearer");
  EXPECT_EQ(get("/api/jobs", "Bearer wrong-token!").res.result_int(), 401);
  EXPECT_EQ(get("/api/jobs", "Basic s3cret-token").res.result_int(), 401);
  EXPECT_EQ(post("/api/jobs/maps/run", "Bearer s3cret-tokeN").res.result_int(), 401);
  EXPECT_TRUE(triggered_.empty());
  EXPECT_EQ(get("/api/jobs", "Bearer s3cret-token").res.result_int(), 200);
  EXPECT_EQ(get("/metrics").res.result_int(), 200);
  EXPECT_EQ(get("/healthz").res.result_int(), 200);
}

TEST(AdminServerConfig, refuses_to_listen_beyond_loopback_without_a_token) {
  asio::io_context ioc;
  AdminServerOptions o;
  o.listen = "0.0.0.0:0";
  auto server = AdminServer::create(ioc.get_executor(), o, {});
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().message.find("bearer_token"), std::string::npos);
}

TEST(AdminServerConfig, parses_listen_addresses) {
  using cartopull::http::is_loopback;
  using cartopull::http::parse_listen_address;
  EXPECT_EQ(parse_listen_address("127.0.0.1:9464")->port(), 9464);
  EXPECT_TRUE(is_loopback(parse_listen_address("127.0.0.1:9464")->address()));
  EXPECT_TRUE(is_loopback(parse_listen_address("127.9.9.9:1")->address()));
  EXPECT_TRUE(is_loopback(parse_listen_address("localhost:1")->address()));
  EXPECT_TRUE(is_loopback(parse_listen_address("[::1]:1")->address()));
  EXPECT_TRUE(is_loopback(parse_listen_address("[::ffff:127.0.0.1]:1")->address()));
  EXPECT_FALSE(is_loopback(parse_listen_address(":9464")->address()));
  EXPECT_FALSE(is_loopback(parse_listen_address("[::]:9464")->address()));
  EXPECT_FALSE(is_loopback(parse_listen_address("10.0.0.1:9464")->address()));
  for (const char* bad : {"", "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "::1:80",
                          "example.com:80", "127.0.0.1:80x"}) {
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
  }
}

TEST_F(AdminServerTest, oversized_and_malformed_requests_are_refused_and_closed) {
  AdminServerOptions o;
  o.max_header_bytes = 1024;
  o.max_body_bytes = 16;
  start(std::move(o));
  const auto big_header = run(
      ioc_,
      raw_exchange(ep_, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
  ASSERT_TRUE(big_header);
  EXPECT_EQ(big_header->rfind("HTTP/1.1 431", 0), 0u) << *big_header;
  const auto big_body = run(ioc_, raw_exchange(ep_,
                                               "POST /api/jobs/a/run HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                               "100\r\n\r\n" +
                                                   std::string(100, 'b')));
  ASSERT_TRUE(big_body);
  EXPECT_EQ(big_body->rfind("HTTP/1.1 413", 0), 0u) << *big_body;
  const auto garbage = run(ioc_, raw_exchange(ep_, "\x16\x03\x01 not http at all\r\n\r\n"));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->rfind("HTTP/1.1 400", 0), 0u) << *garbage;
  EXPECT_TRUE(triggered_.empty());
  EXPECT_EQ(get("/healthz").res.result_int(), 200);  // and the server carries on
}

TEST_F(AdminServerTest, keep_alive_serves_several_requests_on_one_connection) {
  start();
  const auto got = run(ioc_, raw_exchange(ep_,
                                          "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(got);
  std::size_t count = 0;
  for (auto pos = got->find("HTTP/1.1 200"); pos != std::string::npos;
       pos = got->find("HTTP/1.1 200", pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 2u);
}

TEST_F(AdminServerTest, a_slowloris_is_cut_at_the_header_deadline_and_never_stalls_others) {
  AdminServerOptions o;
  o.header_timeout = 250ms;
  start(std::move(o));
  std::optional<Clock::duration> held;
  asio::co_spawn(ioc_, slowloris(ep_, 20ms), [&](std::exception_ptr, Clock::duration d) { held = d; });
  // While it trickles, normal clients are served at once.
  for (int i = 0; i < 5; ++i) {
    const auto start_at = Clock::now();
    EXPECT_EQ(get("/healthz").res.result_int(), 200);
    EXPECT_LT(Clock::now() - start_at, 200ms);  // below the 250 ms a stalled server would take
  }
  const auto deadline = Clock::now() + 2s;
  while (!held && Clock::now() < deadline) ioc_.run_one_for(50ms);
  ASSERT_TRUE(held);
  EXPECT_GE(*held, 200ms);  // kept for the header deadline despite sending bytes...
  EXPECT_LT(*held, 1s);     // ...but not a moment longer
}

TEST_F(AdminServerTest, at_the_cap_silent_connections_are_evicted_for_new_clients) {
  AdminServerOptions o;
  o.max_connections = 4;
  o.eviction_grace = 30ms;
  o.header_timeout = 5s;
  start(std::move(o));
  int closed = 0;
  for (int i = 0; i < 4; ++i) asio::co_spawn(ioc_, silent(ep_, &closed), asio::detached);
  const auto until = Clock::now() + 100ms;
  while (server_->connection_count() < 4 && Clock::now() < until) ioc_.run_one_for(10ms);
  ASSERT_EQ(server_->connection_count(), 4u);
  const auto start_at = Clock::now();
  auto res = get("/healthz");
  ASSERT_FALSE(res.ec) << res.ec.message();
  EXPECT_EQ(res.res.result_int(), 200);
  EXPECT_LT(Clock::now() - start_at, 1s);  // far below the 5 s header deadline
  EXPECT_GE(server_->evicted_count(), 1u);
  EXPECT_LE(server_->connection_count(), 4u);
}

TEST_F(AdminServerTest, two_hundred_concurrent_clients_are_all_served_under_a_cap_of_64) {
  AdminServerOptions o;
  o.max_connections = 64;
  start(std::move(o));
  int ok = 0, failed = 0;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(ioc_, fetch(ep_, bhttp::verb::get, "/metrics"), [&](std::exception_ptr e, Fetched f) {
      if (!e && !f.ec && f.res.result_int() == 200) {
        ++ok;
      } else {
        ++failed;
      }
    });
  }
  const auto deadline = Clock::now() + 5s;
  while (ok + failed < 200 && Clock::now() < deadline) ioc_.run_one_for(50ms);
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(failed, 0);
  EXPECT_LE(server_->connection_count(), 64u);
}

TEST_F(AdminServerTest, a_cap_full_of_silent_connections_does_not_lock_out_a_burst_of_clients) {
  AdminServerOptions o;
  o.max_connections = 64;
  o.eviction_grace = 100ms;
  start(std::move(o));
  int closed = 0;
  for (int i = 0; i < 64; ++i) asio::co_spawn(ioc_, silent(ep_, &closed), asio::detached);
  const auto until = Clock::now() + 500ms;
  while (server_->connection_count() < 64 && Clock::now() < until) ioc_.run_one_for(10ms);
  ASSERT_EQ(server_->connection_count(), 64u);
  int ok = 0, failed = 0;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(ioc_, fetch(ep_, bhttp::verb::get, "/healthz"), [&](std::exception_ptr e, Fetched f) {
      if (!e && !f.ec && f.res.result_int() == 200) {
        ++ok;
      } else {
        ++failed;
      }
    });
  }
  const auto deadline = Clock::now() + 5s;
  while (ok + failed < 200 && Clock::now() < deadline) ioc_.run_one_for(50ms);
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(failed, 0);
  EXPECT_GE(server_->evicted_count(), 1u);
  EXPECT_LE(server_->connection_count(), 64u);
}

TEST_F(AdminServerTest, stop_closes_the_listener_and_connections) {
  start();
  int closed = 0;
  asio::co_spawn(ioc_, silent(ep_, &closed), asio::detached);
  const auto until = Clock::now() + 100ms;
  while (server_->connection_count() < 1 && Clock::now() < until) ioc_.run_one_for(10ms);
  server_->stop();
  const auto deadline = Clock::now() + 1s;
  while (closed < 1 && Clock::now() < deadline) ioc_.run_one_for(10ms);
  EXPECT_EQ(closed, 1);
  EXPECT_TRUE(get("/healthz").ec);  // refused
}

}  // namespace
