#pragma once

#include "metrics/metrics.hpp"
#include "sched/scheduler.hpp"

namespace cartopull::metrics {

// Scheduler hooks that keep the cartopull_job_* series current: runs by outcome, last success
// (succeeded or partial), last duration, skipped overlaps, next run. `chain` hooks (e.g. logging)
// are called after. `metrics` must outlive the scheduler.
sched::SchedulerHooks scheduler_hooks(Metrics& metrics, sched::SchedulerHooks chain = {});

}  // namespace cartopull::metrics
