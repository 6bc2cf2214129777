#include <gtest/gtest.h>

#include <vector>

#include "flow/adaptive_concurrency.hpp"

namespace cartopull::flow {
namespace {

using namespace std::chrono_literals;

const TimePoint t0 = TimePoint{} + 1000s;

// Runs `windows` decision windows: in each, fills the limit, then finishes every request with `rtt` and
// `signal` one window later. Returns the limit after each window.
std::vector<std::uint32_t> drive(AdaptiveConcurrency& arc, TimePoint& now, int windows, Nanos rtt,
                                 ArcSignal signal) {
  std::vector<std::uint32_t> limits;
  for (int w = 0; w < windows; ++w) {
    std::uint32_t n = 0;
    while (arc.can_start()) {
      arc.on_start();
      ++n;
    }
    now += rtt;
    for (std::uint32_t i = 0; i < n; ++i) arc.on_finish(now, rtt, signal);
    limits.push_back(arc.limit());
  }
  return limits;
}

TEST(AdaptiveConcurrency, starts_at_initial_and_grows_by_one_per_healthy_window) {
  AdaptiveConcurrency arc(ArcConfig{.initial = 1, .max = 8});
  EXPECT_EQ(arc.limit(), 1u);
  TimePoint now = t0;
  auto limits = drive(arc, now, 9, 50ms, ArcSignal::success);
  // The first window only seeds the RTT baseline; then +1 per window up to max.
  EXPECT_EQ(limits, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 8}));
}

TEST(AdaptiveConcurrency, does_not_grow_when_the_limit_is_not_what_binds) {
  AdaptiveConcurrency arc(ArcConfig{.initial = 4, .max = 8});
  TimePoint now = t0;
  for (int w = 0; w < 5; ++w) {
    arc.on_start();  // only one request at a time: never reaches the limit of 4
    now += 20ms;
    arc.on_finish(now, 20ms, ArcSignal::success);
  }
  EXPECT_EQ(arc.limit(), 4u);
}

TEST(AdaptiveConcurrency, shrinks_by_ten_percent_on_back_pressure) {
  struct Case {
    std::uint32_t before;
    std::uint32_t after;
  };
  for (Case c : {Case{20, 18}, Case{10, 9}, Case{9, 8}, Case{5, 4}, Case{2, 1}, Case{1, 1}}) {
    AdaptiveConcurrency arc(ArcConfig{.initial = c.before, .max = 32});
    TimePoint now = t0;
    drive(arc, now, 1, 10ms, ArcSignal::success);  // seed the baseline
    ASSERT_EQ(arc.limit(), c.before);
    auto limits = drive(arc, now, 1, 10ms, ArcSignal::back_pressure);
    EXPECT_EQ(limits.back(), c.after) << c.before;
  }
}

TEST(AdaptiveConcurrency, shrinks_when_rtt_rises_above_the_deviation_band) {
  AdaptiveConcurrency arc(ArcConfig{.initial = 10, .max = 32});
  TimePoint now = t0;
  drive(arc, now, 3, 10ms, ArcSignal::success);
  std::uint32_t before = arc.limit();
  auto limits = drive(arc, now, 1, 40ms, ArcSignal::success);
  EXPECT_EQ(limits.back(), before * 9 / 10);
}

TEST(AdaptiveConcurrency, cache_hits_and_errors_do_not_move_the_limit) {
  for (ArcSignal s : {ArcSignal::cache_hit, ArcSignal::neutral}) {
    AdaptiveConcurrency arc(ArcConfig{.initial = 4, .max = 32});
    TimePoint now = t0;
    drive(arc, now, 1, 10ms, ArcSignal::success);
    auto limits = drive(arc, now, 5, 1ms, s);
    EXPECT_EQ(limits.back(), 4u);
  }
}

TEST(AdaptiveConcurrency, one_decision_per_rtt_window) {
  AdaptiveConcurrency arc(ArcConfig{.initial = 10, .max = 32});
  TimePoint now = t0;
  drive(arc, now, 1, 100ms, ArcSignal::success);
  // Many back-pressure responses inside one 100 ms window shrink once, not ten times.
  for (int i = 0; i < 10; ++i) {
    arc.on_start();
    arc.on_finish(now + 100ms + Nanos(i), 1ms, ArcSignal::back_pressure);
  }
  EXPECT_EQ(arc.limit(), 9u);
}

TEST(AdaptiveConcurrency, fixed_mode_keeps_the_cap) {
  AdaptiveConcurrency arc(ArcConfig{.initial = 1, .max = 6, .adaptive = false});
  EXPECT_EQ(arc.limit(), 6u);
  TimePoint now = t0;
  drive(arc, now, 3, 10ms, ArcSignal::back_pressure);
  EXPECT_EQ(arc.limit(), 6u);
}

TEST(AdaptiveConcurrency, in_flight_is_bounded_by_the_limit) {
  AdaptiveConcurrency arc(ArcConfig{.initial = 3, .max = 8});
  int started = 0;
  while (arc.can_start()) {
    arc.on_start();
    ++started;
  }
  EXPECT_EQ(started, 3);
  EXPECT_EQ(arc.in_flight(), 3u);
}

}  // namespace
}  // namespace cartopull::flow
