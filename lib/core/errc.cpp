#include "core/errc.hpp"

#include <string>

namespace cartopull {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cartopull"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::ok: return "ok";
      case errc::config_invalid: return "invalid configuration";
      case errc::config_missing_secret: return "secret not available";
      case errc::dns_failed: return "name resolution failed";
      case errc::connect_failed: return "connection failed";
      case errc::tls_failed: return "TLS handshake or verification failed";
      case errc::timeout: return "deadline exceeded";
      case errc::connection_reset: return "connection reset by peer";
      case errc::body_too_large: return "response body exceeds the configured limit";
      case errc::truncated_body: return "response body truncated";
      case errc::too_many_redirects: return "too many redirects";
      case errc::proxy_failed: return "proxy CONNECT failed";
      case errc::http_status: return "unexpected HTTP status";
      case errc::rate_limited: return "rate limited by the server";
      case errc::bad_response: return "malformed response";
      case errc::token_expired: return "layergroup token expired";
      case errc::store_busy: return "database busy";
      case errc::store_corrupt: return "database corrupt";
      case errc::store_failed: return "database error";
      case errc::cancelled: return "cancelled";
    }
    return "unknown cartopull error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace cartopull
