#pragma once

#include <chrono>

#include "sched/schedule.hpp"

namespace cartopull::sched {

// Wall-clock source of the scheduler loop. Planning is pure; only the loop asks a Clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysMs now() const = 0;
  // Longest single sleep before the loop reads now() again, so that a suspend or a clock step
  // (which a monotonic timer does not see) is noticed within this time.
  virtual Duration max_sleep() const = 0;
};

// The system clock; sleeps in slices of at most 5 s by default.
class SystemClock final : public Clock {
 public:
  explicit SystemClock(Duration max_sleep = std::chrono::seconds{5}) : max_sleep_(max_sleep) {}
  SysMs now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
  Duration max_sleep() const override { return max_sleep_; }

 private:
  Duration max_sleep_;
};

// A clock that moves only when told (tests). The loop never wakes by itself: after set() or
// advance(), call Scheduler::poke() so that sleeping jobs re-read the time.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SysMs start) : now_(start) {}
  SysMs now() const override { return now_; }
  Duration max_sleep() const override { return std::chrono::hours{24}; }
  void set(SysMs t) { now_ = t; }
  void advance(Duration d) { now_ += d; }

 private:
  SysMs now_;
};

}  // namespace cartopull::sched
