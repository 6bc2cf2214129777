#include "support/fake_carto/sync_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace cartopull::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

void set_timeouts(tcp::socket& s) {
  timeval tv{5, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::string SyncReply::header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? std::string() : it->second;
}

struct SyncClient::Impl {
  std::uint16_t port;
  std::string ca_pem;
  asio::io_context ioc;
  std::optional<asio::ssl::context> ssl;
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> secure;
  beast::flat_buffer buffer;
  std::uint64_t connects = 0;

  bool connected() const {
    return (plain && plain->is_open()) || (secure && secure->lowest_layer().is_open());
  }

  void close() {
    boost::system::error_code ec;
    if (plain) plain->close(ec);
    if (secure) secure->lowest_layer().close(ec);
    plain.reset();
    secure.reset();
    buffer.clear();
  }

  boost::system::error_code connect() {
    close();
    boost::system::error_code ec;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    ++connects;
    if (!ssl) {
      plain.emplace(ioc);
      plain->connect(ep, ec);
      if (!ec) set_timeouts(*plain);
      return ec;
    }
    secure.emplace(ioc, *ssl);
    secure->lowest_layer().connect(ep, ec);
    if (ec) return ec;
    set_timeouts(secure->next_layer());
    SSL_set_tlsext_host_name(secure->native_handle(), "localhost");
    secure->set_verify_callback(asio::ssl::host_name_verification("localhost"));
    secure->handshake(asio::ssl::stream_base::client, ec);
    return ec;
  }

  template <class Stream>
  SyncReply exchange(Stream& s, http::request<http::string_body>& req) {
    SyncReply reply;
    boost::system::error_code ec;
    http::write(s, req, ec);
    if (ec) {
      reply.error = ec;
      return reply;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 30);
    if (req.method() == http::verb::head) parser.skip(true);
    http::read(s, buffer, parser, ec);
    if (ec) {
      reply.error = ec;
      return reply;
    }
    auto& res = parser.get();
    reply.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(f.value());
    }
    reply.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return reply;
  }
};

SyncClient::SyncClient(std::uint16_t port, std::string ca_pem) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->ca_pem = std::move(ca_pem);
  if (!impl_->ca_pem.empty()) {
    impl_->ssl.emplace(asio::ssl::context::tls_client);
    impl_->ssl->add_certificate_authority(asio::buffer(impl_->ca_pem));
    impl_->ssl->set_verify_mode(asio::ssl::verify_peer);
  }
}

SyncClient::~SyncClient() = default;

std::uint64_t SyncClient::connects() const {
  return impl_->connects;
}

SyncReply SyncClient::get(std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  return request("GET", target, {}, headers);
}

SyncReply SyncClient::request(std::string_view method, std::string_view target, std::string_view body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  req.set(http::field::user_agent, "fake-carto-test");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = std::string(body);
    req.prepare_payload();
  }
  // No automatic retry: a fault test must see exactly the one exchange it provoked.
  if (!impl_->connected()) {
    if (auto ec = impl_->connect()) {
      SyncReply r;
      r.error = ec;
      return r;
    }
  }
  SyncReply r = impl_->secure ? impl_->exchange(*impl_->secure, req) : impl_->exchange(*impl_->plain, req);
  if (r.error) impl_->close();
  return r;
}

SyncReply raw_exchange(std::uint16_t port, std::string_view bytes) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  SyncReply reply;
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    reply.error = ec;
    return reply;
  }
  set_timeouts(s);
  asio::write(s, asio::buffer(bytes.data(), bytes.size()), ec);
  char buf[65536];
  for (;;) {
    auto n = s.read_some(asio::buffer(buf), ec);
    reply.body.append(buf, n);
    if (ec) break;
  }
  if (ec != asio::error::eof) reply.error = ec;
  return reply;
}

}  // namespace cartopull::fake
