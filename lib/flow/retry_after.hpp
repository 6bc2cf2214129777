#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "flow/clock.hpp"

namespace cartopull::flow {

// The longest wait a Retry-After yields: anything beyond is as good as "forever", and must not overflow.
inline constexpr std::chrono::seconds kMaxRetryAfter{86400 * 365};

// Parses a Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date (IMF-fixdate, and the
// obsolete RFC 850 and asctime forms), relative to the wall clock `now`. A date in the past gives zero;
// either form is capped at kMaxRetryAfter.
// Returns nothing for an empty or malformed value, and for CARTO's "-1", which means "allowed" (§b.10).
std::optional<Nanos> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

// Parses an HTTP-date into a wall-clock instant; dates beyond what system_clock holds saturate at its
// min() or max().
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

}  // namespace cartopull::flow
