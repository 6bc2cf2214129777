#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sched/posix_tz_rule.hpp"

namespace cartopull::sched {

// An IANA time zone read from a TZif file (RFC 8536, versions 1 to 4), because g++ 12 has no
// std::chrono::tzdb. Immutable after construction; safe to share between threads. UTC is always
// available, even without /usr/share/zoneinfo. Leap-second records ("right/" zones) are ignored.
class TimeZone {
 public:
  static constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

  static TimeZone utc();
  // Pure: parses the bytes of a TZif file.
  static result<TimeZone> from_tzif(std::string name, std::string_view bytes);
  // Reads <dir>/<name>; "UTC" (and "Etc/UTC") never touch the disk. Names with ".." are rejected.
  static result<TimeZone> load(std::string_view name, std::string_view dir = kZoneinfoDir);

  const std::string& name() const { return name_; }

  // Local minus UTC at instant `t`.
  std::chrono::seconds offset_at(std::chrono::sys_seconds t) const;
  std::chrono::local_seconds to_local(std::chrono::sys_seconds t) const;

  // Where a wall-clock time falls. In a DST gap the time does not exist: `first` and `second` are both
  // the instant the gap ends (when the clock jumps). In an overlap it exists twice: first < second.
  struct Resolved {
    enum class Kind { unique, nonexistent, ambiguous } kind = Kind::unique;
    std::chrono::sys_seconds first;
    std::chrono::sys_seconds second;
  };
  Resolved resolve(std::chrono::local_seconds t) const;

  // The largest amount the wall clock has ever been set back in this zone (0 for UTC); bounds searches.
  std::chrono::seconds max_backward_shift() const { return max_backward_shift_; }

 private:
  struct Type {
    std::int32_t utoff = 0;
    bool is_dst = false;
  };

  std::string name_;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::uint8_t> type_index_;   // per transition
  std::vector<Type> types_{Type{}};
  std::optional<PosixTzRule> footer_;
  std::chrono::seconds max_backward_shift_{0};
};

}  // namespace cartopull::sched
