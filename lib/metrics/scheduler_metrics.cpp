#include "metrics/scheduler_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

namespace cartopull::metrics {

namespace {

double unix_seconds(sched::SysMs t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

sched::SchedulerHooks scheduler_hooks(Metrics& metrics, sched::SchedulerHooks chain) {
  sched::SchedulerHooks hooks;
  hooks.planned = [&metrics, next = chain.planned](const std::string& job, std::optional<sched::SysMs> at) {
    if (auto* s = metrics.job(job)) s->next_run->Set(at ? unix_seconds(*at) : 0);
    if (next) next(job, at);
  };
  hooks.started = chain.started;
  hooks.finished = [&metrics, next = chain.finished](const sched::RunRequest& run, sched::RunOutcome outcome,
                                                     sched::SysMs ended) {
    if (auto* s = metrics.job(run.job)) {
      s->runs[static_cast<std::size_t>(outcome)]->Increment();
      s->last_duration->Set(std::chrono::duration<double>(ended - run.started).count());
      if (outcome == sched::RunOutcome::succeeded || outcome == sched::RunOutcome::partial) {
        s->last_success->Set(unix_seconds(ended));
      }
    }
    if (next) next(run, outcome, ended);
  };
  hooks.skipped_overlap = [&metrics, next = chain.skipped_overlap](const std::string& job, std::uint64_t n) {
    if (auto* s = metrics.job(job)) s->skipped_overlaps->Increment(static_cast<double>(n));
    if (next) next(job, n);
  };
  return hooks;
}

}  // namespace cartopull::metrics
