#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/secret.hpp"
#include "core/result.hpp"

namespace cartopull::http {

namespace asio = boost::asio;

// What an injected /api handler answers; the body is JSON unless content_type says otherwise.
struct AdminResponse {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// The app's side of the admin server. Called on the server's executor (the event loop), one request
// at a time per connection; they must not block for long. An empty handler answers 404 (api) or,
// for `ready`, "not ready". A handler that throws answers 500.
struct AdminHandlers {
  std::function<std::string()> metrics;  // text exposition, e.g. metrics::Metrics::serialize
  std::function<bool()> ready;           // config loaded, store open, not shutting down
  std::function<AdminResponse()> jobs;   // GET /api/jobs
  std::function<AdminResponse(std::string job, std::size_t limit)> runs;  // GET /api/runs?job=&limit=
  std::function<AdminResponse(std::string job)> trigger;                  // POST /api/jobs/{name}/run
};

struct AdminServerOptions {
  std::string listen = "127.0.0.1:9464";  // IP literal or "localhost", ":port"; port 0 picks one
  config::Secret bearer_token;            // required for /api/* beyond loopback; enforced whenever it is set
  // At the cap a new connection waits for a free slot; once the oldest connection still waiting for
  // its request header has waited eviction_grace, that one is closed to make room (slowloris).
  std::uint32_t max_connections = 64;
  std::chrono::milliseconds eviction_grace{500};
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 4 * 1024;
  std::chrono::milliseconds header_timeout{5000};  // whole request header, from the first byte wait
  std::chrono::milliseconds body_timeout{5000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};  // keep-alive wait for the next request
  std::uint32_t max_requests_per_connection = 1000;
};

// Parses "host:port" (IPv4 literal, [IPv6] literal, "localhost", or empty host = all IPv4). Pure.
result<asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);
// Whether an address is loopback only (127.0.0.0/8, ::1): then /api/* needs no token.
bool is_loopback(const asio::ip::address& address);

// The HTTP server for /metrics, /healthz, /readyz and /api/* (Beast, coroutines, the app's event loop).
// Every read and write has a deadline; requests are size-limited; one coroutine per connection, so a
// slow or malformed client only ever holds its own connection.
// Routes: GET / (links), GET /metrics, GET /healthz, GET /readyz, GET /api/jobs, GET /api/runs,
// POST /api/jobs/{name}/run.
class AdminServer {
 public:
  // Binds and listens (errors as values: bad address, address in use, missing token beyond loopback).
  static result<std::unique_ptr<AdminServer>> create(asio::any_io_executor executor,
                                                     AdminServerOptions options, AdminHandlers handlers);
  ~AdminServer();  // stop()s; coroutines still running keep the shared state alive
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  asio::ip::tcp::endpoint local_endpoint() const;
  void start();  // spawns the accept loop
  void stop();   // closes the listener and every connection (in-flight responses are cut)
  std::size_t connection_count() const;
  std::uint64_t evicted_count() const;  // slow connections closed to make room at the cap

  struct Impl;

 private:
  explicit AdminServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace cartopull::http
