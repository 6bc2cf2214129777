#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cartopull::test {

// A minimal HTTP CONNECT proxy on 127.0.0.1:0: opens a tunnel to the requested host:port and relays bytes
// both ways. Records each CONNECT authority. `refuse` answers 403 instead.
class ConnectProxy {
 public:
  explicit ConnectProxy(boost::asio::any_io_executor executor, bool refuse = false);
  ~ConnectProxy();
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"
  const std::vector<std::string>& tunnels() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Accepts TCP connections and never reads or writes: for handshake and read deadlines.
class SilentServer {
 public:
  explicit SilentServer(boost::asio::any_io_executor executor);
  ~SilentServer();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cartopull::test
