#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace cartopull::fake {

// One HTTP reply as a test sees it. error is set (and status 0) when the exchange failed: reset,
// truncated body, timeout, TLS failure.
struct SyncReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::error_code error;

  std::string header(std::string_view lower_name) const;
};

// A tiny blocking HTTP/1.1 keep-alive client for tests (not for production: no pooling, no
// redirects). Reconnects when the server closed the connection; never retries. Every socket read and write
// has a 5 s limit so a broken test fails instead of hanging. With ca_pem it speaks TLS and verifies the
// server as "localhost" against that CA.
class SyncClient {
 public:
  explicit SyncClient(std::uint16_t port, std::string ca_pem = "");
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  SyncReply get(std::string_view target,
                const std::vector<std::pair<std::string, std::string>>& headers = {});
  SyncReply request(std::string_view method, std::string_view target, std::string_view body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  std::uint64_t connects() const;  // connections opened so far (keep-alive reuse shows as 1)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sends raw bytes on a fresh connection and reads until the server closes it (or 5 s), for
// malformed exchanges. Returns what was read; error set when the read ended with an error (RST).
SyncReply raw_exchange(std::uint16_t port, std::string_view bytes);

}  // namespace cartopull::fake
