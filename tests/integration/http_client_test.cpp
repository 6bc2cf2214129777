#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <sstream>

#include "core/version.hpp"
#include "http/client.hpp"
#include "support/http_test/connect_proxy.hpp"
#include "support/http_test/run_sync.hpp"
#include "support/http_test/scripted_server.hpp"
#include "support/http_test/test_pki.hpp"

namespace cartopull::http {
namespace {

using namespace std::chrono_literals;
using test::Reply;
using test::ScriptedServer;
using test::ServedRequest;

Reply ok(std::string body = "ok") {
  Reply r;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "text/plain"}};
  return r;
}

class HttpClient : public ::testing::Test {
 protected:
  boost::asio::io_context ioc;

  std::unique_ptr<Client> make_client(ClientOptions o = {}) {
    auto c = Client::create(ioc.get_executor(), std::move(o));
    EXPECT_TRUE(c.has_value());
    return std::move(*c);
  }

  result<Response> get(Client& c, std::string url, std::function<void(Request&)> tweak = {}) {
    Request r;
    r.url = std::move(url);
    if (tweak) tweak(r);
    auto out = test::run_sync(ioc, c.send(std::move(r)));
    if (!out) return Error(errc::cancelled, "test time limit");
    return std::move(*out);
  }
};

TEST_F(HttpClient, reuses_one_keep_alive_connection_and_sends_identity_headers) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) { return ok("hello"); });
  auto client = make_client();
  for (int i = 0; i < 3; ++i) {
    auto r = get(*client, server.url("/a?x=1"));
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    EXPECT_EQ(r->reused_connection, i > 0);
  }
  EXPECT_EQ(server.connections(), 1u);
  ASSERT_EQ(server.requests().size(), 3u);
  const auto& seen = server.requests()[0];
  EXPECT_EQ(seen.target, "/a?x=1");
  EXPECT_EQ(seen.headers.find("User-Agent").value_or(""), kUserAgent);
  EXPECT_EQ(seen.headers.find("Accept-Encoding").value_or(""), "gzip, deflate");
  EXPECT_EQ(client->stats().connections_reused, 2u);
}

TEST_F(HttpClient, bodies_around_the_read_buffer_size_arrive_whole_on_one_connection) {
  // The connection's read buffer is reserved at 64 KiB: bodies below, at and beyond it, back to back
  // on one kept-alive connection, each byte for byte (all 256 byte values, no carry-over between them).
  const std::vector<std::size_t> sizes{0, 1, 11'000, 65'536, 65'537, 300'000, 20'480};
  auto body_of = [](std::size_t n) {
    std::string b(n, '\0');
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 131 + n) & 0xff);
    return b;
  };
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& rq) {
    return ok(body_of(std::stoul(rq.target.substr(1))));
  });
  auto client = make_client();
  for (auto n : sizes) {
    auto r = get(*client, server.url("/" + std::to_string(n)));
    ASSERT_TRUE(r.has_value()) << n << ": " << r.error().what();
    EXPECT_EQ(r->body.size(), n);
    EXPECT_TRUE(r->body == body_of(n)) << n;
    EXPECT_EQ(r->body_bytes, n);
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpClient, a_body_arriving_in_pieces_after_its_header_is_whole_and_the_connection_reused) {
  // A known-length body is parsed straight into Response::body, first from what came with the header,
  // then read by read; here every byte comes in a later read.
  const std::string body = "0123456789abcdefghij";
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& q) {
    Reply r = ok(body);
    if (q.target == "/drip") {
      r.action = Reply::Action::drip;
      r.delay = 1ms;
    }
    return r;
  });
  auto client = make_client();
  auto dripped = get(*client, server.url("/drip"));
  ASSERT_TRUE(dripped.has_value()) << dripped.error().what();
  EXPECT_EQ(dripped->body, body);
  EXPECT_EQ(dripped->body_bytes, body.size());
  EXPECT_EQ(dripped->wire_bytes, body.size());
  auto next = get(*client, server.url("/whole"));
  ASSERT_TRUE(next.has_value()) << next.error().what();
  EXPECT_EQ(next->body, body);
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpClient, read_timeout_bounds_each_64_kib_of_a_body_not_each_read) {
  // 40 bytes, one every 5 ms: each read is well inside io_timeout, the whole body (200 ms) is not.
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r = ok(std::string(40, 'd'));
    r.action = Reply::Action::drip;
    r.delay = 5ms;
    return r;
  });
  auto client = make_client(ClientOptions{.io_timeout = 60ms, .request_timeout = 5s});
  auto start = std::chrono::steady_clock::now();
  auto r = get(*client, server.url());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::timeout) << r.error().what();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 55ms);
  EXPECT_LT(took, 180ms);
}

