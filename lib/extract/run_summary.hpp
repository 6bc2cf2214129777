#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "store/run_ledger.hpp"

namespace cartopull::extract {

// What one run of a job did: the ledger row's essentials plus timing, for the CLI and the logs.
struct RunSummary {
  std::string job;
  store::RunId run = 0;
  store::RunStatus status = store::RunStatus::failed;
  store::RunCounts counts;
  std::chrono::milliseconds duration{0};
  bool resumed = false;
  std::string error;  // first failure reason, redacted

  std::int64_t items() const { return counts.fetched + counts.unchanged + counts.empty + counts.failed; }
};

// ok when nothing failed; partial when failures are at most `threshold` of the items; else failed.
store::RunStatus decide_status(const store::RunCounts& counts, double threshold);

// A one-screen summary: outcome counts, bytes, duration, rate.
std::string format_summary(const RunSummary& summary);

}  // namespace cartopull::extract
