#include "sched/scheduler.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <tuple>

namespace cartopull::sched {

namespace {

RunTrigger trigger_of(PlanReason reason) {
  switch (reason) {
    case PlanReason::at_start: return RunTrigger::at_start;
    case PlanReason::catch_up: return RunTrigger::catch_up;
    case PlanReason::backoff: return RunTrigger::backoff;
    case PlanReason::schedule: return RunTrigger::schedule;
  }
  return RunTrigger::schedule;
}

}  // namespace

struct Scheduler::Job {
  Job(asio::any_io_executor ex, std::string n, Schedule s, JobHistory h)
      : name(std::move(n)), schedule(std::move(s)), history(h), wake(ex) {}

  std::string name;
  Schedule schedule;
  JobHistory history;
  std::optional<Plan> plan;
  bool plan_valid = false;  // false: plan again before sleeping
  bool running = false;
  bool trigger_pending = false;
  bool removed = false;
  bool cancel_requested = false;
  bool loop_started = false;
  std::optional<RunOutcome> last_outcome;
  std::uint64_t runs = 0;
  std::uint64_t skipped_overlaps = 0;
  asio::steady_timer wake;
  asio::cancellation_signal cancel;
};

Scheduler::Scheduler(asio::any_io_executor executor, const Clock& clock, RunFunction run,
                     SchedulerHooks hooks, BackoffPolicy backoff)
    : executor_(std::move(executor)),
      clock_(clock),
      run_(std::move(run)),
      hooks_(std::move(hooks)),
      backoff_(backoff),
      changed_(executor_) {}

Scheduler::~Scheduler() = default;

bool Scheduler::add_job(std::string name, Schedule schedule, JobHistory history) {
  if (jobs_.count(name) != 0) return false;
  auto job = std::make_shared<Job>(executor_, name, std::move(schedule), history);
  jobs_.emplace(std::move(name), job);
  if (started_ && !stopping_) {
    job->loop_started = true;
    ++live_loops_;
    asio::co_spawn(executor_, job_loop(job), asio::detached);
  }
  return true;
}

bool Scheduler::set_schedule(const std::string& name, Schedule schedule) {
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return false;
  it->second->schedule = std::move(schedule);
  it->second->plan_valid = false;
  it->second->wake.cancel();
  return true;
}

bool Scheduler::remove_job(const std::string& name) {
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return false;
  auto job = it->second;
  jobs_.erase(it);
  job->removed = true;
  job->wake.cancel();
  if (job->loop_started) retired_.push_back(std::move(job));
  if (hooks_.planned) hooks_.planned(name, std::nullopt);
  return true;
}

void Scheduler::start() {
  if (started_) return;
  started_ = true;
  for (auto& [name, job] : jobs_) {
    job->loop_started = true;
    ++live_loops_;
    asio::co_spawn(executor_, job_loop(job), asio::detached);
  }
}

TriggerResult Scheduler::trigger(const std::string& name) {
  if (stopping_) return TriggerResult::stopping;
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return TriggerResult::unknown_job;
  auto& job = *it->second;
  if (job.running) {
    ++job.skipped_overlaps;
    if (hooks_.skipped_overlap) hooks_.skipped_overlap(job.name, 1);
    return TriggerResult::already_running;
  }
  job.trigger_pending = true;
  job.wake.cancel();
  return TriggerResult::started;
}

void Scheduler::poke() {
  for (auto& [name, job] : jobs_) job->wake.cancel();
}

void Scheduler::notify_changed() {
  changed_.cancel();
}

std::size_t Scheduler::running_count() const {
  std::size_t n = 0;
  for (const auto& [name, job] : jobs_) n += job->running ? 1 : 0;
  for (const auto& job : retired_) n += job->running ? 1 : 0;
  return n;
}

asio::awaitable<void> Scheduler::job_loop(std::shared_ptr<Job> job) {
  while (!stopping_ && !job->removed) {
    const auto now = clock_.now();
    if (job->trigger_pending) {
      job->trigger_pending = false;
      co_await run_once(job, RunTrigger::manual, now);
      continue;
    }
    if (!job->plan_valid) {
      job->plan = plan_next(job->schedule, job->history, now, backoff_);
      job->plan_valid = true;
      if (hooks_.planned)
        hooks_.planned(job->name, job->plan ? std::optional<SysMs>(job->plan->at) : std::nullopt);
    }
    if (job->plan && job->plan->at <= now) {
      // Late by a stall or a suspend: still one run, and the next plan starts from its end.
      co_await run_once(job, trigger_of(job->plan->reason), job->plan->at);
      continue;
    }
    auto sleep = clock_.max_sleep();
    if (job->plan) sleep = std::min(sleep, job->plan->at - now);
    job->wake.expires_after(sleep);
    co_await job->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  --live_loops_;
  std::erase(retired_, job);
  notify_changed();
}

asio::awaitable<void> Scheduler::run_once(std::shared_ptr<Job> job, RunTrigger trigger, SysMs planned) {
  RunRequest request{job->name, trigger, planned, clock_.now()};
  job->running = true;
  job->cancel_requested = false;
  job->history.last_start = request.started;
  if (hooks_.started) hooks_.started(request);

  RunOutcome outcome = RunOutcome::failed;
  try {
    auto [error, result] = co_await asio::co_spawn(
        executor_, run_(request),
        asio::bind_cancellation_slot(job->cancel.slot(), asio::as_tuple(asio::use_awaitable)));
    if (!error) outcome = result;
  } catch (...) {
    outcome = RunOutcome::failed;  // a RunFunction that throws before its first suspension
  }
  if (job->cancel_requested && outcome != RunOutcome::succeeded) outcome = RunOutcome::cancelled;
  job->cancel.slot().clear();

  const auto ended = clock_.now();
  job->running = false;
  job->history.last_end = ended;
  job->history.ran_since_start = true;
  if (outcome == RunOutcome::failed) {
    ++job->history.consecutive_failures;
  } else if (outcome != RunOutcome::cancelled) {
    job->history.consecutive_failures = 0;
  }
  job->last_outcome = outcome;
  ++job->runs;
  job->plan_valid = false;
  if (!job->schedule.manual()) {
    if (const auto skipped = overlapped_ticks(job->schedule, request.started, ended); skipped > 0) {
      job->skipped_overlaps += skipped;
      if (hooks_.skipped_overlap) hooks_.skipped_overlap(job->name, skipped);
    }
  }
  if (hooks_.finished) hooks_.finished(request, outcome, ended);
  notify_changed();
}

asio::awaitable<void> Scheduler::wait_idle(std::chrono::steady_clock::time_point deadline) {
  while ((running_count() > 0 || live_loops_ > 0) && std::chrono::steady_clock::now() < deadline) {
    changed_.expires_at(deadline);
    co_await changed_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<StopReport> Scheduler::stop(Duration drain, Duration cancel_grace) {
  stopping_ = true;
  for (auto& [name, job] : jobs_) job->wake.cancel();
  for (auto& job : retired_) job->wake.cancel();
  StopReport report;
  const auto in_flight = static_cast<std::uint32_t>(running_count());

  co_await wait_idle(std::chrono::steady_clock::now() + drain);

  const auto still = static_cast<std::uint32_t>(running_count());
  report.drained = in_flight - still;
  if (still > 0) {
    const auto cancel = [](Job& job) {
      if (!job.running) return;
      job.cancel_requested = true;
      job.cancel.emit(asio::cancellation_type::terminal);
    };
    for (auto& [name, job] : jobs_) cancel(*job);
    for (auto& job : retired_) cancel(*job);
    co_await wait_idle(std::chrono::steady_clock::now() + cancel_grace);
  }
  report.abandoned = static_cast<std::uint32_t>(running_count());
  report.cancelled = still - report.abandoned;
  co_return report;
}

JobStatus Scheduler::status_of(const Job& job) const {
  JobStatus s;
  s.name = job.name;
  s.schedule = job.schedule.description();
  s.manual = job.schedule.manual();
  s.running = job.running;
  if (job.plan_valid && job.plan && !job.running) s.next_run = job.plan->at;
  s.last_start = job.history.last_start;
  s.last_end = job.history.last_end;
  s.last_outcome = job.last_outcome;
  s.consecutive_failures = job.history.consecutive_failures;
  s.runs = job.runs;
  s.skipped_overlaps = job.skipped_overlaps;
  return s;
}

std::vector<JobStatus> Scheduler::status() const {
  std::vector<JobStatus> out;
  out.reserve(jobs_.size());
  for (const auto& [name, job] : jobs_) out.push_back(status_of(*job));
  return out;
}

std::optional<JobStatus> Scheduler::status(const std::string& name) const {
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return std::nullopt;
  return status_of(*it->second);
}

}  // namespace cartopull::sched
