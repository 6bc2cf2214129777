#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sched/cron_expr.hpp"

namespace {

using namespace std::chrono;
using cartopull::sched::CronExpr;
using cartopull::sched::TimeZone;

sys_seconds utc(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) ADD_FAILURE() << text;
  return sys_seconds{sys_days{year{y} / mo / d}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s}};
}

std::string iso(sys_seconds t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                hms.minutes().count(), static_cast<long>(hms.seconds().count()));
  return buf;
}

struct NextCase {
  const char* expr;
  const char* zone;
  const char* after;     // UTC
  const char* expected;  // UTC; "" = never
  const char* why;
};

TEST(CronExpr, next_after_follows_vixie_cron_in_a_time_zone) {
  const NextCase cases[] = {
      {"*/15 * * * *", "UTC", "2026-11-25T10:07:31", "2026-11-25T10:15:00", "step"},
      {"*/15 * * * *", "UTC", "2026-11-25T10:15:00", "2026-11-25T10:30:00", "strictly after"},
      {"0 9 * * mon-fri", "UTC", "2026-11-27T10:00:00", "2026-11-30T09:00:00", "weekday range skips weekend"},
      {"0 0 1,15 * *", "UTC", "2026-11-25T00:00:00", "2026-12-01T00:00:00", "list"},
      {"5-10/5 * * * *", "UTC", "2026-11-25T10:06:00", "2026-11-25T10:10:00", "range with step"},
      {"10/20 * * * *", "UTC", "2026-11-25T10:31:00", "2026-11-25T10:50:00", "a/n means a-max/n"},
      {"0 0 13 * fri", "UTC", "2026-11-25T00:00:00", "2026-11-27T00:00:00", "dom OR dow: Friday first"},
      {"0 0 13 * fri", "UTC", "2026-11-28T00:00:00", "2026-12-04T00:00:00", "dom OR dow: next Friday"},
      {"0 0 */2 * mon", "UTC", "2026-11-25T00:00:00", "2026-12-07T00:00:00", "'*/2' counts as '*': AND"},
      {"0 12 * * 7", "UTC", "2026-11-25T00:00:00", "2026-11-29T12:00:00", "7 is Sunday"},
      {"30 6 * JAN,jul Sun", "UTC", "2026-11-25T00:00:00", "2027-01-03T06:30:00", "names, any case"},
      {"0 0 29 2 *", "UTC", "2026-03-01T00:00:00", "2028-02-29T00:00:00", "leap day"},
      {"0 0 30 2 *", "UTC", "2026-03-01T00:00:00", "", "never matches"},
      {"@daily", "UTC", "2026-11-25T10:00:00", "2026-11-26T00:00:00", "macro"},
      {"@hourly", "UTC", "2026-11-25T10:00:00", "2026-11-25T11:00:00", "macro"},
      {"0 0 1 1 *", "UTC", "2026-11-25T10:00:00", "2027-01-01T00:00:00", "year rollover"},
      {"0 9 * * *", "Europe/Berlin", "2026-11-25T10:00:00", "2026-11-26T08:00:00", "CET"},
      {"0 9 * * *", "Europe/Berlin", "2026-07-01T10:00:00", "2026-07-02T07:00:00", "CEST"},
      // Spring forward, Berlin 2026-03-29 02:00 -> 03:00 local (01:00Z).
      {"30 2 * * *", "Europe/Berlin", "2026-03-28T02:00:00", "2026-03-29T01:00:00", "gap: runs when it ends"},
      {"30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00", "2026-03-30T00:30:00", "gap: once only"},
      {"*/20 * * * *", "Europe/Berlin", "2026-03-29T00:50:00", "2026-03-29T01:00:00", "gap collapses"},
      {"*/20 * * * *", "Europe/Berlin", "2026-03-29T01:00:00", "2026-03-29T01:20:00", "after gap normal"},
      // Fall back, Berlin 2026-10-25 03:00 -> 02:00 local (01:00Z): 02:xx happens twice.
      {"30 2 * * *", "Europe/Berlin", "2026-10-24T23:00:00", "2026-10-25T00:30:00", "overlap: first"},
      {"30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00", "2026-10-26T01:30:00", "overlap: not twice"},
      {"30 * * * *", "Europe/Berlin", "2026-10-25T00:30:00", "2026-10-25T01:30:00", "hourly runs in both"},
      {"0 3 * * *", "Europe/Berlin", "2026-10-25T00:30:00", "2026-10-25T02:00:00", "after overlap"},
      // New York 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
      {"0 2 * * *", "America/New_York", "2026-03-07T12:00:00", "2026-03-08T07:00:00", "gap at its start"},
      {"30 1 * * *", "America/New_York", "2026-10-31T12:00:00", "2026-11-01T05:30:00", "overlap first"},
      {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00", "2026-11-02T06:30:00", "overlap once"},
      {"0 0 * * *", "America/New_York", "2026-11-25T10:00:00", "2026-11-26T05:00:00", "EST midnight"},
  };
  for (const auto& c : cases) {
    auto expr = CronExpr::parse(c.expr);
    ASSERT_TRUE(expr) << c.expr;
    auto tz = TimeZone::load(c.zone);
    ASSERT_TRUE(tz) << c.zone;
    const auto next = expr->next_after(utc(c.after), *tz);
    if (std::string(c.expected).empty()) {
      EXPECT_FALSE(next) << c.expr << " (" << c.why << ")";
    } else {
      ASSERT_TRUE(next) << c.expr << " (" << c.why << ")";
      EXPECT_EQ(iso(*next), c.expected)
          << c.expr << " in " << c.zone << " after " << c.after << " (" << c.why << ")";
    }
  }
}

TEST(CronExpr, hourly_ticks_across_a_dst_year_hit_every_utc_hour_once) {
  auto expr = CronExpr::parse("0 * * * *");
  ASSERT_TRUE(expr);
  auto tz = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(tz);
  // In UTC every hour exists once: a full year of hourly ticks is 8760 whatever the DST changes.
  auto t = utc("2025-12-31T23:59:59");
  int n = 0;
  while (true) {
    auto next = expr->next_after(t, *tz);
    ASSERT_TRUE(next);
    ASSERT_GT(*next, t);
    if (*next >= utc("2027-01-01T00:00:00")) break;
    t = *next;
    ++n;
  }
  EXPECT_EQ(n, 8760);
}

TEST(CronExpr, rejects_malformed_expressions) {
  for (const char* bad : {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
                          "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "1,,2 * * * *",
                          "a b c d e", "* * * foo *", "@often", "1- * * * *", "-1 * * * *"}) {
    EXPECT_FALSE(CronExpr::parse(bad)) << "'" << bad << "'";
  }
}

TEST(CronExpr, matches_wall_clock_minutes) {
  auto expr = CronExpr::parse("15 14 1 * *");
  ASSERT_TRUE(expr);
  EXPECT_TRUE(expr->matches(local_seconds{utc("2026-12-01T14:15:30").time_since_epoch()}));
  EXPECT_FALSE(expr->matches(local_seconds{utc("2026-12-01T14:16:00").time_since_epoch()}));
  EXPECT_FALSE(expr->matches(local_seconds{utc("2026-12-02T14:15:00").time_since_epoch()}));
}

}  // namespace
