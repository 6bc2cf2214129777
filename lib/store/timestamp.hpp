#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cartopull::store {

using Timestamp = std::chrono::system_clock::time_point;

// Times are stored as UTC ISO-8601 text with milliseconds ("2026-11-25T17:30:00.123Z"): readable
// in plain sqlite3, sortable as text, and understood by SQLite's date functions.
std::string format_timestamp(Timestamp t);
std::optional<Timestamp> parse_timestamp(std::string_view text);

}  // namespace cartopull::store
