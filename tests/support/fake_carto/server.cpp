#include "support/fake_carto/server.hpp"

// GCC 12 reports a false mismatched-new-delete on Asio coroutine frames (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "core/redact.hpp"
#include "support/fake_carto/carto_api.hpp"
#include "support/fake_carto/http_date.hpp"
#include "support/fake_carto/tls_identity.hpp"

namespace cartopull::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kWriteTimeout = 30s;

// What actually went out, for the log.
struct Sent {
  int status = 0;
  std::uint64_t bytes = 0;
  bool close = false;
};

std::string reason(int status) {
  return std::string(http::obsolete_reason(static_cast<http::status>(status)));
}

// A second-granularity Date header, formatted once per second.
const std::string& date_header() {
  static thread_local std::string cached;
  static thread_local std::time_t second = 0;
  auto now = std::chrono::system_clock::now();
  auto s = std::chrono::system_clock::to_time_t(now);
  if (s != second) {
    second = s;
    cached = format_http_date(now);
  }
  return cached;
}

ApiResponse injected_error(const FaultDecision& d, const ApiResponse& original,
                           std::chrono::system_clock::time_point wall) {
  ApiResponse r;
  r.route = original.route;
  r.group = original.group;
  r.status = d.error_status;
  std::string body, type = "application/json; charset=utf-8";
  if (d.error_status == 429) {
    body =
        ApiError(429,
                 "You are over platform's limits: too many requests. Please contact us to know more details",
                 "limit", "rate-limit")
            .body();
  } else if (d.error_status == 502 || d.error_status == 503 || d.error_status == 504) {
    // What a CDN or load balancer in front of Windshaft answers: HTML, not the API's JSON.
    type = "text/html; charset=utf-8";
    body = "<html><head><title>" + std::to_string(d.error_status) + " " + reason(d.error_status) +
           "</title></head><body><h1>" + reason(d.error_status) + "</h1></body></html>";
  } else {
    body = ApiError(d.error_status, "fake-carto injected error " + std::to_string(d.error_status)).body();
  }
  r.is_json = type.starts_with("application/json");
  r.headers.emplace_back("Content-Type", type);
  if (d.retry_after == RetryAfterMode::seconds) {
    r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_seconds));
  } else if (d.retry_after == RetryAfterMode::http_date) {
    r.headers.emplace_back("Retry-After",
                           format_http_date(wall + std::chrono::seconds(d.retry_after_seconds)));
  }
  r.body = std::make_shared<const std::string>(std::move(body));
  return r;
}

template <class Stream>
tcp::socket& raw_socket(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

template <class Stream>
void reset(Stream& stream) {
  boost::system::error_code ec;
  raw_socket(stream).set_option(asio::socket_base::linger(true, 0), ec);  // close() then sends RST
  raw_socket(stream).close(ec);
}

}  // namespace

struct Server::Impl {
  explicit Impl(Options o) : options(std::move(o)), api(options) {}

  // Declaration order is destruction order reversed: the io_context goes before the API and the
  // TLS context, because destroying it destroys suspended session frames that still use them.
  Options options;
  CartoApi api;
  std::optional<asio::ssl::context> ssl;
  std::string ca_pem;
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  std::uint16_t port = 0;
  std::thread thread;
  bool running = false;

  template <class F>
  auto on_loop(F f) -> decltype(f()) {
    if (!running) return f();
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto future = task.get_future();
    asio::post(ioc, [&task] { task(); });
    return future.get();
  }

