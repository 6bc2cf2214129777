#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/headers.hpp"
#include "support/http_test/test_pki.hpp"

namespace cartopull::test {

// One request as the server saw it.
struct ServedRequest {
  std::string method;
  std::string target;
  http::Headers headers;
  std::string body;
  std::chrono::steady_clock::time_point arrived;
  std::uint64_t connection = 0;  // 1-based number of the TCP connection it came on
};

// What the server does with one request.
struct Reply {
  enum class Action {
    respond,      // send the response (after `delay`)
    stall,        // read the request, never answer
    close,        // close the connection without answering
    close_after,  // answer with keep-alive, then close the socket (a server-side idle close)
    truncate,     // announce Content-Length body+100, send body, close
    drip,         // send the body one byte every `delay`
  };
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Action action = Action::respond;
  std::chrono::milliseconds delay{0};
  bool gzip = false;  // compress the body and set Content-Encoding: gzip
};

using Handler = std::function<Reply(const ServedRequest&)>;

// A scripted HTTP/1.1 server on 127.0.0.1:0 (plain or TLS) for client tests and benchmarks; runs on the
// given executor (the test's own loop, or a separate thread's for benchmarks). Keeps every request when
// `record` is on.
class ScriptedServer {
 public:
  ScriptedServer(boost::asio::any_io_executor executor, Handler handler, std::optional<TlsIdentity> tls = {},
                 bool record = true);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:PORT" + path (https for a TLS server).
  std::string url(std::string_view path = "/") const;
  const std::vector<ServedRequest>& requests() const;
  std::uint64_t connections() const;
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Gzip-compresses `data` (for scripted compressed bodies).
std::string gzip_compress(std::string_view data);

}  // namespace cartopull::test
