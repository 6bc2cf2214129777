#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "sched/planner.hpp"
#include "sched/schedule.hpp"

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using cartopull::config::ScheduleConfig;
using cartopull::sched::backoff_delay;
using cartopull::sched::BackoffPolicy;
using cartopull::sched::jitter_for;
using cartopull::sched::JobHistory;
using cartopull::sched::overlapped_ticks;
using cartopull::sched::plan_next;
using cartopull::sched::PlanReason;
using cartopull::sched::Schedule;
using cartopull::sched::SysMs;

SysMs at(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%d", &y, &mo, &d, &h, &mi, &s, &ms) < 6)
    ADD_FAILURE() << text;
  return SysMs{sys_days{year{y} / mo / d}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s} +
               milliseconds{ms}};
}

std::string iso(SysMs t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                hms.minutes().count(), static_cast<long>(hms.seconds().count()),
                static_cast<long>(hms.subseconds().count()));
  return buf;
}

Schedule every(milliseconds period, milliseconds offset = 0ms, bool run_at_start = false) {
  ScheduleConfig c;
  c.every = period;
  c.offset = offset;
  c.run_at_start = run_at_start;
  auto s = Schedule::compile(c, "job");
  EXPECT_TRUE(s);
  return *s;
}

Schedule cron(const std::string& expr, const std::string& tz = "UTC") {
  ScheduleConfig c;
  c.cron = expr;
  c.timezone = tz;
  auto s = Schedule::compile(c, "job");
  EXPECT_TRUE(s) << expr;
  return *s;
}

struct FireCase {
  milliseconds period;
  milliseconds offset;
  const char* after;
  const char* expected;
};

TEST(Schedule, intervals_align_to_the_wall_clock_plus_offset) {
  const FireCase cases[] = {
      {15min, 0ms, "2026-11-25T10:07:31", "2026-11-25T10:15:00.000"},
      {15min, 0ms, "2026-11-25T10:15:00", "2026-11-25T10:30:00.000"},
      {15min, 30s, "2026-11-25T10:07:31", "2026-11-25T10:15:30.000"},
      {15min, 30s, "2026-11-25T10:15:10", "2026-11-25T10:15:30.000"},
      {1h, 20min, "2026-11-25T10:25:00", "2026-11-25T11:20:00.000"},
      {24h, 0ms, "2026-11-25T10:25:00", "2026-11-26T00:00:00.000"},
      {7s, 0ms, "1970-01-01T00:00:00", "1970-01-01T00:00:07.000"},
      {250ms, 0ms, "2026-11-25T10:00:00.100", "2026-11-25T10:00:00.250"},
  };
  for (const auto& c : cases) {
    const auto next = every(c.period, c.offset).next_fire_after(at(c.after));
    ASSERT_TRUE(next);
    EXPECT_EQ(iso(*next), c.expected)
        << c.period.count() << "ms +" << c.offset.count() << " after " << c.after;
  }
}

TEST(Schedule, cron_in_a_zone_plus_offset) {
  ScheduleConfig c;
  c.cron = "0 9 * * *";
  c.timezone = "America/New_York";
  c.offset = 90s;
  auto s = Schedule::compile(c, "job");
  ASSERT_TRUE(s);
  EXPECT_EQ(iso(*s->next_fire_after(at("2026-11-25T00:00:00"))), "2026-11-25T14:01:30.000");
  EXPECT_EQ(iso(*s->next_fire_after(at("2026-11-25T14:01:30"))), "2026-11-26T14:01:30.000");
}

TEST(Schedule, jitter_is_bounded_deterministic_and_spread) {
  std::set<long> distinct;
  for (int i = 0; i < 1000; ++i) {
    const auto name = "job-" + std::to_string(i);
    const auto j = jitter_for(name, 30s);
    EXPECT_GE(j, 0ms);
    EXPECT_LT(j, 30s);
    EXPECT_EQ(j, jitter_for(name, 30s));
    distinct.insert(static_cast<long>(j.count()));
  }
  EXPECT_GT(distinct.size(), 950u);
  EXPECT_EQ(jitter_for("any", 0ms), 0ms);
}

