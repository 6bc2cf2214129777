#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/version.hpp"
#include "metrics/metrics.hpp"
#include "metrics/process_stats.hpp"
#include "metrics/scheduler_metrics.hpp"

namespace {

using namespace cartopull::metrics;
namespace asio = boost::asio;

// The text exposition format as series -> value ("name{k=\"v\",...}" as written), plus TYPE lines.
struct Exposition {
  std::map<std::string, double> series;
  std::map<std::string, std::string> types;
};

Exposition parse(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream l(line.substr(7));
      std::string name, type;
      l >> name >> type;
      e.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    char* end = nullptr;
    const auto value = line.substr(space + 1);
    const double v = std::strtod(value.c_str(), &end);
    EXPECT_EQ(*end, '\0') << "bad value in: " << line;
    e.series[line.substr(0, space)] = v;
  }
  return e;
}

Catalogue catalogue() {
  return Catalogue{{"carto"}, {"anonymous", "tile"}, {"maps", "tiles-berlin"}};
}

TEST(Metrics, every_known_series_exists_at_zero_from_startup) {
  Metrics m(catalogue());
  const auto e = parse(m.serialize());
  const char* zero[] = {
      R"(cartopull_source_up{source="carto"})",
      R"(cartopull_http_requests_total{code_class="2xx",group="anonymous",source="carto"})",
      R"(cartopull_http_requests_total{code_class="error",group="tile",source="carto"})",
      R"(cartopull_http_request_duration_seconds_count{group="tile",source="carto"})",
      R"(cartopull_http_request_duration_seconds_bucket{group="tile",source="carto",le="+Inf"})",
      R"(cartopull_http_response_bytes_total{group="tile",source="carto"})",
      R"(cartopull_http_retries_total{group="anonymous",reason="rate_limited",source="carto"})",
      R"(cartopull_http_retries_total{group="tile",reason="token_expired",source="carto"})",
      R"(cartopull_http_limiter_wait_seconds_total{group="tile",source="carto"})",
      R"(cartopull_http_concurrency_limit_requests{group="tile",source="carto"})",
      R"(cartopull_http_in_flight_requests{group="tile",source="carto"})",
      R"(cartopull_carto_ratelimit_remaining_requests{group="anonymous",source="carto"})",
      R"(cartopull_job_runs_total{job="maps",outcome="succeeded"})",
      R"(cartopull_job_runs_total{job="tiles-berlin",outcome="cancelled"})",
      R"(cartopull_job_last_success_timestamp_seconds{job="maps"})",
      R"(cartopull_job_last_run_duration_seconds{job="maps"})",
      R"(cartopull_job_skipped_overlaps_total{job="tiles-berlin"})",
      R"(cartopull_job_next_run_timestamp_seconds{job="tiles-berlin"})",
      R"(cartopull_extract_items_total{job="tiles-berlin",outcome="unchanged"})",
      R"(cartopull_extract_tiles_pending{job="tiles-berlin"})",
      R"(cartopull_job_dead_letters{job="maps"})",
      R"(cartopull_store_write_errors_total)",
      R"(cartopull_store_write_duration_seconds_count)",
      R"(cartopull_store_queue_bytes)",
      R"(cartopull_store_database_size_bytes)",
  };
  for (const char* s : zero) {
    const auto it = e.series.find(s);
    ASSERT_NE(it, e.series.end()) << "missing " << s;
    EXPECT_EQ(it->second, 0) << s;
  }
  EXPECT_EQ(e.series.at("cartopull_build_info{version=\"" + std::string(cartopull::kVersion) + "\"}"), 1);
  EXPECT_EQ(e.types.at("cartopull_http_requests_total"), "counter");
  EXPECT_EQ(e.types.at("cartopull_http_request_duration_seconds"), "histogram");
  EXPECT_EQ(e.types.at("cartopull_job_next_run_timestamp_seconds"), "gauge");
  // 1 source x 2 groups x 5 classes; 2 jobs x 4 outcomes: no other label values.
  int requests = 0, runs = 0;
  for (const auto& [name, v] : e.series) {
    requests += name.rfind("cartopull_http_requests_total{", 0) == 0;
    runs += name.rfind("cartopull_job_runs_total{", 0) == 0;
  }
  EXPECT_EQ(requests, 10);
  EXPECT_EQ(runs, 8);
}

