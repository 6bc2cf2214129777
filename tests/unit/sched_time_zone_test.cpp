#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "sched/posix_tz_rule.hpp"
#include "sched/time_zone.hpp"

namespace {

using namespace std::chrono;
using cartopull::sched::PosixTzRule;
using cartopull::sched::TimeZone;
using Kind = TimeZone::Resolved::Kind;

// "2026-03-29T01:00:00" as an instant (UTC) or a wall-clock time.
seconds parse_ts(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) ADD_FAILURE() << text;
  const sys_days day{year{y} / mo / d};
  return day.time_since_epoch() + hours{h} + minutes{mi} + seconds{s};
}
sys_seconds utc(const std::string& text) {
  return sys_seconds{parse_ts(text)};
}
local_seconds wall(const std::string& text) {
  return local_seconds{parse_ts(text)};
}

TimeZone zone(const std::string& name) {
  auto tz = TimeZone::load(name);
  EXPECT_TRUE(tz) << name << ": " << (tz ? "" : tz.error().message);
  return tz ? *tz : TimeZone::utc();
}

TEST(TimeZone, utc_is_available_without_zoneinfo) {
  auto tz = TimeZone::load("UTC", "/nonexistent");
  ASSERT_TRUE(tz);
  EXPECT_EQ(tz->offset_at(utc("2026-07-01T12:00:00")), seconds{0});
  EXPECT_EQ(tz->max_backward_shift(), seconds{0});
  const auto r = tz->resolve(wall("2026-07-01T12:00:00"));
  EXPECT_EQ(r.kind, Kind::unique);
  EXPECT_EQ(r.first, utc("2026-07-01T12:00:00"));
}

struct OffsetCase {
  const char* zone;
  const char* instant;
  int offset_minutes;
};

TEST(TimeZone, offsets_around_dst_transitions_match_the_tz_database) {
  const OffsetCase cases[] = {
      {"Europe/Berlin", "2026-01-15T12:00:00", 60},
      {"Europe/Berlin", "2026-07-15T12:00:00", 120},
      {"Europe/Berlin", "2026-03-29T00:59:59", 60},
      {"Europe/Berlin", "2026-03-29T01:00:00", 120},
      {"Europe/Berlin", "2026-10-25T00:59:59", 120},
      {"Europe/Berlin", "2026-10-25T01:00:00", 60},
      {"America/New_York", "2026-03-08T06:59:59", -300},
      {"America/New_York", "2026-03-08T07:00:00", -240},
      {"America/New_York", "2026-11-01T05:59:59", -240},
      {"America/New_York", "2026-11-01T06:00:00", -300},
      // Beyond the file's last transition (2037): the footer's POSIX rule applies.
      {"Europe/Berlin", "2040-03-25T00:59:59", 60},
      {"Europe/Berlin", "2040-03-25T01:00:00", 120},
      {"America/New_York", "2050-11-06T06:00:00", -300},
      // Southern hemisphere: DST spans New Year.
      {"Australia/Sydney", "2026-01-15T00:00:00", 660},
      {"Australia/Sydney", "2026-07-15T00:00:00", 600},
      {"Australia/Sydney", "2045-01-15T00:00:00", 660},
      // Half-hour DST shift.
      {"Australia/Lord_Howe", "2026-01-15T00:00:00", 660},
      {"Australia/Lord_Howe", "2026-07-15T00:00:00", 630},
      {"Asia/Kolkata", "2026-07-15T00:00:00", 330},
  };
  for (const auto& c : cases) {
    const auto tz = zone(c.zone);
    EXPECT_EQ(tz.offset_at(utc(c.instant)), minutes{c.offset_minutes}) << c.zone << " at " << c.instant;
  }
}

struct ResolveCase {
  const char* zone;
  const char* wall_time;
  Kind kind;
  const char* first;
  const char* second;
};

TEST(TimeZone, resolves_wall_times_in_gaps_and_overlaps) {
  const ResolveCase cases[] = {
      {"Europe/Berlin", "2026-03-29T01:59:59", Kind::unique, "2026-03-29T00:59:59", "2026-03-29T00:59:59"},
      {"Europe/Berlin", "2026-03-29T02:00:00", Kind::nonexistent, "2026-03-29T01:00:00",
       "2026-03-29T01:00:00"},
      {"Europe/Berlin", "2026-03-29T02:30:00", Kind::nonexistent, "2026-03-29T01:00:00",
       "2026-03-29T01:00:00"},
      {"Europe/Berlin", "2026-03-29T03:00:00", Kind::unique, "2026-03-29T01:00:00", "2026-03-29T01:00:00"},
      {"Europe/Berlin", "2026-10-25T02:30:00", Kind::ambiguous, "2026-10-25T00:30:00", "2026-10-25T01:30:00"},
      {"Europe/Berlin", "2026-10-25T03:00:00", Kind::unique, "2026-10-25T02:00:00", "2026-10-25T02:00:00"},
      {"America/New_York", "2026-03-08T02:30:00", Kind::nonexistent, "2026-03-08T07:00:00",
       "2026-03-08T07:00:00"},
      {"America/New_York", "2026-11-01T01:30:00", Kind::ambiguous, "2026-11-01T05:30:00",
       "2026-11-01T06:30:00"},
      {"Australia/Lord_Howe", "2026-10-04T02:15:00", Kind::nonexistent, "2026-10-03T15:30:00",
       "2026-10-03T15:30:00"},
  };
  for (const auto& c : cases) {
    const auto tz = zone(c.zone);
    const auto r = tz.resolve(wall(c.wall_time));
    EXPECT_EQ(r.kind, c.kind) << c.zone << " " << c.wall_time;
    EXPECT_EQ(r.first, utc(c.first)) << c.zone << " " << c.wall_time;
    EXPECT_EQ(r.second, utc(c.second)) << c.zone << " " << c.wall_time;
  }
}