TEST(Schedule, jitter_never_drifts_the_ticks) {
  ScheduleConfig c;
  c.every = 1min;
  c.jitter = 20s;
  auto s = Schedule::compile(c, "tiles-berlin");
  ASSERT_TRUE(s);
  const auto j = jitter_for("tiles-berlin", 20s);
  EXPECT_EQ(s->shift(), j);
  auto t = at("2026-11-25T10:00:00");
  for (int i = 0; i < 1000; ++i) {
    const auto next = *s->next_fire_after(t);
    // Each fire sits exactly `jitter` after a whole minute, 1000 ticks later as on the first.
    EXPECT_EQ((next - j).time_since_epoch() % 1min, 0ms);
    if (i > 0) {
      EXPECT_EQ(next - t, 1min);
    }
    t = next;
  }
}

TEST(Schedule, rejects_invalid_configs) {
  ScheduleConfig both;
  both.every = 1min;
  both.cron = "* * * * *";
  EXPECT_FALSE(Schedule::compile(both, "j"));
  ScheduleConfig bad_zone;
  bad_zone.cron = "* * * * *";
  bad_zone.timezone = "Nowhere/Special";
  EXPECT_FALSE(Schedule::compile(bad_zone, "j"));
  ScheduleConfig bad_cron;
  bad_cron.cron = "61 * * * *";
  EXPECT_FALSE(Schedule::compile(bad_cron, "j"));
  ScheduleConfig zero;
  zero.every = 0ms;
  EXPECT_FALSE(Schedule::compile(zero, "j"));
  EXPECT_TRUE(Schedule::compile(ScheduleConfig{}, "j")->manual());
}

TEST(Schedule, counts_fires_in_half_open_ranges) {
  const auto s = every(15min);
  EXPECT_EQ(s.count_fires(at("2026-11-25T10:00:00"), at("2026-11-25T10:47:00")), 3u);
  EXPECT_EQ(s.count_fires(at("2026-11-25T10:00:00"), at("2026-11-25T10:45:00")), 3u);
  EXPECT_EQ(s.count_fires(at("2026-11-25T10:00:00"), at("2026-11-25T10:14:59")), 0u);
  EXPECT_EQ(s.count_fires(at("2026-11-25T10:00:00"), at("2026-11-25T09:00:00")), 0u);
  const auto c = cron("*/15 * * * *");
  EXPECT_EQ(c.count_fires(at("2026-11-25T10:00:00"), at("2026-11-25T10:47:00")), 3u);
  EXPECT_EQ(c.count_fires(at("2026-11-25T10:00:00"), at("2026-11-26T10:00:00"), 10), 10u);
}

TEST(BackoffPolicy, doubles_up_to_the_cap) {
  const BackoffPolicy p;  // 1m base, x2, 1h cap
  const std::pair<std::uint32_t, milliseconds> cases[] = {{0, 0ms},   {1, 1min}, {2, 2min}, {3, 4min},
                                                          {6, 32min}, {7, 1h},   {8, 1h},   {1000, 1h}};
  for (const auto& [failures, delay] : cases) EXPECT_EQ(backoff_delay(p, failures), delay) << failures;
}

struct PlanCase {
  const char* name;
  Schedule schedule;
  JobHistory history;
  const char* now;
  bool expect_plan;
  const char* expected_at;
  PlanReason reason;
};

