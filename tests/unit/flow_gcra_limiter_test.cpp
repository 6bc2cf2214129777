#include <gtest/gtest.h>

#include <deque>
#include <limits>
#include <random>
#include <vector>

#include "flow/gcra_limiter.hpp"

namespace cartopull::flow {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1000s;

TEST(GcraLimiter, allows_burst_then_one_per_emission_interval) {
  GcraLimiter l(5, 5);  // 5/s, burst 5: T = 200 ms
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.try_acquire(t0), Nanos::zero()) << i;
  EXPECT_EQ(l.try_acquire(t0), Nanos(200ms));
  EXPECT_EQ(l.try_acquire(t0 + 199ms), Nanos(1ms));
  EXPECT_EQ(l.try_acquire(t0 + 200ms), Nanos::zero());
  EXPECT_EQ(l.try_acquire(t0 + 200ms), Nanos(200ms));
}

TEST(GcraLimiter, remaining_and_reset_follow_the_bucket) {
  struct Step {
    Nanos at;
    int acquires;
    std::uint32_t remaining;
    Nanos reset;
  };
  const std::vector<Step> steps = {
      {0ms, 0, 4, 0ms}, {0ms, 1, 3, 250ms}, {0ms, 2, 1, 750ms}, {500ms, 0, 3, 250ms}, {2000ms, 0, 4, 0ms},
  };
  GcraLimiter l(4, 4);  // T = 250 ms
  for (const auto& s : steps) {
    for (int i = 0; i < s.acquires; ++i) ASSERT_EQ(l.try_acquire(t0 + s.at), Nanos::zero());
    EXPECT_EQ(l.remaining(t0 + s.at), s.remaining) << s.at.count();
    EXPECT_EQ(l.reset(t0 + s.at), s.reset) << s.at.count();
  }
}

TEST(GcraLimiter, never_exceeds_rate_plus_burst_over_any_window) {
  struct Case {
    double rate;
    std::uint32_t burst;
  };
  for (Case c : {Case{1, 1}, Case{2, 2}, Case{5, 1}, Case{20, 20}, Case{40, 3}, Case{0.5, 2}}) {
    GcraLimiter l(c.rate, c.burst);
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<int> gap_us(0, static_cast<int>(2e6 / c.rate));
    std::vector<TimePoint> allowed;
    TimePoint now = t0;
    for (int i = 0; i < 5000; ++i) {
      now += std::chrono::microseconds(gap_us(rng) / 4);
      if (l.try_acquire(now) == Nanos::zero()) allowed.push_back(now);
    }
    ASSERT_GT(allowed.size(), 10u);
    // For every window [allowed[i], allowed[i] + W]: count <= burst + W * rate.
    for (Nanos w : {Nanos(0), Nanos(100ms), Nanos(1s), Nanos(3s), Nanos(10s)}) {
      double limit = c.burst + std::chrono::duration<double>(w).count() * c.rate + 1e-9;
      std::size_t j = 0;
      for (std::size_t i = 0; i < allowed.size(); ++i) {
        if (j < i) j = i;
        while (j + 1 < allowed.size() && allowed[j + 1] - allowed[i] <= w) ++j;
        ASSERT_LE(static_cast<double>(j - i + 1), limit)
            << "rate " << c.rate << " burst " << c.burst << " window " << w.count();
      }
    }
  }
}

// Most requests any window [from, from + w] of the sorted times holds, minus what burst + rate * w allows.
double worst_excess(const std::vector<TimePoint>& sent, double rate, std::uint32_t burst) {
  double worst = -1e9;
  for (std::size_t i = 0; i < sent.size(); ++i)
    for (std::size_t j = i; j < sent.size(); ++j) {
      double w = std::chrono::duration<double>(sent[j] - sent[i]).count();
      worst = std::max(worst, static_cast<double>(j - i + 1) - (burst + rate * w));
    }
  return worst;
}

TEST(GcraLimiter, spend_burst_keeps_a_restarted_process_within_its_predecessors_window) {
  // A process sends as fast as allowed for 120 ms, is killed, and its successor starts at once.
  for (bool spend : {true, false}) {
    GcraLimiter before(20, 5);  // T = 50 ms
    std::vector<TimePoint> sent;
    for (auto t = 0ms; t < 120ms; t += 1ms)
      if (before.try_acquire(t0 + t) == Nanos::zero()) sent.push_back(t0 + t);
    ASSERT_EQ(sent.size(), 7u);  // the burst of 5, then at 50 and 100 ms
    GcraLimiter after(20, 5);
    if (spend) after.spend_burst(t0 + 120ms);
    for (auto t = 120ms; t < 1s; t += 1ms)
      if (after.try_acquire(t0 + t) == Nanos::zero()) sent.push_back(t0 + t);
    if (spend) {
      EXPECT_LE(worst_excess(sent, 20, 5), 1e-9);
      EXPECT_EQ(sent[7], t0 + 170ms);  // the successor's first request waits one interval
    } else {
      EXPECT_GE(worst_excess(sent, 20, 5), 4.0);  // a full fresh bucket: the burst twice over
    }
  }
}

