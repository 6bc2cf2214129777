#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/timestamp.hpp"

namespace cartopull::store {

using RunId = std::int64_t;

enum class RunStatus { running, ok, partial, failed, cancelled, interrupted };
const char* to_string(RunStatus status) noexcept;
std::optional<RunStatus> parse_run_status(std::string_view text) noexcept;

// Items counted per outcome: fetched (new bytes), unchanged (304 or same hash), empty (204/blank),
// failed (after retries); bytes received.
struct RunCounts {
  std::int64_t fetched = 0;
  std::int64_t unchanged = 0;
  std::int64_t empty = 0;
  std::int64_t failed = 0;
  std::int64_t bytes = 0;
};

struct RunRecord {
  RunId id = 0;
  std::string job;
  std::string trigger;
  std::string started_at;
  std::optional<std::string> finished_at;
  RunStatus status = RunStatus::running;
  RunCounts counts;
  std::optional<std::string> error_summary;
  std::int64_t resumes = 0;  // times this run was resumed after an interruption
};

// Where a resource of a run stands: an opaque checkpoint chosen by the extractor (e.g. the next
// enumeration index as JSON) plus done/total items.
struct Progress {
  std::string resource;
  std::optional<std::string> checkpoint;
  std::int64_t done = 0;
  std::optional<std::int64_t> total;
  std::string updated_at;
};

// jobs, runs and run_progress. Calls write in autocommit, or inside the caller's transaction (the
// writer's batch). Threading: the thread owning `db`. Statements are prepared once and reused.
class RunLedger {
 public:
  explicit RunLedger(Database& db) : db_(db) {}

  result<std::int64_t> ensure_job(std::string_view job, Timestamp now);
  result<RunId> begin_run(std::string_view job, std::string_view trigger, Timestamp now);
  // Adds to the run's counters (the writer calls this with each batch's outcomes).
  result<void> add_counts(RunId run, const RunCounts& delta);
  result<void> finish_run(RunId run, RunStatus status, Timestamp now,
                          std::optional<std::string> error_summary = {});
  result<void> save_progress(RunId run, std::string_view resource,
                             const std::optional<std::string>& checkpoint, std::int64_t done,
                             std::optional<std::int64_t> total, Timestamp now);

  // At startup, before any run begins: every run still `running` was cut short by a crash or
  // kill. Marks them interrupted (finished_at stays NULL) and returns how many.
  result<std::int64_t> mark_unfinished_interrupted();
  // The newest run of `job` if it is interrupted: the job resumes it rather than starting anew.
  result<std::optional<RunId>> find_resumable_run(std::string_view job);
  // Sets an interrupted run running again (resumes + 1); its progress and data stay attached.
  result<void> resume_run(RunId run);

  result<std::optional<RunRecord>> get_run(RunId run);
  result<std::vector<Progress>> progress(RunId run);

 private:
  Database& db_;
  Statement add_counts_;
  Statement save_progress_;
};

}  // namespace cartopull::store
