#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cartopull::http {

// Where a connection goes: the pool key is scheme://host:port.
struct Origin {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;

  std::string key() const;
  friend bool operator==(const Origin&, const Origin&) = default;
};

// An absolute http(s) URL split for the wire.
struct Target {
  Origin origin;
  std::string target;  // origin-form: path and query, at least "/"
  std::string url;     // the whole URL as given (may hold credentials: log redact(url) only)
};

// Parses an absolute http:// or https:// URL (errc::bad_response is never used here: errc::config_invalid).
result<Target> parse_target(std::string_view url);

// Resolves a redirect's Location against the URL it came from (RFC 3986 §5).
result<std::string> resolve_location(std::string_view base, std::string_view location);

// Adds one query parameter, percent-encoding the value.
result<std::string> add_query_param(std::string_view url, std::string_view name, std::string_view value);

// True when the host is an IPv4 or IPv6 literal (no SNI for those, RFC 6066 §3).
bool is_ip_literal(std::string_view host) noexcept;

}  // namespace cartopull::http
