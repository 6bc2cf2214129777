#include "metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "core/version.hpp"
#include "metrics/process_stats.hpp"

namespace cartopull::metrics {

namespace {

// Request latency: 5 ms to 60 s (CARTO tile renders take seconds; our request timeout is 60 s).
const prometheus::Histogram::BucketBoundaries kHttpBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                           1,     2.5,  5,     10,   30,  60};
// One SQLite write transaction: 0.5 ms to 5 s (busy_timeout is 5 s by default).
const prometheus::Histogram::BucketBoundaries kStoreBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,    0.25,  0.5,    1,     2.5,  5};

}  // namespace

CodeClass code_class_of(int http_status) noexcept {
  if (http_status >= 200 && http_status < 300) return CodeClass::c2xx;
  if (http_status >= 300 && http_status < 400) return CodeClass::c3xx;
  if (http_status >= 400 && http_status < 500) return CodeClass::c4xx;
  if (http_status >= 500 && http_status < 600) return CodeClass::c5xx;
  return CodeClass::error;
}

const char* to_string(CodeClass c) noexcept {
  switch (c) {
    case CodeClass::c2xx: return "2xx";
    case CodeClass::c3xx: return "3xx";
    case CodeClass::c4xx: return "4xx";
    case CodeClass::c5xx: return "5xx";
    case CodeClass::error: return "error";
  }
  return "unknown";
}

const char* to_string(RetryReason r) noexcept {
  switch (r) {
    case RetryReason::timeout: return "timeout";
    case RetryReason::connection: return "connection";
    case RetryReason::rate_limited: return "rate_limited";
    case RetryReason::server_error: return "server_error";
    case RetryReason::token_expired: return "token_expired";
  }
  return "unknown";
}

const char* to_string(ItemOutcome o) noexcept {
  switch (o) {
    case ItemOutcome::fetched: return "fetched";
    case ItemOutcome::unchanged: return "unchanged";
    case ItemOutcome::empty: return "empty";
    case ItemOutcome::failed: return "failed";
  }
  return "unknown";
}

struct Metrics::Families {
  explicit Families(prometheus::Registry& r)
      : build_info(prometheus::BuildGauge()
                       .Name("cartopull_build_info")
                       .Help("Build of the running cartopull: always 1, labelled by version.")
                       .Register(r)),
        source_up(prometheus::BuildGauge()
                      .Name("cartopull_source_up")
                      .Help("1 if the last request to the source got an HTTP response, else 0.")
                      .Register(r)),
        http_requests(prometheus::BuildCounter()
                          .Name("cartopull_http_requests_total")
                          .Help("HTTP requests completed, by status class (error: no response).")
                          .Register(r)),
        http_duration(prometheus::BuildHistogram()
                          .Name("cartopull_http_request_duration_seconds")
                          .Help("Time from sending a request to reading its whole response.")
                          .Register(r)),
        http_bytes(prometheus::BuildCounter()
                       .Name("cartopull_http_response_bytes_total")
                       .Help("Response body bytes received.")
                       .Register(r)),
        http_retries(prometheus::BuildCounter()
                         .Name("cartopull_http_retries_total")
                         .Help("Requests retried, by reason.")
                         .Register(r)),
        limiter_wait(prometheus::BuildCounter()
                         .Name("cartopull_http_limiter_wait_seconds_total")
                         .Help("Time requests spent waiting for the rate limiter.")
                         .Register(r)),
        concurrency_limit(prometheus::BuildGauge()
                              .Name("cartopull_http_concurrency_limit_requests")
                              .Help("Current adaptive concurrency limit.")
                              .Register(r)),
        in_flight(prometheus::BuildGauge()
                      .Name("cartopull_http_in_flight_requests")
                      .Help("Requests currently in flight.")
                      .Register(r)),
        carto_remaining(prometheus::BuildGauge()
                            .Name("cartopull_carto_ratelimit_remaining_requests")
                            .Help("CARTO's Carto-Rate-Limit-Remaining from the last response.")
                            .Register(r)),
        job_runs(prometheus::BuildCounter()
                     .Name("cartopull_job_runs_total")
                     .Help("Job runs finished, by outcome.")
                     .Register(r)),
        job_last_success(prometheus::BuildGauge()
                             .Name("cartopull_job_last_success_timestamp_seconds")
                             .Help("Unix time the job last finished successfully (0: never).")
                             .Register(r)),
        job_last_duration(prometheus::BuildGauge()
                              .Name("cartopull_job_last_run_duration_seconds")
                              .Help("Duration of the job's last finished run, whatever its outcome.")
                              .Register(r)),
        job_skipped(prometheus::BuildCounter()
                        .Name("cartopull_job_skipped_overlaps_total")
                        .Help("Ticks or triggers skipped because the job was still running.")
                        .Register(r)),
        job_next_run(prometheus::BuildGauge()
                         .Name("cartopull_job_next_run_timestamp_seconds")
                         .Help("Unix time of the job's next planned run (0: none planned).")
                         .Register(r)),
        items(prometheus::BuildCounter()
                  .Name("cartopull_extract_items_total")
                  .Help("Items (resources, tiles, images) processed, by outcome.")
                  .Register(r)),
        tiles_pending(prometheus::BuildGauge()
                          .Name("cartopull_extract_tiles_pending")
                          .Help("Tiles planned by the running job and not yet processed.")
                          .Register(r)),
        dead_letters(prometheus::BuildGauge()
                         .Name("cartopull_job_dead_letters")
                         .Help("Items of the job that failed and wait for a later run to fetch them.")
                         .Register(r)),
        store_write(prometheus::BuildHistogram()
                        .Name("cartopull_store_write_duration_seconds")
                        .Help("Duration of one SQLite write transaction.")
                        .Register(r)),
        store_queue(prometheus::BuildGauge()
                        .Name("cartopull_store_queue_bytes")
                        .Help("Bytes waiting in the write queue between network and SQLite.")
                        .Register(r)),
        store_size(prometheus::BuildGauge()
                       .Name("cartopull_store_database_size_bytes")
                       .Help("Size of the SQLite database file.")
                       .Register(r)),
        store_errors(prometheus::BuildCounter()
                         .Name("cartopull_store_write_errors_total")
                         .Help("Queued store writes that failed (their run records the item as failed).")
                         .Register(r)),
        cpu(prometheus::BuildCounter()
                .Name("process_cpu_seconds_total")
                .Help("Total user and system CPU time spent in seconds.")
                .Register(r)),
        rss(prometheus::BuildGauge()
                .Name("process_resident_memory_bytes")
                .Help("Resident memory size in bytes.")
                .Register(r)),
        vsize(prometheus::BuildGauge()
                  .Name("process_virtual_memory_bytes")
                  .Help("Virtual memory size in bytes.")
                  .Register(r)),
        open_fds(prometheus::BuildGauge()
                     .Name("process_open_fds")
                     .Help("Number of open file descriptors.")
                     .Register(r)),
        max_fds(prometheus::BuildGauge()
                    .Name("process_max_fds")
                    .Help("Maximum number of open file descriptors.")
                    .Register(r)),
        start_time(prometheus::BuildGauge()
                       .Name("process_start_time_seconds")
                       .Help("Start time of the process since unix epoch in seconds.")
                       .Register(r)),
        cpu_total(cpu.Add({})),
        rss_value(rss.Add({})),
        vsize_value(vsize.Add({})),
        open_fds_value(open_fds.Add({})),
        max_fds_value(max_fds.Add({})),
        start_time_value(start_time.Add({})) {}