TEST_F(HttpClient, per_origin_cap_queues_requests_for_a_pooled_connection) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r = ok();
    r.delay = 10ms;
    return r;
  });
  auto client = make_client(ClientOptions{.max_connections_per_origin = 2});
  int done = 0, good = 0;
  for (int i = 0; i < 6; ++i) {
    Request q;
    q.url = server.url();
    boost::asio::co_spawn(ioc, client->send(std::move(q)), [&](std::exception_ptr, result<Response> r) {
      good += r.has_value() && r->status == 200;
      if (++done == 6) ioc.stop();
    });
  }
  ioc.run_for(5s);
  ioc.restart();
  EXPECT_EQ(good, 6);
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(client->stats().connections_opened, 2u);
}

TEST_F(HttpClient, error_statuses_are_values_not_errors) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest& q) {
    Reply r = ok("{\"errors\":[\"x\"]}");
    r.status = std::stoi(q.target.substr(1));
    return r;
  });
  auto client = make_client();
  for (int status : {400, 401, 403, 404, 429, 500, 503}) {
    auto r = get(*client, server.url("/" + std::to_string(status)));
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->body, "{\"errors\":[\"x\"]}");
  }
}

TEST_F(HttpClient, decodes_gzip_bodies) {
  std::string big(200000, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest&) {
    Reply r = ok(big);
    r.gzip = true;
    return r;
  });
  auto client = make_client();
  auto r = get(*client, server.url());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->body, big);
  EXPECT_EQ(r->body_bytes, big.size());
  EXPECT_LT(r->wire_bytes, big.size() / 2);
}

TEST_F(HttpClient, streams_the_body_to_the_sink_in_chunks) {
  std::string big(1 << 20, 'z');
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest&) { return ok(big); });
  auto client = make_client();
  std::size_t chunks = 0, bytes = 0;
  auto r = get(*client, server.url(), [&](Request& q) {
    q.on_body = [&](std::string_view c) -> result<void> {
      ++chunks;
      bytes += c.size();
      EXPECT_LE(c.size(), 64u * 1024);
      return {};
    };
  });
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(bytes, big.size());
  EXPECT_GE(chunks, 16u);
}

TEST_F(HttpClient, body_over_the_limit_is_an_error) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest& q) {
    Reply r = ok(std::string(100000, 'a'));
    r.gzip = q.target == "/gzip";  // 100 kB of 'a' compresses to ~200 bytes: the decoded size must count
    return r;
  });
  auto client = make_client(ClientOptions{.max_body_bytes = 50000});
  for (std::string path : {"/plain", "/gzip"}) {
    auto r = get(*client, server.url(path));
    ASSERT_FALSE(r.has_value()) << path;
    EXPECT_EQ(r.error().code, errc::body_too_large) << path << ": " << r.error().what();
  }
  auto r = get(*client, server.url("/plain"), [](Request& q) { q.max_body_bytes = 200000; });
  EXPECT_TRUE(r.has_value());
}

TEST_F(HttpClient, truncated_body_is_a_distinct_error) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r = ok("partial");
    r.action = Reply::Action::truncate;
    return r;
  });
  auto client = make_client();
  auto r = get(*client, server.url());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::truncated_body) << r.error().what();
}

