#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cartopull::sched {

// The POSIX TZ string of a TZif v2+ footer (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), which gives the local
// time after the file's last transition. Pure: offset_at() is a function of its argument only.
class PosixTzRule {
 public:
  // Parses "std offset [dst [offset] [,start[/time],end[/time]]]" (POSIX.1-2017 §8.3 with the RFC 8536
  // extension of hours up to ±167). Rules may be Jn, n or Mm.w.d.
  static result<PosixTzRule> parse(std::string_view text);

  // UTC offset (local - UTC) in effect at `t`, and whether it is daylight time.
  std::chrono::seconds offset_at(std::chrono::sys_seconds t) const;
  bool is_dst_at(std::chrono::sys_seconds t) const;

  std::chrono::seconds std_offset() const { return std_offset_; }
  std::chrono::seconds dst_offset() const { return dst_offset_; }
  bool has_dst() const { return has_dst_; }

  // A day-of-year rule: which calendar day in a given year, plus a local time of day.
  struct Rule {
    enum class Kind { julian_no_leap, zero_based, month_week_day } kind = Kind::month_week_day;
    int day = 0;                      // Jn: 1..365; n: 0..365; Mm.w.d: weekday 0 (Sunday)..6
    int month = 0;                    // Mm.w.d only: 1..12
    int week = 0;                     // Mm.w.d only: 1..5 (5 = last)
    std::chrono::seconds time{7200};  // local time of day of the change, default 02:00
  };

 private:
  std::chrono::sys_seconds transition_utc(int year, const Rule& rule,
                                          std::chrono::seconds offset_before) const;

  std::chrono::seconds std_offset_{0};
  std::chrono::seconds dst_offset_{0};
  bool has_dst_ = false;
  Rule start_, end_;
};

}  // namespace cartopull::sched
