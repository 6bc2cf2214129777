#pragma once

#include <system_error>

namespace cartopull {

// Expected runtime failures, translated once at the adapter (http/, store/, config/) so that no
// layer above compares Asio, OpenSSL or SQLite codes.
enum class errc {
  ok = 0,
  // configuration
  config_invalid,
  config_missing_secret,
  // network
  dns_failed,
  connect_failed,
  tls_failed,
  timeout,
  connection_reset,
  body_too_large,
  truncated_body,
  too_many_redirects,
  proxy_failed,
  // protocol and API
  http_status,
  rate_limited,
  bad_response,
  token_expired,
  // storage
  store_busy,
  store_corrupt,
  store_failed,
  // control
  cancelled,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace cartopull

template <>
struct std::is_error_code_enum<cartopull::errc> : std::true_type {};