  prometheus::Family<prometheus::Gauge>& build_info;
  prometheus::Family<prometheus::Gauge>& source_up;
  prometheus::Family<prometheus::Counter>& http_requests;
  prometheus::Family<prometheus::Histogram>& http_duration;
  prometheus::Family<prometheus::Counter>& http_bytes;
  prometheus::Family<prometheus::Counter>& http_retries;
  prometheus::Family<prometheus::Counter>& limiter_wait;
  prometheus::Family<prometheus::Gauge>& concurrency_limit;
  prometheus::Family<prometheus::Gauge>& in_flight;
  prometheus::Family<prometheus::Gauge>& carto_remaining;
  prometheus::Family<prometheus::Counter>& job_runs;
  prometheus::Family<prometheus::Gauge>& job_last_success;
  prometheus::Family<prometheus::Gauge>& job_last_duration;
  prometheus::Family<prometheus::Counter>& job_skipped;
  prometheus::Family<prometheus::Gauge>& job_next_run;
  prometheus::Family<prometheus::Counter>& items;
  prometheus::Family<prometheus::Gauge>& tiles_pending;
  prometheus::Family<prometheus::Gauge>& dead_letters;
  prometheus::Family<prometheus::Histogram>& store_write;
  prometheus::Family<prometheus::Gauge>& store_queue;
  prometheus::Family<prometheus::Gauge>& store_size;
  prometheus::Family<prometheus::Counter>& store_errors;
  prometheus::Family<prometheus::Counter>& cpu;
  prometheus::Family<prometheus::Gauge>& rss;
  prometheus::Family<prometheus::Gauge>& vsize;
  prometheus::Family<prometheus::Gauge>& open_fds;
  prometheus::Family<prometheus::Gauge>& max_fds;
  prometheus::Family<prometheus::Gauge>& start_time;
  prometheus::Counter& cpu_total;
  prometheus::Gauge& rss_value;
  prometheus::Gauge& vsize_value;
  prometheus::Gauge& open_fds_value;
  prometheus::Gauge& max_fds_value;
  prometheus::Gauge& start_time_value;
};