TEST(GcraLimiter, sustained_rate_matches_configuration) {
  GcraLimiter l(10, 10);
  int allowed = 0;
  for (auto t = 0ms; t < 10s; t += 1ms) allowed += l.try_acquire(t0 + t) == Nanos::zero();
  EXPECT_EQ(allowed, 10 + 100 - 1);  // burst, then one per 100 ms for 9.999 s
}

TEST(GcraLimiter, tightens_from_remaining_header_but_never_loosens) {
  struct Case {
    std::int64_t header_remaining;
    std::uint32_t expect_remaining;
  };
  for (Case c : {Case{0, 0}, Case{1, 1}, Case{3, 3}, Case{10, 5}, Case{100, 5}}) {
    GcraLimiter l(10, 10);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(l.try_acquire(t0), Nanos::zero());
    ASSERT_EQ(l.remaining(t0), 5u);
    l.observe(t0, RateLimitHeaders{std::nullopt, c.header_remaining, std::nullopt});
    EXPECT_EQ(l.remaining(t0), c.expect_remaining) << c.header_remaining;
  }
}

TEST(GcraLimiter, remaining_zero_header_delays_next_request_by_one_interval) {
  GcraLimiter l(5, 5);
  l.observe(t0, RateLimitHeaders{5, 0, 1});
  EXPECT_EQ(l.wait_time(t0), Nanos(200ms));
}

TEST(GcraLimiter, limit_header_lowers_the_burst) {
  GcraLimiter l(10, 10);
  l.observe(t0, RateLimitHeaders{3, std::nullopt, std::nullopt});
  EXPECT_EQ(l.burst(), 3u);
  EXPECT_EQ(l.remaining(t0), 3u);
  l.observe(t0, RateLimitHeaders{50, std::nullopt, std::nullopt});
  EXPECT_EQ(l.burst(), 3u);
}

TEST(GcraLimiter, reset_header_tightens_with_a_one_second_margin) {
  GcraLimiter l(1, 10);
  l.observe(t0, RateLimitHeaders{std::nullopt, std::nullopt, 4});
  EXPECT_EQ(l.reset(t0), Nanos(3s));
  l.observe(t0, RateLimitHeaders{std::nullopt, std::nullopt, 1});
  EXPECT_EQ(l.reset(t0), Nanos(3s));
}

// Found by fuzz/rate_limit_fuzzer: a reset of 1872796424 s blocked the group for 59 years, and larger
// values overflowed the time point.
TEST(GcraLimiter, a_bogus_reset_header_is_clamped_to_an_hour) {
  for (std::int64_t reset :
       {std::int64_t{3601}, std::int64_t{1872796424}, std::numeric_limits<std::int64_t>::max()}) {
    GcraLimiter l(1, 10);
    l.observe(t0, RateLimitHeaders{std::nullopt, std::nullopt, reset});
    EXPECT_EQ(l.reset(t0), kMaxResetHeader - 1s) << reset;
    EXPECT_EQ(l.wait_time(t0), kMaxResetHeader - 1s - 9s) << reset;
  }
}

TEST(GcraLimiter, retry_after_holds_the_whole_group) {
  GcraLimiter l(10, 10);
  l.hold_until(t0 + 2s);
  EXPECT_EQ(l.wait_time(t0), Nanos(2s));
  EXPECT_EQ(l.try_acquire(t0 + 1999ms), Nanos(1ms));
  EXPECT_EQ(l.try_acquire(t0 + 2s), Nanos::zero());
  // After a hold the bucket restarts without burst: one per interval.
  EXPECT_EQ(l.try_acquire(t0 + 2s), Nanos(100ms));
  // An earlier hold does not shorten a later one.
  l.hold_until(t0 + 1s);
  EXPECT_EQ(l.wait_time(t0 + 2s), Nanos(100ms));
}

TEST(GcraLimiter, cache_hit_refund_is_not_charged) {
  GcraLimiter l(2, 2);
  ASSERT_EQ(l.try_acquire(t0), Nanos::zero());
  ASSERT_EQ(l.try_acquire(t0), Nanos::zero());
  EXPECT_GT(l.wait_time(t0), Nanos::zero());
  l.refund(t0);  // the second was an X-Cache: HIT
  EXPECT_EQ(l.try_acquire(t0), Nanos::zero());
}

TEST(GcraLimiter, refund_never_banks_more_than_the_burst) {
  GcraLimiter l(2, 2);
  for (int i = 0; i < 10; ++i) l.refund(t0);
  EXPECT_EQ(l.remaining(t0), 2u);
  EXPECT_EQ(l.try_acquire(t0), Nanos::zero());
  EXPECT_EQ(l.try_acquire(t0), Nanos::zero());
  EXPECT_GT(l.try_acquire(t0), Nanos::zero());
}

}  // namespace
}  // namespace cartopull::flow
