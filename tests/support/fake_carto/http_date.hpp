#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cartopull::fake {

// IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Pure.
std::string format_http_date(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// ISO 8601 with milliseconds and Z, as JavaScript's Date.toISOString() ("1970-01-01T00:00:00.000Z").
std::string format_iso8601(std::int64_t epoch_ms);

}  // namespace cartopull::fake