TEST_F(HttpClient, follows_redirects_up_to_the_limit) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest& q) {
    int n = std::stoi(q.target.substr(1));
    if (n == 0) return ok("landed");
    Reply r;
    r.status = n % 2 ? 302 : 301;
    r.headers = {{"Location", "/" + std::to_string(n - 1)}};
    return r;
  });
  auto client = make_client(ClientOptions{.max_redirects = 3});
  auto r = get(*client, server.url("/3"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->body, "landed");
  EXPECT_EQ(r->redirects, 3u);
  r = get(*client, server.url("/4"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::too_many_redirects);
}

TEST_F(HttpClient, replaces_a_keep_alive_connection_the_server_closed) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r = ok();
    r.action = Reply::Action::close_after;  // no "Connection: close": the client pools it
    return r;
  });
  auto client = make_client();
  for (int i = 0; i < 3; ++i) {
    auto r = get(*client, server.url());
    ASSERT_TRUE(r.has_value()) << i << ": " << r.error().what();
  }
  EXPECT_EQ(server.connections(), 3u);
  EXPECT_GE(client->stats().stale_replaced, 2u);
}

TEST_F(HttpClient, replays_on_a_fresh_connection_when_a_reused_one_dies_before_answering) {
  int served = 0;
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& q) {
    Reply r = ok(std::to_string(++served));
    // The second request arrives on the pooled connection 1, which the server then drops unanswered.
    if (q.connection == 1 && served == 2) r.action = Reply::Action::close;
    return r;
  });
  auto client = make_client();
  ASSERT_TRUE(get(*client, server.url()).has_value());
  auto r = get(*client, server.url());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->body, "3");
  EXPECT_EQ(server.connections(), 2u);
  EXPECT_EQ(client->stats().stale_replaced, 1u);
}

TEST_F(HttpClient, leaves_the_replay_to_a_caller_that_turns_it_off) {
  int served = 0;
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& q) {
    Reply r = ok(std::to_string(++served));
    if (q.connection == 1 && served == 2) r.action = Reply::Action::close;  // read, then dropped
    return r;
  });
  auto client = make_client();
  ASSERT_TRUE(get(*client, server.url()).has_value());
  auto r = get(*client, server.url(), [](Request& q) { q.replay_on_stale_connection = false; });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::connection_reset);
  EXPECT_EQ(server.requests().size(), 2u);  // the server read it: a rate limiter must count it
  EXPECT_EQ(client->stats().stale_replaced, 0u);
}

TEST_F(HttpClient, read_deadline_fails_a_stalled_response) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r;
    r.action = Reply::Action::stall;
    return r;
  });
  auto client = make_client(ClientOptions{.io_timeout = 80ms});
  auto start = std::chrono::steady_clock::now();
  auto r = get(*client, server.url());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::timeout) << r.error().what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(HttpClient, total_deadline_bounds_a_slowly_dripping_body) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) {
    Reply r = ok(std::string(100, 'd'));
    r.action = Reply::Action::drip;
    r.delay = 5ms;  // each byte well inside the read timeout, the whole body far beyond the total
    return r;
  });
  auto client = make_client(ClientOptions{.io_timeout = 1s, .request_timeout = 100ms});
  auto start = std::chrono::steady_clock::now();
  auto r = get(*client, server.url());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::timeout) << r.error().what();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 400ms);
}

TEST_F(HttpClient, tls_handshake_deadline) {
  test::SilentServer silent(ioc.get_executor());
  auto client = make_client(ClientOptions{.tls_timeout = 80ms});
  auto r = get(*client, "https://127.0.0.1:" + std::to_string(silent.port()) + "/");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::timeout) << r.error().what();
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
}

