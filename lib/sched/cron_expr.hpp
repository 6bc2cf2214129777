#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "sched/time_zone.hpp"

namespace cartopull::sched {

// A 5-field cron expression "minute hour day-of-month month day-of-week" with Vixie cron semantics:
// ranges a-b, lists a,b, steps */n and a-b/n, month and weekday names (jan, mon), 0 or 7 for Sunday,
// and the macros @hourly @daily @midnight @weekly @monthly @yearly @annually. When both day fields are
// restricted (neither starts with '*'), a day matches if EITHER matches, as in Vixie cron.
// Pure and immutable.
class CronExpr {
 public:
  static result<CronExpr> parse(std::string_view text);

  // The first instant strictly after `t` whose wall-clock minute in `tz` matches, at second 0.
  // DST: a time in a spring-forward gap runs once at the instant the gap ends; a time repeated by a
  // fall-back overlap runs only at its first occurrence, unless the hour field is '*' (then the
  // expression is interval-like and runs in both). Nothing within 8 years (e.g. "0 0 30 2 *"): nullopt.
  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds t, const TimeZone& tz) const;

  // Whether a wall-clock minute matches (seconds are ignored).
  bool matches(std::chrono::local_seconds t) const;

  const std::string& text() const { return text_; }

 private:
  bool day_matches(std::chrono::year_month_day ymd) const;
  // First matching local minute at or after `from`, searching up to `limit`.
  std::optional<std::chrono::local_seconds> next_local_match(std::chrono::local_seconds from,
                                                             std::chrono::local_seconds limit) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_star_ = false;
  bool dow_star_ = false;
  bool hour_star_ = false;
};

}  // namespace cartopull::sched
