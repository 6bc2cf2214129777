#include "http/admin_server.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <list>

#include "core/version.hpp"
#include "http/admin_route.hpp"

namespace cartopull::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

namespace {

struct Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool awaiting_header = true;
  std::chrono::steady_clock::time_point waiting_since = std::chrono::steady_clock::now();
};

Response make_response(unsigned status, std::string body, std::string_view content_type, unsigned version,
                       bool keep_alive) {
  Response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::server, std::string(kUserAgent));
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string json_error(std::string_view message) {
  // Messages are our own constants: no escaping needed beyond what they contain (none).
  return "{\"error\":\"" + std::string(message) + "\"}\n";
}

}  // namespace

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
  Impl(asio::any_io_executor ex, AdminServerOptions o, AdminHandlers h)
      : acceptor(ex), room(ex), options(std::move(o)), handlers(std::move(h)) {}

  tcp::acceptor acceptor;
  asio::steady_timer room;  // cancelled whenever a session ends
  AdminServerOptions options;
  AdminHandlers handlers;
  bool require_token = false;
  bool stopped = false;
  std::list<std::shared_ptr<Session>> sessions;
  std::uint64_t evicted = 0;

  Response route(const Request& req) const;
  bool authorised(const Request& req) const;
  std::shared_ptr<Session> oldest_waiting() const;
  void evict(const std::shared_ptr<Session>& session);
  void session_ended(const std::shared_ptr<Session>& session);
  void close_all();
};

namespace {

asio::awaitable<void> serve(std::shared_ptr<AdminServer::Impl> impl, std::shared_ptr<Session> session);

// At the cap, hold the new connection (others wait in the kernel's backlog) until a session ends or
// the oldest one still waiting for its request header has waited `eviction_grace`: that one is closed.
// So a burst is served in turn, and slow clients cannot lock everyone out.
asio::awaitable<bool> wait_for_room(std::shared_ptr<AdminServer::Impl> impl) {
  const auto deadline = std::chrono::steady_clock::now() + impl->options.header_timeout;
  while (!impl->stopped && impl->sessions.size() >= impl->options.max_connections) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) co_return false;
    auto wake = deadline;
    if (auto oldest = impl->oldest_waiting()) {
      const auto stale_at = oldest->waiting_since + impl->options.eviction_grace;
      if (stale_at <= now) {
        impl->evict(oldest);
        break;
      }
      wake = std::min(wake, stale_at);
    }
    impl->room.expires_at(wake);
    co_await impl->room.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return !impl->stopped;
}

asio::awaitable<void> accept_loop(std::shared_ptr<AdminServer::Impl> impl) {
  asio::steady_timer backoff(impl->acceptor.get_executor());
  while (!impl->stopped) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (impl->stopped) break;
    if (ec) {
      // EMFILE and friends: pause instead of spinning; the listener stays open.
      backoff.expires_after(std::chrono::milliseconds{50});
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (!co_await wait_for_room(impl)) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto session = std::make_shared<Session>(std::move(socket));
    impl->sessions.push_back(session);
    asio::co_spawn(impl->acceptor.get_executor(), serve(impl, session), asio::detached);
  }
}

