#include "sched/run_outcome.hpp"

namespace cartopull::sched {

const char* to_string(RunOutcome outcome) noexcept {
  switch (outcome) {
    case RunOutcome::succeeded: return "succeeded";
    case RunOutcome::partial: return "partial";
    case RunOutcome::failed: return "failed";
    case RunOutcome::cancelled: return "cancelled";
  }
  return "unknown";
}

const char* to_string(RunTrigger trigger) noexcept {
  switch (trigger) {
    case RunTrigger::schedule: return "schedule";
    case RunTrigger::at_start: return "at_start";
    case RunTrigger::catch_up: return "catch_up";
    case RunTrigger::backoff: return "backoff";
    case RunTrigger::manual: return "manual";
  }
  return "unknown";
}

}  // namespace cartopull::sched
