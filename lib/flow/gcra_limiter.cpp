#include "flow/gcra_limiter.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cartopull::flow {

GcraLimiter::GcraLimiter(double rate_per_second, std::uint32_t burst)
    : burst_(std::max<std::uint32_t>(burst, 1)) {
  assert(rate_per_second > 0);
  t_ = Nanos(static_cast<Nanos::rep>(std::llround(1e9 / rate_per_second)));
  if (t_ <= Nanos::zero()) t_ = Nanos(1);
  tau_ = t_ * (burst_ - 1);
}

Nanos GcraLimiter::wait_time(TimePoint now) const {
  TimePoint earliest = std::max(tat_ - tau_, hold_);
  return now >= earliest ? Nanos::zero() : earliest - now;
}

Nanos GcraLimiter::try_acquire(TimePoint now) {
  Nanos wait = wait_time(now);
  if (wait > Nanos::zero()) return wait;
  tat_ = std::max(tat_, now) + t_;
  return Nanos::zero();
}

void GcraLimiter::refund(TimePoint now) {
  // Never below now: an idle bucket cannot bank more than its burst.
  tat_ = std::max(tat_ - t_, now);
}

void GcraLimiter::observe(TimePoint now, const RateLimitHeaders& h) {
  if (h.limit && *h.limit >= 1 && static_cast<std::uint64_t>(*h.limit) < burst_) {
    burst_ = static_cast<std::uint32_t>(*h.limit);
    tau_ = t_ * (burst_ - 1);
  }
  if (h.remaining && *h.remaining >= 0 && static_cast<std::uint64_t>(*h.remaining) < remaining(now)) {
    // The server has fewer cells left than we think: move TAT so that exactly `remaining` conform now.
    tat_ = now + tau_ - t_ * (*h.remaining - 1);
  }
  if (h.reset_s && *h.reset_s > 0) {
    // CARTO's longest tier refills in 60 s (§6): a reset beyond kMaxResetHeader is bogus, and unbounded
    // it would stall the group for years or overflow the time point.
    const std::int64_t reset_s = std::min<std::int64_t>(*h.reset_s, kMaxResetHeader.count());
    // Reset is whole seconds and may be rounded up, so only reset - 1 s is a sure lower bound.
    TimePoint full = now + std::chrono::seconds(reset_s - 1);
    tat_ = std::max(tat_, full);
  }
}

void GcraLimiter::hold_until(TimePoint until) {
  hold_ = std::max(hold_, until);
  // After the hold the bucket restarts empty of burst, as CARTO's does after a 429 (§b.10).
  tat_ = std::max(tat_, until + tau_);
}

void GcraLimiter::spend_burst(TimePoint now) {
  tat_ = std::max(tat_, now + tau_ + t_);
}

std::uint32_t GcraLimiter::remaining(TimePoint now) const {
  if (now < hold_) return 0;
  Nanos used = tat_ > now ? tat_ - now : Nanos::zero();
  Nanos slack = tau_ - used;
  if (slack < Nanos::zero()) return 0;
  return static_cast<std::uint32_t>(slack / t_) + 1;
}

Nanos GcraLimiter::reset(TimePoint now) const {
  TimePoint full = std::max(tat_, hold_);
  return full > now ? full - now : Nanos::zero();
}

}  // namespace cartopull::flow