// Cross-check against glibc's own TZif reader over 1970..2060 (beyond 2037 both use the footer).
TEST(TimeZone, agrees_with_glibc_localtime_over_a_century) {
  const char* saved = std::getenv("TZ");
  const std::string restore = saved ? saved : "";
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
                           "America/Sao_Paulo", "Asia/Tehran", "Pacific/Apia"}) {
    const auto tz = zone(name);
    ::setenv("TZ", (std::string(":") + name).c_str(), 1);
    ::tzset();
    int mismatches = 0;
    for (std::int64_t s = 0; s < 2840140800; s += 7 * 3600 + 13 * 60) {  // to 2060, odd step
      const std::time_t t = static_cast<std::time_t>(s);
      std::tm tm{};
      ::localtime_r(&t, &tm);
      if (tz.offset_at(sys_seconds{seconds{s}}) != seconds{tm.tm_gmtoff} && ++mismatches < 5) {
        ADD_FAILURE() << name << " at " << s << ": " << tz.offset_at(sys_seconds{seconds{s}}).count()
                      << " != " << tm.tm_gmtoff;
      }
    }
    EXPECT_EQ(mismatches, 0) << name;
  }
  if (saved) {
    ::setenv("TZ", restore.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST(TimeZone, rejects_unsafe_unknown_and_malformed_zones) {
  EXPECT_FALSE(TimeZone::load("../../etc/passwd"));
  EXPECT_FALSE(TimeZone::load("/etc/localtime"));
  EXPECT_FALSE(TimeZone::load("Mars/Olympus_Mons"));
  EXPECT_FALSE(TimeZone::from_tzif("x", "not a tzif file at all, definitely longer than 44 bytes......"));
  EXPECT_FALSE(TimeZone::from_tzif("x", std::string("TZif2") + std::string(39, '\0')));  // no types
  std::string header = "TZif2" + std::string(15, '\0');
  header += std::string("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0\x01\0\0\0\x04", 24);
  EXPECT_FALSE(TimeZone::from_tzif("x", header + "short"));  // counts promise more than present
}

struct RuleCase {
  const char* rule;
  const char* instant;
  int offset_minutes;
};

TEST(PosixTzRule, computes_offsets_from_footer_rules) {
  const RuleCase cases[] = {
      {"CET-1CEST,M3.5.0,M10.5.0/3", "2031-03-30T00:59:59", 60},
      {"CET-1CEST,M3.5.0,M10.5.0/3", "2031-03-30T01:00:00", 120},
      {"CET-1CEST,M3.5.0,M10.5.0/3", "2031-10-26T00:59:59", 120},
      {"CET-1CEST,M3.5.0,M10.5.0/3", "2031-10-26T01:00:00", 60},
      {"EST5EDT,M3.2.0,M11.1.0", "2031-03-09T07:00:00", -240},
      {"EST5EDT,M3.2.0,M11.1.0", "2031-03-09T06:59:59", -300},
      {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2031-01-01T00:00:00", 660},
      {"AEST-10AEDT,M10.1.0,M4.1.0/3", "2031-06-01T00:00:00", 600},
      {"<+0330>-3:30", "2031-06-01T00:00:00", 210},
      {"UTC0", "2031-06-01T00:00:00", 0},
      {"XXX3YYY,J60/0,J300/0", "2031-03-01T03:00:00", -120},  // J60 is March 1 even in leap years
      {"XXX3YYY,J60/0,J300/0", "2032-03-01T03:00:00", -120},
      {"XXX3YYY,J60/0,J300/0", "2032-02-29T03:00:00", -180},
  };
  for (const auto& c : cases) {
    auto rule = PosixTzRule::parse(c.rule);
    ASSERT_TRUE(rule) << c.rule;
    EXPECT_EQ(rule->offset_at(utc(c.instant)), minutes{c.offset_minutes}) << c.rule << " at " << c.instant;
  }
}

TEST(PosixTzRule, rejects_malformed_rules) {
  for (const char* bad :
       {"", "C", "CET", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,M3.5.0", "CET-200", "CET-1CEST,J0,J10", "CET-1CEST,M3.5.0,M10.5.0/x"}) {
    EXPECT_FALSE(PosixTzRule::parse(bad)) << bad;
  }
}

}  // namespace