TEST_F(HttpClient, connect_deadline_when_the_listen_queue_is_full) {
  // A listener that never accepts, with its SYN queue filled: further SYNs are dropped, connect hangs.
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  tcp::acceptor acceptor(ioc);
  acceptor.open(tcp::v4());
  acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
  acceptor.listen(0);
  std::vector<int> fillers;  // raw non-blocking sockets: Asio's connect() would wait for completion
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(acceptor.local_endpoint().port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 8; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  auto client = make_client(ClientOptions{.connect_timeout = 80ms});
  auto start = std::chrono::steady_clock::now();
  auto r = get(*client, "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::timeout) << r.error().what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  for (int fd : fillers) ::close(fd);
}

TEST_F(HttpClient, unresolvable_host_is_dns_failed_within_the_dns_deadline) {
  auto client = make_client(ClientOptions{.dns_timeout = 500ms});
  auto start = std::chrono::steady_clock::now();
  auto r = get(*client, "http://cartopull-test.invalid/");  // RFC 6761: never resolves
  ASSERT_FALSE(r.has_value());
  // Offline, the lookup fails fast (dns_failed); with a black-holed resolver the deadline fires (timeout).
  EXPECT_TRUE(r.error().code == errc::dns_failed || r.error().code == errc::timeout) << r.error().what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST_F(HttpClient, refused_connection_is_connect_failed) {
  namespace asio = boost::asio;
  std::uint16_t port;
  {
    asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  auto client = make_client();
  auto r = get(*client, "http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::connect_failed) << r.error().what();
}

class HttpClientTls : public HttpClient {
 protected:
  test::TestPki pki;
  std::string ca_file = pki.write_ca_file();
  ~HttpClientTls() override { std::remove(ca_file.c_str()); }
};

TEST_F(HttpClientTls, verifies_chain_and_host) {
  ScriptedServer server(
      ioc.get_executor(), [](const ServedRequest&) { return ok("secure"); },
      pki.issue({"DNS:localhost", "IP:127.0.0.1"}));
  auto client = make_client(ClientOptions{.ca_file = ca_file});
  for (int i = 0; i < 2; ++i) {
    auto r = get(*client, server.url());
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->body, "secure");
  }
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(HttpClientTls, rejects_unknown_ca_wrong_host_and_expired_certificates) {
  test::TestPki other_ca("some other CA");
  struct Case {
    const char* name;
    test::TlsIdentity identity;
    const char* reason;
  };
  std::vector<Case> cases = {
      {"unknown CA", other_ca.issue({"IP:127.0.0.1"}), "unable to get local issuer certificate"},
      {"wrong host", pki.issue({"DNS:other.example", "IP:10.9.9.9"}), "mismatch"},
      {"expired", pki.issue({"IP:127.0.0.1"}, true), "expired"},
  };
  for (auto& c : cases) {
    ScriptedServer server(
        ioc.get_executor(), [](const ServedRequest&) { return ok(); }, c.identity);
    auto client = make_client(ClientOptions{.ca_file = ca_file});
    auto r = get(*client, server.url());
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code, errc::tls_failed) << c.name;
    EXPECT_NE(r.error().message.find(c.reason), std::string::npos) << c.name << ": " << r.error().message;
    EXPECT_TRUE(server.requests().empty()) << c.name;
  }
}

TEST_F(HttpClientTls, insecure_skip_verify_accepts_an_unknown_ca) {
  test::TestPki other_ca("some other CA");
  ScriptedServer server(
      ioc.get_executor(), [](const ServedRequest&) { return ok("trusting"); },
      other_ca.issue({"DNS:nowhere.example"}));
  auto client = make_client(ClientOptions{.insecure_skip_verify = true});
  auto r = get(*client, server.url());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->body, "trusting");
}

TEST_F(HttpClientTls, refuses_a_redirect_from_https_to_http) {
  ScriptedServer plain(ioc.get_executor(), [](const ServedRequest&) { return ok("downgraded"); });
  ScriptedServer server(
      ioc.get_executor(),
      [&](const ServedRequest&) {
        Reply r;
        r.status = 302;
        r.headers = {{"Location", plain.url("/x")}};
        return r;
      },
      pki.issue({"IP:127.0.0.1"}));
  auto client = make_client(ClientOptions{.ca_file = ca_file});
  auto r = get(*client, server.url());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::bad_response) << r.error().what();
  EXPECT_TRUE(plain.requests().empty());
}

TEST_F(HttpClientTls, bad_ca_file_is_a_config_error) {
  auto c = Client::create(ioc.get_executor(), ClientOptions{.ca_file = "/nonexistent/ca.pem"});
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, errc::config_invalid);
}

TEST_F(HttpClientTls, tunnels_https_through_a_connect_proxy_unless_no_proxy_matches) {
  ScriptedServer server(
      ioc.get_executor(), [](const ServedRequest&) { return ok("via"); }, pki.issue({"IP:127.0.0.1"}));
  test::ConnectProxy proxy(ioc.get_executor());
  auto client = make_client(ClientOptions{.ca_file = ca_file, .proxy = {.https_proxy = proxy.url()}});
  auto r = get(*client, server.url());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->body, "via");
  ASSERT_EQ(proxy.tunnels().size(), 1u);
  EXPECT_EQ(proxy.tunnels()[0], "127.0.0.1:" + std::to_string(server.port()));

  auto direct = make_client(
      ClientOptions{.ca_file = ca_file, .proxy = {.https_proxy = proxy.url(), .no_proxy = "127.0.0.1"}});
  ASSERT_TRUE(get(*direct, server.url()).has_value());
  EXPECT_EQ(proxy.tunnels().size(), 1u);
}

