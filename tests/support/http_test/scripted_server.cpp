#include "support/http_test/scripted_server.hpp"

#include <zlib.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <sstream>
#include <stdexcept>

namespace cartopull::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
}

std::string gzip_compress(std::string_view data) {
  z_stream s{};
  deflateInit2(&s, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, static_cast<uLong>(data.size())) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

struct ScriptedServer::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor ex;
  Handler handler;
  std::optional<asio::ssl::context> ctx;
  tcp::acceptor acceptor;
  bool record;
  std::vector<ServedRequest> requests;
  std::uint64_t connections = 0;
  bool stopped = false;
  std::uint16_t port = 0;

  Impl(asio::any_io_executor e, Handler h, bool rec)
      : ex(e), handler(std::move(h)), acceptor(e), record(rec) {}

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, sock] = co_await self->acceptor.async_accept(kTuple);
      if (ec || self->stopped) co_return;
      sock.set_option(tcp::no_delay(true));
      asio::co_spawn(self->ex, session(self, std::move(sock), ++self->connections), asio::detached);
    }
  }

  static asio::awaitable<void> session(std::shared_ptr<Impl> self, tcp::socket sock, std::uint64_t id) {
    beast::tcp_stream stream(std::move(sock));
    if (!self->ctx) {
      co_await serve(self, &stream, &stream, id);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *self->ctx);
    beast::get_lowest_layer(tls).expires_after(std::chrono::seconds(10));
    auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (ec) co_return;
    beast::get_lowest_layer(tls).expires_never();
    co_await serve(self, &tls, &beast::get_lowest_layer(tls), id);
  }

  template <class Stream>
  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, Stream* s, beast::tcp_stream* lowest,
                                     std::uint64_t id) {
    beast::flat_buffer buf;
    asio::steady_timer timer(self->ex);
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [ec, n] = co_await bhttp::async_read(*s, buf, req, kTuple);
      if (ec || self->stopped) break;
      ServedRequest sr;
      sr.method = std::string(req.method_string());
      sr.target = std::string(req.target());
      for (const auto& f : req) sr.headers.add(std::string(f.name_string()), std::string(f.value()));
      sr.body = req.body();
      sr.arrived = std::chrono::steady_clock::now();
      sr.connection = id;
      Reply r = self->handler(sr);
      if (self->record) self->requests.push_back(std::move(sr));

      if (r.delay.count() > 0 && r.action != Reply::Action::drip) {
        timer.expires_after(r.delay);
        co_await timer.async_wait(kTuple);
      }
      if (r.action == Reply::Action::stall) {
        timer.expires_after(std::chrono::hours(1));
        co_await timer.async_wait(kTuple);
        break;
      }
      if (r.action == Reply::Action::close) break;

      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
      for (const auto& [k, v] : r.headers) res.insert(k, v);
      res.body() = r.gzip ? gzip_compress(r.body) : r.body;
      if (r.gzip) res.set(bhttp::field::content_encoding, "gzip");
      res.keep_alive(req.keep_alive());
      res.prepare_payload();

      if (r.action == Reply::Action::truncate || r.action == Reply::Action::drip) {
        bool drip = r.action == Reply::Action::drip;
        res.content_length(res.body().size() + (drip ? 0 : 100));
        std::string head;
        {
          std::ostringstream os;
          os << res.base();
          head = os.str();
        }
        auto [wec, wn] = co_await asio::async_write(*s, asio::buffer(head), kTuple);
        if (wec) break;
        if (!drip) {
          co_await asio::async_write(*s, asio::buffer(res.body()), kTuple);
          break;
        }
        bool failed = false;
        for (char c : res.body()) {
          timer.expires_after(r.delay);
          co_await timer.async_wait(kTuple);
          auto [dec, dn] = co_await asio::async_write(*s, asio::buffer(&c, 1), kTuple);
          if (dec) {
            failed = true;
            break;
          }
        }
        if (failed) break;
        continue;
      }
      auto [wec, wn] = co_await bhttp::async_write(*s, res, kTuple);
      if (wec || !res.keep_alive() || r.action == Reply::Action::close_after) break;
    }
    beast::error_code ignored;
    lowest->socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest->socket().close(ignored);
  }
};

ScriptedServer::ScriptedServer(asio::any_io_executor executor, Handler handler,
                               std::optional<TlsIdentity> tls, bool record)
    : impl_(std::make_shared<Impl>(executor, std::move(handler), record)) {
  if (tls) {
    impl_->ctx.emplace(asio::ssl::context::tls_server);
    impl_->ctx->use_certificate_chain(asio::buffer(tls->cert_pem));
    impl_->ctx->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(executor, Impl::accept_loop(impl_), asio::detached);
}

ScriptedServer::~ScriptedServer() {
  stop();
}

void ScriptedServer::stop() {
  impl_->stopped = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t ScriptedServer::port() const {
  return impl_->port;
}

std::string ScriptedServer::url(std::string_view path) const {
  return std::string(impl_->ctx ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
         std::string(path);
}

const std::vector<ServedRequest>& ScriptedServer::requests() const {
  return impl_->requests;
}

std::uint64_t ScriptedServer::connections() const {
  return impl_->connections;
}

}  // namespace cartopull::test
