#pragma once

#include <string>
#include <string_view>

namespace cartopull {

// Masks credentials wherever a URL, header or free text is about to leave the process (log lines,
// error messages, stored URLs, metric labels): the values of the query parameters api_key, map_key
// and auth_token (also as JSON members), a password in URL userinfo, and Authorization headers.
// The mask is kRedacted; the parameter names stay so that a reader sees which credential was sent.
inline constexpr std::string_view kRedacted = "REDACTED";

// A URL or any text holding URLs, query strings, JSON or "Authorization: ..." lines.
std::string redact(std::string_view text);

// The value of one HTTP header, masked entirely when the header carries credentials
// (Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key); the auth scheme is kept.
std::string redact_header(std::string_view name, std::string_view value);

// True when the header's value is a credential.
bool is_sensitive_header(std::string_view name) noexcept;

}  // namespace cartopull