TEST(Metrics, process_metrics_come_from_proc) {
  Metrics m(catalogue());
  const auto e = parse(m.serialize());
  EXPECT_GT(e.series.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(e.series.at("process_open_fds"), 3);
  EXPECT_GT(e.series.at("process_max_fds"), 0);
  EXPECT_GE(e.series.at("process_cpu_seconds_total"), 0);
  const double start = e.series.at("process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(start, now - 24 * 3600);  // this test process started recently
  EXPECT_LE(start, now + 1);
}

TEST(Metrics, handles_update_their_series_and_unknown_labels_get_none) {
  Metrics m(catalogue());
  auto* http = m.http("carto", "tile");
  ASSERT_NE(http, nullptr);
  http->requests[static_cast<std::size_t>(code_class_of(204))]->Increment();
  http->requests[static_cast<std::size_t>(code_class_of(503))]->Increment(2);
  http->requests[static_cast<std::size_t>(code_class_of(0))]->Increment();
  http->duration->Observe(0.2);
  http->carto_remaining->Set(17);
  m.set_source_up("carto", true);
  m.job("maps")->items[static_cast<std::size_t>(ItemOutcome::fetched)]->Increment(5);
  m.store().database_size->Set(4096);
  EXPECT_EQ(m.http("carto", "nope"), nullptr);
  EXPECT_EQ(m.job("nope"), nullptr);
  m.set_source_up("other", true);  // ignored: not in the catalogue
  m.ensure_job("added-on-reload");
  const auto e = parse(m.serialize());
  EXPECT_EQ(e.series.at(R"(cartopull_http_requests_total{code_class="2xx",group="tile",source="carto"})"), 1);
  EXPECT_EQ(e.series.at(R"(cartopull_http_requests_total{code_class="5xx",group="tile",source="carto"})"), 2);
  EXPECT_EQ(e.series.at(R"(cartopull_http_requests_total{code_class="error",group="tile",source="carto"})"),
            1);
  EXPECT_EQ(
      e.series.at(R"(cartopull_http_request_duration_seconds_bucket{group="tile",source="carto",le="0.25"})"),
      1);
  EXPECT_EQ(
      e.series.at(R"(cartopull_http_request_duration_seconds_bucket{group="tile",source="carto",le="0.1"})"),
      0);
  EXPECT_EQ(e.series.at(R"(cartopull_carto_ratelimit_remaining_requests{group="tile",source="carto"})"), 17);
  EXPECT_EQ(e.series.at(R"(cartopull_source_up{source="carto"})"), 1);
  EXPECT_EQ(e.series.count(R"(cartopull_source_up{source="other"})"), 0u);
  EXPECT_EQ(e.series.at(R"(cartopull_extract_items_total{job="maps",outcome="fetched"})"), 5);
  EXPECT_EQ(e.series.at("cartopull_store_database_size_bytes"), 4096);
  EXPECT_EQ(e.series.at(R"(cartopull_job_runs_total{job="added-on-reload",outcome="failed"})"), 0);
}

TEST(Metrics, scheduler_hooks_record_runs_durations_and_plans) {
  using namespace std::chrono_literals;
  Metrics m(catalogue());
  int chained = 0;
  cartopull::sched::SchedulerHooks chain;
  chain.finished = [&](const cartopull::sched::RunRequest&, cartopull::sched::RunOutcome,
                       cartopull::sched::SysMs) { ++chained; };
  auto hooks = scheduler_hooks(m, chain);
  const cartopull::sched::SysMs t0{std::chrono::seconds{1'800'000'000}};
  cartopull::sched::RunRequest run{"maps", cartopull::sched::RunTrigger::schedule, t0, t0};
  hooks.planned("maps", t0 + 15min);
  hooks.finished(run, cartopull::sched::RunOutcome::succeeded, t0 + 2500ms);
  hooks.finished(run, cartopull::sched::RunOutcome::failed, t0 + 4s);
  hooks.skipped_overlap("maps", 3);
  hooks.planned("tiles-berlin", std::nullopt);
  const auto e = parse(m.serialize());
  EXPECT_EQ(e.series.at(R"(cartopull_job_next_run_timestamp_seconds{job="maps"})"), 1'800'000'900);
  EXPECT_EQ(e.series.at(R"(cartopull_job_runs_total{job="maps",outcome="succeeded"})"), 1);
  EXPECT_EQ(e.series.at(R"(cartopull_job_runs_total{job="maps",outcome="failed"})"), 1);
  EXPECT_EQ(e.series.at(R"(cartopull_job_last_success_timestamp_seconds{job="maps"})"), 1'800'000'002.5);
  EXPECT_EQ(e.series.at(R"(cartopull_job_last_run_duration_seconds{job="maps"})"), 4);
  EXPECT_EQ(e.series.at(R"(cartopull_job_skipped_overlaps_total{job="maps"})"), 3);
  EXPECT_EQ(e.series.at(R"(cartopull_job_next_run_timestamp_seconds{job="tiles-berlin"})"), 0);
  EXPECT_EQ(chained, 2);
}

// Lints text with Prometheus' own promtool (Debian package prometheus); returns its findings.
std::string promtool_findings(const std::string& exposition, int& status) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cartopull-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "metrics.txt";
  std::ofstream(file) << exposition;
  const auto out = dir / "promtool.out";
  const std::string cmd =
      "/usr/bin/promtool check metrics < " + file.string() + " > " + out.string() + " 2>&1";
  status = std::system(cmd.c_str());
  std::ifstream report(out);
  std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  return text;
}

// The real output, after some traffic, and with an empty catalogue (no jobs yet), passes the linter.
TEST(Metrics, output_passes_promtool_check_metrics) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/promtool")) << "apt-get install prometheus";
  Metrics m(catalogue());
  m.http("carto", "tile")->duration->Observe(0.03);
  m.http("carto", "tile")->requests[0]->Increment();
  m.store().write_duration->Observe(0.002);
  int status = -1;
  EXPECT_EQ(promtool_findings(m.serialize(), status), "");
  EXPECT_EQ(status, 0);
  Metrics empty(Catalogue{});
  EXPECT_EQ(promtool_findings(empty.serialize(), status), "");
  EXPECT_EQ(status, 0);
  // And the check is not a rubber stamp: a counter without _total is a finding.
  EXPECT_NE(promtool_findings("# HELP foo x\n# TYPE foo counter\nfoo 1\n", status), "");
  EXPECT_NE(status, 0);
}

TEST(ProcessStats, parses_proc_stat_with_a_command_name_holding_spaces_and_parens) {
  // proc(5) fields 1..24; comm "(a b) c)" is the awkward case.
  const std::string stat =
      "4242 ((a b) c) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 3 0 500000 104857600 2560 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto s = parse_proc_stat(stat, 1'700'000'000, 100, 4096);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 4.0);  // (250 + 150) / 100
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'700'005'000);
  EXPECT_DOUBLE_EQ(s->virtual_memory_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s->resident_memory_bytes, 2560.0 * 4096);
  EXPECT_FALSE(parse_proc_stat("garbage", 0, 100, 4096));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3", 0, 100, 4096));
  EXPECT_EQ(parse_boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1700000000.0);
  EXPECT_FALSE(parse_boot_time("cpu 1 2 3\n"));
}

}  // namespace