TEST_F(HttpClient, proxy_refusing_connect_is_proxy_failed) {
  ScriptedServer server(ioc.get_executor(), [](const ServedRequest&) { return ok(); });
  test::ConnectProxy proxy(ioc.get_executor(), /*refuse=*/true);
  auto client = make_client(ClientOptions{.proxy = {.http_proxy = proxy.url()}});
  auto r = get(*client, server.url());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::proxy_failed) << r.error().what();
}

TEST_F(HttpClient, api_key_reaches_only_its_origin_and_never_the_logs) {
  const std::string key = "sekrit-0123456789abcdef";
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  ScriptedServer other(ioc.get_executor(), [](const ServedRequest&) { return ok("elsewhere"); });
  ScriptedServer server(ioc.get_executor(), [&](const ServedRequest& q) {
    if (q.target.starts_with("/hop")) {
      Reply r;
      r.status = 302;
      r.headers = {{"Location", other.url("/landed")}};
      return r;
    }
    Reply r = ok("{}");
    r.status = q.target.starts_with("/fail") ? 401 : 200;
    if (q.target.starts_with("/stall")) r.action = Reply::Action::stall;
    return r;
  });
  std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
  for (AuthMode mode : {AuthMode::query, AuthMode::basic}) {
    ClientOptions o{.io_timeout = 50ms};
    o.auth = Auth{mode, origin, "alice", config::Secret(key)};
    auto client = make_client(std::move(o));
    auto r = get(*client, server.url("/ok"));
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->url.find(key), std::string::npos);
    auto fail = get(*client, server.url("/fail"));
    ASSERT_TRUE(fail.has_value());
    EXPECT_EQ(fail->status, 401);
    auto stalled = get(*client, server.url("/stall"));
    ASSERT_FALSE(stalled.has_value());
    EXPECT_EQ(stalled.error().message.find(key), std::string::npos) << stalled.error().message;
    auto hop = get(*client, server.url("/hop"));
    ASSERT_TRUE(hop.has_value()) << hop.error().what();
    EXPECT_EQ(hop->body, "elsewhere");
  }
  spdlog::set_default_logger(previous);

  // The key went on the wire to its origin, in the configured form...
  ASSERT_GE(server.requests().size(), 6u);
  EXPECT_NE(server.requests()[0].target.find("api_key=" + key), std::string::npos);
  EXPECT_FALSE(server.requests()[0].headers.contains("Authorization"));
  const auto& basic = server.requests()[server.requests().size() - 1];
  EXPECT_EQ(basic.target.find("api_key"), std::string::npos);
  EXPECT_EQ(basic.headers.find("Authorization").value_or("").substr(0, 6), "Basic ");
  // ...never to the host a redirect pointed at, and never into a log line.
  for (const auto& q : other.requests()) {
    EXPECT_EQ(q.target.find(key), std::string::npos);
    EXPECT_FALSE(q.headers.contains("Authorization"));
  }
  EXPECT_FALSE(log.str().empty());
  EXPECT_EQ(log.str().find(key), std::string::npos) << log.str();
}

}  // namespace
}  // namespace cartopull::http
