#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sched/run_outcome.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace cartopull::metrics {

// Bounded label sets. Every series of these values exists (at 0) from construction on.
enum class CodeClass { c2xx, c3xx, c4xx, c5xx, error };  // error: no HTTP response (DNS, TLS, timeout...)
inline constexpr int kCodeClassCount = 5;
CodeClass code_class_of(int http_status) noexcept;

enum class RetryReason { timeout, connection, rate_limited, server_error, token_expired };
inline constexpr int kRetryReasonCount = 5;

enum class ItemOutcome { fetched, unchanged, empty, failed };
inline constexpr int kItemOutcomeCount = 4;

const char* to_string(CodeClass c) noexcept;
const char* to_string(RetryReason r) noexcept;
const char* to_string(ItemOutcome o) noexcept;

// The label values known at startup (from the config): they bound every label.
struct Catalogue {
  std::vector<std::string> sources;
  std::vector<std::string> endpoint_groups;  // CARTO rate-limit groups, e.g. "anonymous", "tile"
  std::vector<std::string> jobs;
};

// Handles of one source x endpoint group (labels source, group).
struct HttpSeries {
  std::array<prometheus::Counter*, kCodeClassCount> requests{};   // cartopull_http_requests_total
  prometheus::Histogram* duration = nullptr;                      // cartopull_http_request_duration_seconds
  prometheus::Counter* response_bytes = nullptr;                  // cartopull_http_response_bytes_total
  std::array<prometheus::Counter*, kRetryReasonCount> retries{};  // cartopull_http_retries_total
  prometheus::Counter* limiter_wait = nullptr;                    // cartopull_http_limiter_wait_seconds_total
  prometheus::Gauge* concurrency_limit = nullptr;                 // cartopull_http_concurrency_limit_requests
  prometheus::Gauge* in_flight = nullptr;                         // cartopull_http_in_flight_requests
  prometheus::Gauge* carto_remaining = nullptr;  // cartopull_carto_ratelimit_remaining_requests
};

// Handles of one job (label job).
struct JobSeries {
  std::array<prometheus::Counter*, sched::kRunOutcomeCount> runs{};  // cartopull_job_runs_total
  prometheus::Gauge* last_success = nullptr;        // cartopull_job_last_success_timestamp_seconds
  prometheus::Gauge* last_duration = nullptr;       // cartopull_job_last_run_duration_seconds
  prometheus::Counter* skipped_overlaps = nullptr;  // cartopull_job_skipped_overlaps_total
  prometheus::Gauge* next_run = nullptr;            // cartopull_job_next_run_timestamp_seconds (0: none)
  std::array<prometheus::Counter*, kItemOutcomeCount> items{};  // cartopull_extract_items_total
  prometheus::Gauge* tiles_pending = nullptr;                   // cartopull_extract_tiles_pending
  prometheus::Gauge* dead_letters = nullptr;  // cartopull_job_dead_letters (after the last run)
};

struct StoreSeries {
  prometheus::Histogram* write_duration = nullptr;  // cartopull_store_write_duration_seconds
  prometheus::Gauge* queue_bytes = nullptr;         // cartopull_store_queue_bytes
  prometheus::Gauge* database_size = nullptr;       // cartopull_store_database_size_bytes
  prometheus::Counter* write_errors = nullptr;      // cartopull_store_write_errors_total (failed ops)
};

// The metric catalogue, built once at startup: one prometheus-cpp Registry, every family created
// in the constructor and every handle cached, so the hot path never looks a family up by name.
// Threading: handles are atomic (any thread); ensure_*() and serialize() belong to the event loop.
// Names follow cartopull_<subsystem>_<name>_<unit>[_total], except the standard process_* metrics
// that every Prometheus client library exports under those exact names.
class Metrics {
 public:
  explicit Metrics(const Catalogue& catalogue);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // nullptr for a label value not in the catalogue (never creates unbounded series).
  HttpSeries* http(const std::string& source, const std::string& group);
  JobSeries* job(const std::string& name);
  StoreSeries& store() { return store_; }
  void set_source_up(const std::string& source, bool up);

  // Adds the series of a job or source x group that appeared in a reloaded config (at 0).
  JobSeries& ensure_job(const std::string& name);
  HttpSeries& ensure_http(const std::string& source, const std::string& group);

  // Refreshes the process_* metrics from /proc, then renders the text exposition format 0.0.4.
  std::string serialize();

  prometheus::Registry& registry() { return *registry_; }

 private:
  struct Families;
  void refresh_process();

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Families> families_;
  std::map<std::pair<std::string, std::string>, HttpSeries> http_;
  std::map<std::string, JobSeries> jobs_;
  std::map<std::string, prometheus::Gauge*> source_up_;
  StoreSeries store_;
  double reported_cpu_seconds_ = 0;
};

}  // namespace cartopull::metrics