Metrics::Metrics(const Catalogue& catalogue)
    : registry_(std::make_shared<prometheus::Registry>()), families_(std::make_unique<Families>(*registry_)) {
  families_->build_info.Add({{"version", std::string(kVersion)}}).Set(1);
  for (const auto& source : catalogue.sources) {
    source_up_[source] = &families_->source_up.Add({{"source", source}});
    for (const auto& group : catalogue.endpoint_groups) ensure_http(source, group);
  }
  for (const auto& job : catalogue.jobs) ensure_job(job);
  store_.write_duration = &families_->store_write.Add({}, kStoreBuckets);
  store_.queue_bytes = &families_->store_queue.Add({});
  store_.database_size = &families_->store_size.Add({});
  store_.write_errors = &families_->store_errors.Add({});
  refresh_process();
}

Metrics::~Metrics() = default;

HttpSeries& Metrics::ensure_http(const std::string& source, const std::string& group) {
  const auto key = std::make_pair(source, group);
  if (auto it = http_.find(key); it != http_.end()) return it->second;
  if (source_up_.count(source) == 0) source_up_[source] = &families_->source_up.Add({{"source", source}});
  const prometheus::Labels labels{{"source", source}, {"group", group}};
  HttpSeries s;
  for (int i = 0; i < kCodeClassCount; ++i) {
    auto l = labels;
    l["code_class"] = to_string(static_cast<CodeClass>(i));
    s.requests[static_cast<std::size_t>(i)] = &families_->http_requests.Add(l);
  }
  s.duration = &families_->http_duration.Add(labels, kHttpBuckets);
  s.response_bytes = &families_->http_bytes.Add(labels);
  for (int i = 0; i < kRetryReasonCount; ++i) {
    auto l = labels;
    l["reason"] = to_string(static_cast<RetryReason>(i));
    s.retries[static_cast<std::size_t>(i)] = &families_->http_retries.Add(l);
  }
  s.limiter_wait = &families_->limiter_wait.Add(labels);
  s.concurrency_limit = &families_->concurrency_limit.Add(labels);
  s.in_flight = &families_->in_flight.Add(labels);
  s.carto_remaining = &families_->carto_remaining.Add(labels);
  return http_.emplace(key, s).first->second;
}

JobSeries& Metrics::ensure_job(const std::string& name) {
  if (auto it = jobs_.find(name); it != jobs_.end()) return it->second;
  const prometheus::Labels labels{{"job", name}};
  JobSeries s;
  for (int i = 0; i < sched::kRunOutcomeCount; ++i) {
    s.runs[static_cast<std::size_t>(i)] = &families_->job_runs.Add(
        {{"job", name}, {"outcome", sched::to_string(static_cast<sched::RunOutcome>(i))}});
  }
  s.last_success = &families_->job_last_success.Add(labels);
  s.last_duration = &families_->job_last_duration.Add(labels);
  s.skipped_overlaps = &families_->job_skipped.Add(labels);
  s.next_run = &families_->job_next_run.Add(labels);
  for (int i = 0; i < kItemOutcomeCount; ++i) {
    s.items[static_cast<std::size_t>(i)] =
        &families_->items.Add({{"job", name}, {"outcome", to_string(static_cast<ItemOutcome>(i))}});
  }
  s.tiles_pending = &families_->tiles_pending.Add(labels);
  s.dead_letters = &families_->dead_letters.Add(labels);
  return jobs_.emplace(name, s).first->second;
}

HttpSeries* Metrics::http(const std::string& source, const std::string& group) {
  const auto it = http_.find(std::make_pair(source, group));
  return it == http_.end() ? nullptr : &it->second;
}

JobSeries* Metrics::job(const std::string& name) {
  const auto it = jobs_.find(name);
  return it == jobs_.end() ? nullptr : &it->second;
}

void Metrics::set_source_up(const std::string& source, bool up) {
  if (const auto it = source_up_.find(source); it != source_up_.end()) it->second->Set(up ? 1 : 0);
}

void Metrics::refresh_process() {
  const auto stats = read_process_stats();
  if (!stats) return;
  // A prometheus-cpp Counter cannot be set: add what the kernel counted since the last scrape.
  if (stats->cpu_seconds > reported_cpu_seconds_) {
    families_->cpu_total.Increment(stats->cpu_seconds - reported_cpu_seconds_);
    reported_cpu_seconds_ = stats->cpu_seconds;
  }
  families_->rss_value.Set(stats->resident_memory_bytes);
  families_->vsize_value.Set(stats->virtual_memory_bytes);
  families_->open_fds_value.Set(stats->open_fds);
  families_->max_fds_value.Set(stats->max_fds);
  families_->start_time_value.Set(stats->start_time_seconds);
}

std::string Metrics::serialize() {
  refresh_process();
  return prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

}  // namespace cartopull::metrics