  asio::awaitable<void> accept_loop();
  template <class Stream>
  asio::awaitable<void> session(Stream stream);
  template <class Stream>
  asio::awaitable<Sent> respond(Stream& stream, ApiResponse response, FaultDecision fault, bool keep_alive,
                                std::chrono::system_clock::time_point wall,
                                std::optional<LoggedRequest> entry);
};

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      continue;  // EMFILE and friends: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (ssl) {
      asio::co_spawn(
          ioc, session(beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ssl)),
          asio::detached);
    } else {
      asio::co_spawn(ioc, session(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }
}

template <class Stream>
asio::awaitable<void> Server::Impl::session(Stream stream) {
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    beast::get_lowest_layer(stream).expires_after(10s);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) co_return;
  }
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_request_body_bytes);
    parser.header_limit(64 * 1024);
    beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec == http::error::body_limit) {
      std::string msg = "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
      co_await asio::async_write(stream, asio::buffer(msg), kTuple);
      break;
    }
    if (ec) break;
    auto& req = parser.get();
    const auto wall = std::chrono::system_clock::now();
    ApiRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.headers.reserve(16);
    for (const auto& f : req)
      request.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    request.body = std::move(req.body());
    ApiResponse response = api.handle(request, std::chrono::steady_clock::now(), wall);
    FaultDecision fault;
    if (!response.is_control)
      fault = decide(api.faults(), response.route, response.group, api.next_sequence());
    const bool keep_alive = req.keep_alive();
    std::optional<LoggedRequest> entry;
    if (!response.is_control) {
      entry.emplace();
      entry->method = std::move(request.method);
      entry->target = redact(request.target);
      entry->headers.reserve(request.headers.size());
      for (auto& [k, v] : request.headers) entry->headers.emplace_back(k, redact_header(k, v));
      entry->arrival = wall;
      entry->route = response.route;
      entry->group = response.group;
      entry->fault = fault.rule;
    }
    Sent sent = co_await respond(stream, std::move(response), fault, keep_alive, wall, std::move(entry));
    if (sent.close || !keep_alive) break;
  }
  boost::system::error_code ec;
  raw_socket(stream).shutdown(tcp::socket::shutdown_send, ec);
  raw_socket(stream).close(ec);
}

