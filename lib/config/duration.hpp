#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cartopull::config {

using Duration = std::chrono::milliseconds;

// Parses "250ms", "30s", "5m", "1h", "2d" and sums like "1h30m". A bare number is rejected (the
// unit is never guessed). Millisecond resolution; negative values are rejected.
result<Duration> parse_duration(std::string_view text);

// The shortest exact spelling: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Duration d);

// Parses a byte size: "1048576", "64KiB", "64MiB", "1GiB", "500KB", "2MB" (KB/MB/GB are powers of
// ten, KiB/MiB/GiB powers of two).
result<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace cartopull::config
