#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sched/clock.hpp"
#include "sched/planner.hpp"
#include "sched/run_outcome.hpp"
#include "sched/schedule.hpp"

namespace cartopull::sched {

namespace asio = boost::asio;

struct RunRequest {
  std::string job;
  RunTrigger trigger = RunTrigger::schedule;
  SysMs planned;  // the planned time (== started for manual runs)
  SysMs started;
};

// Starts one run of a job. The scheduler cancels it (terminal cancellation, delivered to the
// awaitable's cancellation state) when stop() runs out of drain time. An exception counts as failed.
using RunFunction = std::function<asio::awaitable<RunOutcome>(RunRequest)>;

// Callbacks for metrics and logs, all called on the scheduler's executor. Any may be empty.
struct SchedulerHooks {
  std::function<void(const std::string& job, std::optional<SysMs> next)> planned;
  std::function<void(const RunRequest&)> started;
  std::function<void(const RunRequest&, RunOutcome, SysMs ended)> finished;
  std::function<void(const std::string& job, std::uint64_t ticks)> skipped_overlap;
};

struct JobStatus {
  std::string name;
  std::string schedule;  // Schedule::description()
  bool manual = false;
  bool running = false;
  std::optional<SysMs> next_run;
  std::optional<SysMs> last_start;
  std::optional<SysMs> last_end;
  std::optional<RunOutcome> last_outcome;
  std::uint32_t consecutive_failures = 0;
  std::uint64_t runs = 0;
  std::uint64_t skipped_overlaps = 0;
};

enum class TriggerResult { started, already_running, unknown_job, stopping };

struct StopReport {
  std::uint32_t drained = 0;    // runs that finished within the drain time
  std::uint32_t cancelled = 0;  // runs cancelled after it
  std::uint32_t abandoned = 0;  // runs that ignored cancellation within the grace time
};

// One coroutine per job on one executor: it sleeps until the planned time (in slices of
// Clock::max_sleep) and awaits the run. A job never overlaps itself: a tick or a trigger that finds
// it running is skipped and counted. One job's failure or exception never affects another.
// Threading: every member must be called on the executor's thread. The Clock must outlive this.
// Lifetime: co_await stop() before destroying it (the job loops refer to it).
class Scheduler {
 public:
  Scheduler(asio::any_io_executor executor, const Clock& clock, RunFunction run, SchedulerHooks hooks = {},
            BackoffPolicy backoff = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds a job (its loop starts now if start() was called). `history` restores the last run from the
  // store, so that a tick missed while the daemon was down runs once. False if the name exists.
  bool add_job(std::string name, Schedule schedule, JobHistory history = {});
  // Replaces a job's schedule (config reload): an in-flight run continues, the new schedule applies
  // from the next tick. False if unknown.
  bool set_schedule(const std::string& name, Schedule schedule);
  // Removes a job: it plans no more; an in-flight run finishes first (drains). False if unknown.
  bool remove_job(const std::string& name);

  void start();
  // "Run now": starts the job at once unless it is running (then the trigger is skipped and counted).
  TriggerResult trigger(const std::string& name);
  // Wakes every sleeping job to re-read the clock (after ManualClock::set, or a detected clock step).
  void poke();

  // Stops scheduling, waits up to `drain` for in-flight runs, cancels the rest and waits up to
  // `cancel_grace` for them to end. Completes when every job loop has exited (unless abandoned).
  asio::awaitable<StopReport> stop(Duration drain, Duration cancel_grace = std::chrono::seconds{5});

  std::vector<JobStatus> status() const;
  std::optional<JobStatus> status(const std::string& name) const;

 private:
  struct Job;
  asio::awaitable<void> job_loop(std::shared_ptr<Job> job);
  asio::awaitable<void> run_once(std::shared_ptr<Job> job, RunTrigger trigger, SysMs planned);
  // Waits until no run is in flight and every loop has exited, or until `deadline`.
  asio::awaitable<void> wait_idle(std::chrono::steady_clock::time_point deadline);
  JobStatus status_of(const Job& job) const;
  void notify_changed();
  std::size_t running_count() const;

  asio::any_io_executor executor_;
  const Clock& clock_;
  RunFunction run_;
  SchedulerHooks hooks_;
  BackoffPolicy backoff_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::vector<std::shared_ptr<Job>> retired_;  // removed jobs whose loop is still draining
  asio::steady_timer changed_;                 // cancelled whenever a run ends or a loop exits
  bool started_ = false;
  bool stopping_ = false;
  std::size_t live_loops_ = 0;
};

}  // namespace cartopull::sched