template <class Stream>
asio::awaitable<Sent> Server::Impl::respond(Stream& stream, ApiResponse r, FaultDecision fault,
                                            bool keep_alive, std::chrono::system_clock::time_point wall,
                                            std::optional<LoggedRequest> entry) {
  Sent sent;
  // The entry is logged before the first byte leaves, so a test that got its response always finds
  // it; a write that ends early patches the byte count afterwards.
  std::optional<std::uint64_t> logged;
  auto log_planned = [&](int status, std::uint64_t bytes) {
    if (!entry) return;
    entry->status = status;
    entry->bytes = bytes;
    logged = api.log().add(std::move(*entry));
    entry.reset();
  };
  struct Patch {
    Impl* impl;
    std::optional<std::uint64_t>& logged;
    Sent& sent;
    std::uint64_t planned = 0;
    ~Patch() {
      if (logged && sent.bytes != planned) impl->api.log().patch_bytes(*logged, sent.bytes);
    }
  };
  auto& lowest = beast::get_lowest_layer(stream);
  if (fault.delay.count() > 0) {
    asio::steady_timer timer(ioc, fault.delay);
    co_await timer.async_wait(kTuple);
  }
  if (fault.error_status != 0) r = injected_error(fault, r, wall);
  if (entry) entry->fault_kind = fault_kind(fault, r.is_json);
  if (fault.body == BodyFault::reset_before_headers) {
    log_planned(0, 0);
    reset(stream);
    sent.close = true;
    co_return sent;
  }
  std::shared_ptr<const std::string> body = r.body ? r.body : std::make_shared<const std::string>();
  if (fault.malformed_json && r.is_json)
    body = std::make_shared<const std::string>(body->substr(0, body->size() / 2));
  if (fault.wrong_content_type)
    for (auto& [k, v] : r.headers)
      if (k == "Content-Type") v = "text/html; charset=utf-8";

  const bool no_body = r.status == 204 || r.status == 304;
  if (no_body && fault.body == BodyFault::stall) {
    // A body-less answer has no middle to stall in; stalling after it would hold the keep-alive
    // connection silently, so the client's next request on it would be read (and stamped) late.
    asio::steady_timer timer(ioc, fault.stall_for);
    co_await timer.async_wait(kTuple);
    fault.body = BodyFault::none;
  }
  std::uint64_t announced = no_body ? 0 : body->size();
  if (fault.body == BodyFault::oversize && !no_body)
    announced = std::max<std::uint64_t>(announced, fault.oversize_bytes);

  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  head.reserve(512);
  head += "Server: fake-carto\r\nDate: ";
  head += date_header();
  head += "\r\n";
  for (const auto& [k, v] : r.headers) {
    head += k;
    head += ": ";
    head += v;
    head += "\r\n";
  }
  if (!no_body) head += "Content-Length: " + std::to_string(announced) + "\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  sent.status = r.status;
  if (no_body) body = std::make_shared<const std::string>();

  lowest.expires_after(kWriteTimeout);
  const std::size_t half = body->size() / 2;
  std::uint64_t planned = body->size();
  if (fault.body == BodyFault::reset_mid_body || fault.body == BodyFault::truncate) planned = half;
  if (fault.body == BodyFault::oversize) planned = announced;
  log_planned(r.status, planned);
  Patch patch{this, logged, sent, planned};
  switch (fault.body) {
    case BodyFault::none: {
      std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(*body)};
      auto [ec, n] = co_await asio::async_write(stream, bufs, kTuple);
      sent.bytes = ec ? 0 : body->size();
      sent.close = static_cast<bool>(ec);
      co_return sent;
    }
    case BodyFault::reset_mid_body:
    case BodyFault::truncate:
    case BodyFault::stall: {
      std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body->data(), half)};
      auto [ec, n] = co_await asio::async_write(stream, bufs, kTuple);
      if (ec) {
        sent.close = true;
        co_return sent;
      }
      sent.bytes = half;
      if (fault.body == BodyFault::reset_mid_body) {
        reset(stream);
        sent.close = true;
        co_return sent;
      }
      if (fault.body == BodyFault::truncate) {
        // The Content-Length promised the whole body: close with FIN after half of it.
        sent.close = true;
        co_return sent;
      }
      asio::steady_timer timer(ioc, fault.stall_for);
      co_await timer.async_wait(kTuple);
      lowest.expires_after(kWriteTimeout);
      auto [ec2, n2] =
          co_await asio::async_write(stream, asio::buffer(body->data() + half, body->size() - half), kTuple);
      if (!ec2) sent.bytes = body->size();
      sent.close = static_cast<bool>(ec2);
      co_return sent;
    }
    case BodyFault::trickle: {
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), kTuple);
      if (ec) {
        sent.close = true;
        co_return sent;
      }
      for (std::size_t off = 0; off < body->size(); off += fault.trickle_chunk) {
        if (off > 0) {
          asio::steady_timer timer(ioc, fault.trickle_delay);
          co_await timer.async_wait(kTuple);
        }
        lowest.expires_after(kWriteTimeout);
        auto len = std::min(fault.trickle_chunk, body->size() - off);
        auto [ec2, n2] = co_await asio::async_write(stream, asio::buffer(body->data() + off, len), kTuple);
        if (ec2) {
          sent.close = true;
          co_return sent;
        }
        sent.bytes += len;
      }
      co_return sent;
    }
    case BodyFault::oversize: {
      std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(*body)};
      auto [ec, n] = co_await asio::async_write(stream, bufs, kTuple);
      if (ec) {
        sent.close = true;
        co_return sent;
      }
      sent.bytes = body->size();
      static const std::string kPad(64 * 1024, ' ');
      while (sent.bytes < announced) {
        lowest.expires_after(kWriteTimeout);
        auto len = std::min<std::uint64_t>(kPad.size(), announced - sent.bytes);
        auto [ec2, n2] = co_await asio::async_write(stream, asio::buffer(kPad.data(), len), kTuple);
        if (ec2) {
          sent.close = true;
          co_return sent;
        }
        sent.bytes += len;
      }
      co_return sent;
    }
    case BodyFault::reset_before_headers: break;
  }
  co_return sent;
}

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() {
  stop();
}