TEST(Planner, plans_the_next_run_from_schedule_history_and_now) {
  const auto t = [](const char* s) { return std::optional<SysMs>(at(s)); };
  const PlanCase cases[] = {
      {"manual job never runs by itself",
       Schedule{},
       {},
       "2026-11-25T10:00:00",
       false,
       "",
       PlanReason::schedule},
      {"run_at_start runs at once",
       every(15min, 0ms, true),
       {},
       "2026-11-25T10:07:00",
       true,
       "2026-11-25T10:07:00.000",
       PlanReason::at_start},
      {"run_at_start even with restored history",
       every(15min, 0ms, true),
       {t("2026-11-24T10:00:00"), t("2026-11-24T10:01:00"), 0, false},
       "2026-11-25T10:07:00",
       true,
       "2026-11-25T10:07:00.000",
       PlanReason::at_start},
      {"run_at_start only once",
       every(15min, 0ms, true),
       {t("2026-11-25T10:07:00"), t("2026-11-25T10:08:00"), 0, true},
       "2026-11-25T10:08:00",
       true,
       "2026-11-25T10:15:00.000",
       PlanReason::schedule},
      {"first tick after now",
       every(15min),
       {},
       "2026-11-25T10:07:00",
       true,
       "2026-11-25T10:15:00.000",
       PlanReason::schedule},
      {"success: next tick after the end",
       every(15min),
       {t("2026-11-25T10:15:00"), t("2026-11-25T10:16:10"), 0, true},
       "2026-11-25T10:16:10",
       true,
       "2026-11-25T10:30:00.000",
       PlanReason::schedule},
      {"one failure skips one tick of a 1m job",
       every(1min),
       {t("2026-11-25T10:00:00"), t("2026-11-25T10:00:10"), 1, true},
       "2026-11-25T10:00:10",
       true,
       "2026-11-25T10:02:00.000",
       PlanReason::backoff},
      {"three failures: 4m",
       every(1min),
       {t("2026-11-25T10:00:00"), t("2026-11-25T10:00:10"), 3, true},
       "2026-11-25T10:00:10",
       true,
       "2026-11-25T10:05:00.000",
       PlanReason::backoff},
      {"many failures: capped at 1h",
       every(1min),
       {t("2026-11-25T10:00:00"), t("2026-11-25T10:00:10"), 40, true},
       "2026-11-25T10:00:10",
       true,
       "2026-11-25T11:01:00.000",
       PlanReason::backoff},
      {"failure of a slow schedule: no effect",
       every(6h),
       {t("2026-11-25T06:00:00"), t("2026-11-25T06:00:10"), 2, true},
       "2026-11-25T06:00:10",
       true,
       "2026-11-25T12:00:00.000",
       PlanReason::schedule},
      {"recovered: back to normal",
       every(1min),
       {t("2026-11-25T10:05:00"), t("2026-11-25T10:05:10"), 0, true},
       "2026-11-25T10:05:10",
       true,
       "2026-11-25T10:06:00.000",
       PlanReason::schedule},
      {"long stall: one catch-up now, not 40",
       every(15min),
       {t("2026-11-25T00:00:00"), t("2026-11-25T00:01:00"), 0, true},
       "2026-11-25T10:07:00",
       true,
       "2026-11-25T10:07:00.000",
       PlanReason::catch_up},
      {"daemon down: restored history catches up once",
       every(15min),
       {t("2026-11-20T00:00:00"), std::nullopt, 0, false},
       "2026-11-25T10:07:00",
       true,
       "2026-11-25T10:07:00.000",
       PlanReason::catch_up},
      {"cron job in Berlin",
       cron("0 3 * * *", "Europe/Berlin"),
       {t("2026-10-24T01:00:00"), t("2026-10-24T01:30:00"), 0, true},
       "2026-10-24T01:30:00",
       true,
       "2026-10-25T02:00:00.000",
       PlanReason::schedule},
  };
  for (const auto& c : cases) {
    const auto plan = plan_next(c.schedule, c.history, at(c.now));
    ASSERT_EQ(plan.has_value(), c.expect_plan) << c.name;
    if (!plan) continue;
    EXPECT_EQ(iso(plan->at), c.expected_at) << c.name;
    EXPECT_EQ(plan->reason, c.reason) << c.name << ": " << to_string(plan->reason);
  }
}

TEST(Planner, ticks_during_a_long_run_are_counted_as_skipped_overlaps) {
  const auto s = every(15min);
  EXPECT_EQ(overlapped_ticks(s, at("2026-11-25T10:00:00"), at("2026-11-25T10:47:00")), 3u);
  EXPECT_EQ(overlapped_ticks(s, at("2026-11-25T10:00:00"), at("2026-11-25T10:05:00")), 0u);
  // And the next run is the first tick after the end, not the skipped ones.
  JobHistory h{at("2026-11-25T10:00:00"), at("2026-11-25T10:47:00"), 0, true};
  EXPECT_EQ(iso(plan_next(s, h, at("2026-11-25T10:47:00"))->at), "2026-11-25T11:00:00.000");
}

}  // namespace
