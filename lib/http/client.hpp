#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/secret.hpp"
#include "core/result.hpp"
#include "http/content_decoder.hpp"
#include "http/headers.hpp"
#include "http/proxy_config.hpp"

namespace cartopull::http {

// One HTTP request. `url` never carries the API key: the client adds it (ClientOptions::auth).
struct Request {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  Headers headers;  // extra fields; Host, User-Agent, Accept-Encoding and auth are set by the client
  std::string body;
  // Largest body accepted, decoded bytes (default ClientOptions::max_body_bytes).
  std::optional<std::uint64_t> max_body_bytes;
  // When set, the decoded body streams here chunk by chunk (on the event loop) instead of into
  // Response::body. A redirect's body never reaches it; a replay on a fresh connection happens only
  // before any byte was passed.
  BodySink on_body;
  // Absolute deadline of the whole exchange (pool wait, DNS, connect, TLS, redirects, body); default
  // now + ClientOptions::request_timeout.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Whether a request that dies on a reused connection before any response byte is sent once more on a
  // fresh connection inside send(). The server may have read (and rate-charged) the first copy before
  // the reset, so a rate-limited caller (Executor) turns this off and retries through its limiter.
  bool replay_on_stale_connection = true;
  // Awaited before each redirect hop is sent; an error ends the exchange with it. A rate-limited caller
  // (Executor) charges its limiter here, since every hop is a request the server counts. Empty: no gate.
  std::function<boost::asio::awaitable<result<void>>()> before_redirect;
};

// A response of any status: 4xx and 5xx are values, not errors.
struct Response {
  int status = 0;
  Headers headers;
  std::string body;              // empty when Request::on_body consumed it
  std::uint64_t body_bytes = 0;  // decoded body bytes
  std::uint64_t wire_bytes = 0;  // body bytes as received (compressed)
  std::string url;               // final URL after redirects, redacted
  std::uint32_t redirects = 0;
  bool reused_connection = false;  // served on a pooled keep-alive connection
};

enum class AuthMode { none, query, basic };

// How the API key travels: `?api_key=` or `Authorization: Basic base64(user:key)` (carto-maps-api.md §4).
// Applied only to requests whose origin is `origin` ("https://host:port", see Origin::key()), so that a
// redirect to another host never receives it.
struct Auth {
  AuthMode mode = AuthMode::none;
  std::string origin{};
  std::string user{};
  config::Secret key{};
};

// Every default is documented here; durations are per step unless said otherwise.
struct ClientOptions {
  std::chrono::milliseconds dns_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds tls_timeout{10'000};      // TLS handshake, and the proxy CONNECT exchange
  std::chrono::milliseconds io_timeout{30'000};       // each read or write step
  std::chrono::milliseconds request_timeout{60'000};  // whole exchange when Request::deadline is unset
  std::chrono::milliseconds idle_timeout{30'000};     // pooled connections older than this are closed
  std::uint64_t max_body_bytes = 64ULL << 20;
  std::uint32_t max_redirects = 5;  // same or stronger scheme only (https never goes to http)
  std::uint32_t max_connections_per_origin = 16;
  std::string ca_file{};              // extra PEM CA bundle, on top of the system store
  bool insecure_skip_verify = false;  // no chain or hostname check: logged as a warning at construction
  ProxyConfig proxy{};                // ProxyConfig::from_env() in the daemon; empty: direct
  Auth auth{};
  bool accept_compressed = true;  // send Accept-Encoding: gzip, deflate and decode
  std::string user_agent{};       // empty: core/version.hpp kUserAgent
};

struct PoolStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;
  std::uint64_t stale_replaced = 0;  // pooled connections found closed by the server
  std::uint32_t idle = 0;
};

// HTTP/1.1 client over TCP and TLS (OpenSSL) with a keep-alive pool per origin. Runs on one executor (the
// event loop): construct it there, call send() from coroutines on it, and keep it alive until every
// send() has completed. Cancelling the awaiting coroutine closes the connection in use. Every error is a
// value with a cartopull::errc code and a redacted message.
class Client {
 public:
  // Fails (errc::config_invalid) when ca_file cannot be loaded.
  static result<std::unique_ptr<Client>> create(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  boost::asio::awaitable<result<Response>> send(Request request);

  // Closes every idle pooled connection (shutdown).
  void close_idle();
  PoolStats stats() const;
  const ClientOptions& options() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cartopull::http
