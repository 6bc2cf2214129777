#include "support/http_test/connect_proxy.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace cartopull::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

tcp::acceptor listen_loopback(asio::any_io_executor ex) {
  tcp::acceptor a(ex);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  a.open(ep.protocol());
  a.bind(ep);
  a.listen();
  return a;
}

asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::array<char, 16384> buf;
  for (;;) {
    auto [ec, n] = co_await from->async_read_some(asio::buffer(buf), kTuple);
    if (ec) break;
    auto [wec, wn] = co_await asio::async_write(*to, asio::buffer(buf.data(), n), kTuple);
    if (wec) break;
  }
  boost::system::error_code ignored;
  to->shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

struct ConnectProxy::Impl {
  asio::any_io_executor ex;
  tcp::acceptor acceptor;
  bool refuse;
  std::uint16_t port = 0;
  std::vector<std::string> tunnels;

  Impl(asio::any_io_executor e, bool r) : ex(e), acceptor(listen_loopback(e)), refuse(r) {
    port = acceptor.local_endpoint().port();
  }

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, sock] = co_await self->acceptor.async_accept(kTuple);
      if (ec) co_return;
      asio::co_spawn(self->ex, tunnel(self, std::make_shared<tcp::socket>(std::move(sock))), asio::detached);
    }
  }

  static asio::awaitable<void> tunnel(std::shared_ptr<Impl> self, std::shared_ptr<tcp::socket> client) {
    std::string head;
    auto [ec, n] = co_await asio::async_read_until(*client, asio::dynamic_buffer(head), "\r\n\r\n", kTuple);
    if (ec) co_return;
    // "CONNECT host:port HTTP/1.1"
    auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
    if (head.compare(0, 8, "CONNECT ") != 0 || sp2 == std::string::npos) co_return;
    std::string authority = head.substr(sp1 + 1, sp2 - sp1 - 1);
    self->tunnels.push_back(authority);
    if (self->refuse) {
      std::string no = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
      co_await asio::async_write(*client, asio::buffer(no), kTuple);
      co_return;
    }
    auto colon = authority.rfind(':');
    std::string host = authority.substr(0, colon), port = authority.substr(colon + 1);
    if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto upstream = std::make_shared<tcp::socket>(self->ex);
    tcp::resolver resolver(self->ex);
    auto [rec, eps] = co_await resolver.async_resolve(host, port, kTuple);
    if (rec) co_return;
    auto [cec, ep] = co_await asio::async_connect(*upstream, eps, kTuple);
    if (cec) {
      std::string bad = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
      co_await asio::async_write(*client, asio::buffer(bad), kTuple);
      co_return;
    }
    std::string ok = "HTTP/1.1 200 Connection Established\r\n\r\n";
    auto [wec, wn] = co_await asio::async_write(*client, asio::buffer(ok), kTuple);
    if (wec) co_return;
    // Anything read past the header already belongs to the tunnel.
    std::string extra = head.substr(n);
    if (!extra.empty()) co_await asio::async_write(*upstream, asio::buffer(extra), kTuple);
    asio::co_spawn(self->ex, pump(client, upstream), asio::detached);
    asio::co_spawn(self->ex, pump(upstream, client), asio::detached);
  }
};

ConnectProxy::ConnectProxy(asio::any_io_executor executor, bool refuse)
    : impl_(std::make_shared<Impl>(executor, refuse)) {
  asio::co_spawn(executor, Impl::accept_loop(impl_), asio::detached);
}

ConnectProxy::~ConnectProxy() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t ConnectProxy::port() const {
  return impl_->port;
}

std::string ConnectProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

const std::vector<std::string>& ConnectProxy::tunnels() const {
  return impl_->tunnels;
}

struct SilentServer::Impl {
  tcp::acceptor acceptor;
  std::vector<tcp::socket> held;
  explicit Impl(asio::any_io_executor e) : acceptor(listen_loopback(e)) {}

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, sock] = co_await self->acceptor.async_accept(kTuple);
      if (ec) co_return;
      self->held.push_back(std::move(sock));
    }
  }
};

SilentServer::SilentServer(asio::any_io_executor executor) : impl_(std::make_shared<Impl>(executor)) {
  asio::co_spawn(executor, Impl::accept_loop(impl_), asio::detached);
}

SilentServer::~SilentServer() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t SilentServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

}  // namespace cartopull::test
