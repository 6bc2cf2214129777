#pragma once

namespace cartopull::sched {

// How a run ended; the bounded label set of cartopull_job_runs_total{outcome}.
enum class RunOutcome { succeeded, partial, failed, cancelled };
inline constexpr int kRunOutcomeCount = 4;
const char* to_string(RunOutcome outcome) noexcept;

// Why a run started.
enum class RunTrigger { schedule, at_start, catch_up, backoff, manual };
const char* to_string(RunTrigger trigger) noexcept;

}  // namespace cartopull::sched