asio::awaitable<void> write_and_close(std::shared_ptr<AdminServer::Impl> impl,
                                      std::shared_ptr<Session> session, Response res) {
  res.keep_alive(false);
  session->stream.expires_after(impl->options.write_timeout);
  co_await bhttp::async_write(session->stream, res, asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> serve(std::shared_ptr<AdminServer::Impl> impl, std::shared_ptr<Session> session) {
  const auto& o = impl->options;
  beast::flat_buffer buffer(o.max_header_bytes + o.max_body_bytes);
  for (std::uint32_t n = 0; n < o.max_requests_per_connection && !impl->stopped; ++n) {
    session->awaiting_header = true;
    session->waiting_since = std::chrono::steady_clock::now();
    if (n > 0 && buffer.size() == 0) {
      // Keep-alive: wait idle_timeout for the next request's first bytes, then header_timeout for the rest.
      session->stream.expires_after(o.idle_timeout);
      auto [ec, got] = co_await session->stream.async_read_some(buffer.prepare(o.max_header_bytes),
                                                                asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      buffer.commit(got);
      session->waiting_since = std::chrono::steady_clock::now();
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
    parser.body_limit(o.max_body_bytes);
    session->stream.expires_after(o.header_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(session->stream, buffer, parser,
                                                       asio::as_tuple(asio::use_awaitable));
    (void)hn;
    if (!hec) {
      session->awaiting_header = false;
      session->stream.expires_after(o.body_timeout);
      auto [bec, bn] =
          co_await bhttp::async_read(session->stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      (void)bn;
      hec = bec;
    }
    if (hec == bhttp::error::header_limit) {
      co_await write_and_close(
          impl, session,
          make_response(431, json_error("request header too large"), "application/json", 11, false));
      break;
    }
    if (hec == bhttp::error::body_limit) {
      co_await write_and_close(
          impl, session,
          make_response(413, json_error("request body too large"), "application/json", 11, false));
      break;
    }
    if (hec == beast::error::timeout || hec == bhttp::error::end_of_stream || hec == asio::error::eof ||
        hec == asio::error::operation_aborted || hec == asio::error::connection_reset ||
        hec == asio::error::bad_descriptor) {
      break;  // gone, evicted or too slow: nothing useful to say
    }
    if (hec) {
      co_await write_and_close(
          impl, session, make_response(400, json_error("malformed request"), "application/json", 11, false));
      break;
    }
    auto req = parser.release();
    auto res = impl->route(req);
    const bool keep_alive = res.keep_alive() && n + 1 < o.max_requests_per_connection;
    res.keep_alive(keep_alive);
    session->stream.expires_after(o.write_timeout);
    auto [wec, wn] = co_await bhttp::async_write(session->stream, res, asio::as_tuple(asio::use_awaitable));
    (void)wn;
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  session->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  session->stream.close();
  impl->session_ended(session);
}

}  // namespace

std::shared_ptr<Session> AdminServer::Impl::oldest_waiting() const {
  std::shared_ptr<Session> oldest;
  for (const auto& s : sessions) {
    if (s->awaiting_header && (!oldest || s->waiting_since < oldest->waiting_since)) oldest = s;
  }
  return oldest;
}

void AdminServer::Impl::evict(const std::shared_ptr<Session>& session) {
  ++evicted;
  sessions.remove(session);
  session->stream.close();
}

void AdminServer::Impl::session_ended(const std::shared_ptr<Session>& session) {
  sessions.remove(session);
  room.cancel();
}

void AdminServer::Impl::close_all() {
  stopped = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  for (const auto& s : sessions) s->stream.close();
  sessions.clear();
  room.cancel();
}

bool AdminServer::Impl::authorised(const Request& req) const {
  if (!require_token) return true;
  const auto it = req.find(bhttp::field::authorization);
  if (it == req.end()) return false;
  const std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() || !beast::iequals(value.substr(0, kScheme.size()), kScheme))
    return false;
  return options.bearer_token.equals(value.substr(kScheme.size()));
}

Response AdminServer::Impl::route(const Request& req) const {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  const auto reply = [&](unsigned status, std::string body, std::string_view type = "application/json") {
    return make_response(status, std::move(body), type, version, keep_alive);
  };
  const auto method = req.method() == bhttp::verb::get    ? AdminMethod::get
                      : req.method() == bhttp::verb::post ? AdminMethod::post
                                                          : AdminMethod::other;
  auto route = route_admin_request(method, std::string_view(req.target().data(), req.target().size()));
  using Kind = AdminRoute::Kind;
  if (route.kind == Kind::bad_target) return reply(400, json_error("bad request target"));
  if (route.api && !authorised(req)) {
    auto res = reply(401, json_error("bearer token required"));
    res.set(bhttp::field::www_authenticate, "Bearer");
    return res;
  }
  const auto from_handler = [&](AdminResponse r) {
    return reply(r.status, std::move(r.body), r.content_type);
  };

  try {
    switch (route.kind) {
      case Kind::index:
        return reply(200,
                     "<html><head><title>cartopull</title></head><body><h1>cartopull</h1>"
                     "<p><a href=\"/metrics\">Metrics</a> <a href=\"/api/jobs\">Jobs</a></p></body></html>\n",
                     "text/html; charset=utf-8");
      case Kind::metrics:
        if (!handlers.metrics) return reply(404, json_error("not found"));
        return reply(200, handlers.metrics(), "text/plain; version=0.0.4; charset=utf-8");
      case Kind::healthz: return reply(200, "ok\n", "text/plain; charset=utf-8");
      case Kind::readyz: {
        const bool ready = handlers.ready && handlers.ready();
        return reply(ready ? 200 : 503, ready ? "ready\n" : "not ready\n", "text/plain; charset=utf-8");
      }
      case Kind::api_jobs:
        if (!handlers.jobs) return reply(404, json_error("not found"));
        return from_handler(handlers.jobs());
      case Kind::api_runs:
        if (!handlers.runs) return reply(404, json_error("not found"));
        return from_handler(handlers.runs(std::move(route.job), route.limit));
      case Kind::api_trigger:
        if (!handlers.trigger) return reply(404, json_error("not found"));
        return from_handler(handlers.trigger(std::move(route.job)));
      case Kind::method_not_allowed: {
        auto res = reply(405, json_error("method not allowed"));
        res.set(bhttp::field::allow, route.allow);
        return res;
      }
      case Kind::bad_limit: return reply(400, json_error("limit must be an integer in 1..1000"));
      case Kind::bad_target:
      case Kind::not_found: break;
    }
    return reply(404, json_error("not found"));
  } catch (const std::exception&) {
    return reply(500, json_error("internal error"));
  }
}

result<tcp::endpoint> parse_listen_address(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error{errc::config_invalid,
                 "invalid listen address '" + std::string(text) + "': " + std::string(why)};
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("expected host:port");
  auto host = text.substr(0, colon);
  const auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535) {
    return bad("bad port");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("IPv6 addresses go in brackets");
  }
  asio::ip::address address;
  if (host.empty()) {
    address = asio::ip::address_v4::any();
  } else if (host == "localhost") {
    address = asio::ip::address_v4::loopback();
  } else {
    boost::system::error_code aec;
    address = asio::ip::make_address(std::string(host), aec);
    if (aec) return bad("host must be an IP address or localhost");
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

bool is_loopback(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

AdminServer::AdminServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
  stop();
}

result<std::unique_ptr<AdminServer>> AdminServer::create(asio::any_io_executor executor,
                                                         AdminServerOptions options, AdminHandlers handlers) {
  auto endpoint = parse_listen_address(options.listen);
  if (!endpoint) return endpoint.error();
  const bool loopback = is_loopback(endpoint->address());
  if (!loopback && options.bearer_token.empty()) {
    return Error{errc::config_invalid,
                 "server.bearer_token is required when listening beyond loopback (" + options.listen + ")"};
  }
  if (options.max_connections == 0) return Error{errc::config_invalid, "server.max_connections must be > 0"};
  auto impl = std::make_shared<Impl>(executor, std::move(options), std::move(handlers));
  impl->require_token = !loopback || !impl->options.bearer_token.empty();
  boost::system::error_code ec;
  impl->acceptor.open(endpoint->protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(*endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{errc::config_invalid, "cannot listen on " + impl->options.listen + ": " + ec.message()};
  }
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

tcp::endpoint AdminServer::local_endpoint() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec);
}

void AdminServer::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), accept_loop(impl_), asio::detached);
}

void AdminServer::stop() {
  if (!impl_->stopped) impl_->close_all();
}

std::size_t AdminServer::connection_count() const {
  return impl_->sessions.size();
}

std::uint64_t AdminServer::evicted_count() const {
  return impl_->evicted;
}

}  // namespace cartopull::http
