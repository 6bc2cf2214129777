#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "sched/planner.hpp"

namespace cartopull::app {

// Reads of the run ledger for the daemon, on their own read-only connection (they never block the
// writer). A missing or unreadable database reads as "no history".

// The last run of a job, so that a tick missed while the daemon was down runs once at startup.
sched::JobHistory history_of(const std::string& database, const std::string& job);

// GET /api/runs: the newest runs (of `job`, or of every job when empty), newest first, as JSON.
std::string runs_json(const std::string& database, const std::string& job, std::size_t limit);

// Dead letters of a job waiting for a later run (the cartopull_job_dead_letters gauge); 0 when unreadable.
std::int64_t dead_letter_count(const std::string& database, const std::string& job);
// The same for every job that has any, keyed by job name.
std::map<std::string, std::int64_t> dead_letter_counts(const std::string& database);

}  // namespace cartopull::app
