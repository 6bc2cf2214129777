#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "sched/status_json.hpp"

namespace {

using namespace std::chrono_literals;
using namespace cartopull::sched;
namespace json = boost::json;

TEST(StatusJson, describes_jobs_with_rfc3339_times_and_nulls) {
  JobStatus a;
  a.name = "maps";
  a.schedule = "every 15m";
  a.next_run = SysMs{std::chrono::seconds{1'795'601'700}} + 250ms;  // 2026-11-25T10:15:00.250Z
  a.last_outcome = RunOutcome::partial;
  a.runs = 3;
  a.skipped_overlaps = 1;
  JobStatus b;
  b.name = "tiles \"berlin\"";
  b.running = true;
  const auto doc = json::parse(jobs_json({a, b}));
  const auto& jobs = doc.at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].at("name"), "maps");
  EXPECT_EQ(jobs[0].at("schedule"), "every 15m");
  EXPECT_EQ(jobs[0].at("state"), "idle");
  EXPECT_EQ(jobs[0].at("next_run"), "2026-11-25T10:15:00.250Z");
  EXPECT_TRUE(jobs[0].at("last_start").is_null());
  EXPECT_EQ(jobs[0].at("last_outcome"), "partial");
  EXPECT_EQ(jobs[0].at("runs").to_number<int>(), 3);
  EXPECT_EQ(jobs[1].at("name"), "tiles \"berlin\"");  // escaped properly
  EXPECT_EQ(jobs[1].at("state"), "running");
  EXPECT_TRUE(jobs[1].at("last_outcome").is_null());
}

TEST(StatusJson, maps_trigger_results_to_http_statuses) {
  EXPECT_EQ(trigger_http_status(TriggerResult::started), 202u);
  EXPECT_EQ(trigger_http_status(TriggerResult::already_running), 409u);
  EXPECT_EQ(trigger_http_status(TriggerResult::unknown_job), 404u);
  EXPECT_EQ(trigger_http_status(TriggerResult::stopping), 503u);
  const auto doc = json::parse(trigger_json("maps", TriggerResult::already_running));
  EXPECT_EQ(doc.at("job"), "maps");
  EXPECT_EQ(doc.at("result"), "already_running");
}

TEST(Schedule, describes_itself) {
  cartopull::config::ScheduleConfig every;
  every.every = 15min;
  EXPECT_EQ(Schedule::compile(every, "j")->description(), "every 15m");
  every.offset = 30s;
  EXPECT_EQ(Schedule::compile(every, "j")->description(), "every 15m + 30s");
  cartopull::config::ScheduleConfig cron;
  cron.cron = "0 3 * * *";
  cron.timezone = "Europe/Berlin";
  EXPECT_EQ(Schedule::compile(cron, "j")->description(), "cron 0 3 * * * Europe/Berlin");
  EXPECT_EQ(Schedule::compile(cartopull::config::ScheduleConfig{}, "j")->description(), "manual");
}

}  // namespace
