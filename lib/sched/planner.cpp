#include "sched/planner.hpp"

#include <algorithm>
#include <cmath>

namespace cartopull::sched {

Duration backoff_delay(const BackoffPolicy& policy, std::uint32_t consecutive_failures) {
  if (consecutive_failures == 0) return Duration::zero();
  const double scaled = static_cast<double>(policy.base.count()) *
                        std::pow(std::max(policy.factor, 1.0), static_cast<double>(consecutive_failures - 1));
  if (!std::isfinite(scaled) || scaled >= static_cast<double>(policy.cap.count())) return policy.cap;
  return Duration{static_cast<std::int64_t>(scaled)};
}

const char* to_string(PlanReason reason) noexcept {
  switch (reason) {
    case PlanReason::at_start: return "at_start";
    case PlanReason::schedule: return "schedule";
    case PlanReason::backoff: return "backoff";
    case PlanReason::catch_up: return "catch_up";
  }
  return "unknown";
}

std::optional<Plan> plan_next(const Schedule& schedule, const JobHistory& history, SysMs now,
                              const BackoffPolicy& backoff) {
  if (schedule.manual()) return std::nullopt;
  if (schedule.run_at_start() && !history.ran_since_start) return Plan{now, PlanReason::at_start};
  const auto last_end = history.last_end ? history.last_end : history.last_start;
  if (!last_end) {
    auto next = schedule.next_fire_after(now);
    if (!next) return std::nullopt;
    return Plan{*next, PlanReason::schedule};
  }
  auto regular = schedule.next_fire_after(*last_end);
  if (!regular) return std::nullopt;
  Plan plan{*regular, PlanReason::schedule};
  if (const auto delay = backoff_delay(backoff, history.consecutive_failures); delay > Duration::zero()) {
    auto backed_off = schedule.next_fire_after(*last_end + delay);
    if (!backed_off) return std::nullopt;
    if (*backed_off > plan.at) plan = Plan{*backed_off, PlanReason::backoff};
  }
  if (plan.at <= now) return Plan{now, PlanReason::catch_up};
  return plan;
}

std::uint64_t overlapped_ticks(const Schedule& schedule, SysMs run_start, SysMs run_end) {
  return schedule.count_fires(run_start, run_end);
}

}  // namespace cartopull::sched
