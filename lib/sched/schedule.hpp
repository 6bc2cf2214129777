#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/result.hpp"
#include "sched/cron_expr.hpp"
#include "sched/time_zone.hpp"

namespace cartopull::sched {

using Duration = std::chrono::milliseconds;
using SysMs = std::chrono::sys_time<std::chrono::milliseconds>;

// A job's fixed jitter: FNV-1a of the job name modulo `jitter`, so in [0, jitter). The same job always
// gets the same delay, so ticks never drift, while different jobs spread out.
Duration jitter_for(std::string_view job_name, Duration jitter);

// A job's compiled schedule: when it fires. Pure and immutable.
//  - every: ticks at multiples of the interval since the Unix epoch (UTC), so "15m" fires at :00, :15,
//    :30, :45 in every zone with whole-hour offsets; use cron for local times of day.
//  - cron: the expression in `timezone` (see CronExpr for the DST rules).
//  - Each tick is shifted by `offset` and by the job's fixed jitter.
class Schedule {
 public:
  static result<Schedule> compile(const config::ScheduleConfig& config, std::string_view job_name,
                                  std::string_view zoneinfo_dir = TimeZone::kZoneinfoDir);

  bool manual() const { return !every_ && !cron_; }
  bool run_at_start() const { return run_at_start_; }
  // offset + jitter: how far every fire time sits after its tick.
  Duration shift() const { return shift_; }
  // For humans and /api/jobs: "every 15m", "cron 0 3 * * * Europe/Berlin", "manual"; "+ 30s" if shifted.
  const std::string& description() const { return description_; }

  // The first fire time strictly after `t`; nullopt for manual jobs or a cron that never matches.
  std::optional<SysMs> next_fire_after(SysMs t) const;
  // How many fire times fall in (from, to], counting at most `cap`.
  std::uint64_t count_fires(SysMs from, SysMs to, std::uint64_t cap = 100000) const;

 private:
  std::optional<Duration> every_;
  std::optional<CronExpr> cron_;
  TimeZone tz_ = TimeZone::utc();
  Duration shift_{0};
  bool run_at_start_ = false;
  std::string description_ = "manual";
};

}  // namespace cartopull::sched
