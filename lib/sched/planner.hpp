#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "sched/schedule.hpp"

namespace cartopull::sched {

// How a failing job's schedule backs off: after n failures in a row the next run is the first tick
// after last_end + min(base * factor^(n-1), cap). It only ever skips ticks, so alignment is kept.
struct BackoffPolicy {
  Duration base = std::chrono::minutes{1};
  double factor = 2.0;
  Duration cap = std::chrono::hours{1};
};

Duration backoff_delay(const BackoffPolicy& policy, std::uint32_t consecutive_failures);

// What the planner needs to know about a job's past (all wall-clock times).
struct JobHistory {
  std::optional<SysMs> last_start;  // when the last run started
  std::optional<SysMs> last_end;    // when it ended (unset: never finished, e.g. restored mid-run)
  std::uint32_t consecutive_failures = 0;
  bool ran_since_start = false;  // run_at_start applies only until the first run of this process
};

enum class PlanReason { at_start, schedule, backoff, catch_up };
const char* to_string(PlanReason reason) noexcept;

struct Plan {
  SysMs at;
  PlanReason reason = PlanReason::schedule;
};

// The next run of a job, from its schedule, its history and `now`. Pure. nullopt: never (manual).
// A tick missed while nothing ran (suspend, stall, daemon down) yields one catch-up run at `now`, not
// one per missed period.
std::optional<Plan> plan_next(const Schedule& schedule, const JobHistory& history, SysMs now,
                              const BackoffPolicy& backoff = {});

// Ticks that fell while a run was in progress, in (start, end]: they were skipped (no overlap).
std::uint64_t overlapped_ticks(const Schedule& schedule, SysMs run_start, SysMs run_end);

}  // namespace cartopull::sched
