#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "extract/fetcher.hpp"
#include "extract/run_summary.hpp"
#include "extract/writer_bridge.hpp"

namespace cartopull::extract {

// Telemetry hooks of a run (metrics and logs are wired by the app); all called on the event loop.
struct ExtractEvents {
  std::function<void(const std::string& job, const char* outcome, std::int64_t n)> items;
  std::function<void(const std::string& job, std::int64_t pending)> tiles_pending;
};

struct JobRunnerOptions {
  const config::Config* config = nullptr;
  WriterBridge* writer = nullptr;
  std::string database_path;  // read-only connection for freshness lookups
  // The fetcher of a source (one HTTP client, limiter and retry policy per source).
  std::function<Fetcher*(const std::string& source)> fetcher;
  ExtractEvents events;
  std::chrono::milliseconds progress_log_interval{10'000};
  std::chrono::milliseconds checkpoint_interval{1'000};
};

// Runs a job once: resources in order, parents first (a layergroup feeds {layergroupid} into its
// tiles and static children), every item ending fetched, unchanged, empty or failed, and the run
// recorded in the ledger. A run left interrupted by a crash is resumed, not restarted: tiles it
// already stored are not fetched again. Cancelling the coroutine ends the run `cancelled`
// (resumable). Runs on the event loop; never throws for expected failures.
class JobRunner {
 public:
  explicit JobRunner(JobRunnerOptions options);
  ~JobRunner();

  boost::asio::awaitable<RunSummary> run(config::JobConfig job, std::string trigger);

 private:
  JobRunnerOptions options_;
};

}  // namespace cartopull::extract
