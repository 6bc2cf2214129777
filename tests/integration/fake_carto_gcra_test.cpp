// fake-carto's GCRA limiter is pure policy: table-driven over (tiers x arrival times), no sockets.
#include <gtest/gtest.h>

#include "support/fake_carto/fake_options.hpp"
#include "support/fake_carto/gcra_limiter.hpp"

namespace cartopull::fake {
namespace {

using namespace std::chrono_literals;
using Clock = GcraLimiter::Clock;

struct Step {
  std::chrono::milliseconds at;
  bool allowed;
  std::int64_t remaining;
  std::int64_t retry_after;  // only checked when blocked
};

void run(std::string_view tiers_text, const std::vector<Step>& steps) {
  std::vector<GcraTier> tiers;
  ASSERT_TRUE(parse_rate_tiers(tiers_text, tiers)) << tiers_text;
  GcraLimiter limiter(tiers);
  const auto t0 = Clock::time_point{} + 1000s;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& s = steps[i];
    auto d = limiter.take(t0 + s.at);
    EXPECT_EQ(d.allowed, s.allowed) << tiers_text << " step " << i;
    EXPECT_EQ(d.remaining, s.remaining) << tiers_text << " step " << i;
    if (!s.allowed) {
      EXPECT_EQ(d.retry_after_seconds, s.retry_after) << tiers_text << " step " << i;
    }
  }
}

TEST(FakeCartoGcra, redis_cell_burst_1_count_1_period_1s_reports_limit_2) {
  std::vector<GcraTier> tiers;
  ASSERT_TRUE(parse_rate_tiers("1:1/1000", tiers));
  GcraLimiter limiter(tiers);
  auto d = limiter.take(Clock::time_point{} + 10s);
  EXPECT_EQ(d.limit, 2);  // carto-maps-api.md section 6: the test sets (1,1,1) and gets Limit 2
  EXPECT_EQ(d.remaining, 1);
  EXPECT_EQ(d.reset_seconds, 1);
}

TEST(FakeCartoGcra, allows_burst_plus_one_then_blocks_with_floor_plus_one_retry) {
  run("1:1/1000",
      {{0ms, true, 1, 0}, {0ms, true, 0, 0}, {0ms, false, 0, 2}, {500ms, false, 0, 1}, {1000ms, true, 0, 0}});
  run("4:2/1000", {{0ms, true, 4, 0},
                   {0ms, true, 3, 0},
                   {0ms, true, 2, 0},
                   {0ms, true, 1, 0},
                   {0ms, true, 0, 0},
                   {0ms, false, 0, 1},
                   {499ms, false, 0, 1},
                   {500ms, true, 0, 0}});
}

TEST(FakeCartoGcra, recovers_capacity_over_time) {
  run("2:2/1000",
      {{0ms, true, 2, 0}, {0ms, true, 1, 0}, {0ms, true, 0, 0}, {1500ms, true, 2, 0}, {5000ms, true, 2, 0}});
}

TEST(FakeCartoGcra, with_two_tiers_the_strictest_is_reported) {
  // A fast tier (2 per second, burst 2) and a slow one (3 per minute, burst 2): the slow one binds;
  // Retry-After is floor(wait) + 1 (section 6), a wait of 19 s gives 20.
  run("2:2/1000+2:3/60000", {{0ms, true, 2, 0},
                             {0ms, true, 1, 0},
                             {0ms, true, 0, 0},
                             {1000ms, false, 0, 20},
                             {2000ms, false, 0, 19}});
}

TEST(FakeCartoGcra, plans_carry_the_published_limits) {
  auto free = plan_rate_limits("free");
  ASSERT_EQ(free.at("tile").size(), 2u);
  EXPECT_EQ(free.at("tile")[0].count, 20u);
  EXPECT_EQ(free.at("tile")[1].period, 60000ms);
  EXPECT_EQ(plan_rate_limits("enterprise").at("anonymous")[0].count, 10u);
  EXPECT_EQ(plan_rate_limits("individual").at("named_tiles")[0].count, 10u);
  EXPECT_GE(plan_rate_limits("unlimited").at("tile")[0].count, 1'000'000u);
  std::vector<GcraTier> t;
  EXPECT_FALSE(parse_rate_tiers("1:0/1000", t));
  EXPECT_FALSE(parse_rate_tiers("junk", t));
}

}  // namespace
}  // namespace cartopull::fake