result<void> Server::start() {
  auto& im = *impl_;
  if (im.running) return {};
  boost::system::error_code ec;
  if (im.options.tls) {
    auto id = make_tls_identity();
    if (!id) return id.error();
    im.ca_pem = id->ca_cert_pem;
    im.ssl.emplace(asio::ssl::context::tls_server);
    im.ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
    im.ssl->use_certificate_chain(asio::buffer(id->server_cert_pem), ec);
    if (!ec) im.ssl->use_private_key(asio::buffer(id->server_key_pem), asio::ssl::context::pem, ec);
    if (ec) return Error(errc::tls_failed, "fake-carto: loading the generated certificate: " + ec.message());
    if (!im.options.ca_pem_path.empty()) {
      std::ofstream out(im.options.ca_pem_path, std::ios::binary | std::ios::trunc);
      out << im.ca_pem;
      if (!out)
        return Error(errc::config_invalid, "fake-carto: cannot write CA to " + im.options.ca_pem_path);
    }
    im.api.set_scheme("https");
  }
  auto address = asio::ip::make_address(im.options.listen_host, ec);
  if (ec) return Error(errc::config_invalid, "fake-carto: bad listen address " + im.options.listen_host);
  tcp::endpoint endpoint(address, im.options.port);
  im.acceptor.emplace(im.ioc);
  im.acceptor->open(endpoint.protocol(), ec);
  if (!ec) im.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) im.acceptor->bind(endpoint, ec);
  if (!ec) im.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Error(errc::connect_failed, "fake-carto: cannot listen on " + im.options.listen_host + ":" +
                                           std::to_string(im.options.port) + ": " + ec.message());
  im.port = im.acceptor->local_endpoint().port();
  asio::co_spawn(im.ioc, im.accept_loop(), asio::detached);
  im.running = true;
  im.thread = std::thread([&im] { im.ioc.run(); });
  return {};
}

void Server::stop() {
  auto& im = *impl_;
  if (!im.running) return;
  asio::post(im.ioc, [&im] {
    boost::system::error_code ec;
    im.acceptor->close(ec);
    im.ioc.stop();
  });
  im.thread.join();
  im.running = false;
}

std::uint16_t Server::port() const {
  return impl_->port;
}

std::string Server::base_url() const {
  return (impl_->options.tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(impl_->port);
}

const std::string& Server::ca_pem() const {
  return impl_->ca_pem;
}
const Options& Server::options() const {
  return impl_->options;
}

std::vector<LoggedRequest> Server::requests() const {
  return impl_->on_loop([this] {
    const auto& e = impl_->api.log().entries();
    return std::vector<LoggedRequest>(e.begin(), e.end());
  });
}

std::map<std::pair<std::string, int>, std::uint64_t> Server::counters() const {
  return impl_->on_loop([this] { return impl_->api.log().counters(); });
}

std::uint64_t Server::count(std::string_view route, int status) const {
  auto c = counters();
  auto it = c.find({std::string(route), status});
  return it == c.end() ? 0 : it->second;
}

void Server::clear_log() {
  impl_->on_loop([this] { impl_->api.log().clear(); });
}

void Server::set_faults(FaultSet faults) {
  impl_->on_loop([this, &faults] { impl_->api.set_faults(std::move(faults)); });
}

std::int64_t Server::bump(std::string_view map_key) {
  return impl_->on_loop(
      [this, map_key] { return impl_->api.bump(map_key, std::chrono::system_clock::now()); });
}

void Server::expire_tokens() {
  impl_->on_loop([this] { impl_->api.expire_tokens(); });
}

std::vector<std::int64_t> Server::cache_busters(std::string_view map_key) const {
  return impl_->on_loop([this, map_key] { return impl_->api.cache_busters(map_key); });
}

std::optional<std::string> Server::expected_tile(std::string_view token_or_template, std::string_view layer,
                                                 std::uint32_t z, std::int64_t x, std::uint64_t y,
                                                 TileFormat format, std::uint32_t scale) {
  return impl_->on_loop(
      [&] { return impl_->api.expected_tile(token_or_template, layer, z, x, y, format, scale); });
}

}  // namespace cartopull::fake
