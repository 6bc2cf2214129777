#include "support/fake_carto/gcra_limiter.hpp"

#include <algorithm>
#include <optional>

namespace cartopull::fake {

GcraLimiter::GcraLimiter(std::vector<GcraTier> tiers) : tiers_(std::move(tiers)), tat_(tiers_.size()) {}

RateDecision GcraLimiter::take(Clock::time_point now) {
  using std::chrono::nanoseconds;
  std::optional<RateDecision> strictest;
  for (std::size_t i = 0; i < tiers_.size(); ++i) {
    const auto& t = tiers_[i];
    const nanoseconds interval =
        std::chrono::duration_cast<nanoseconds>(t.period) / std::max<std::uint32_t>(t.count, 1);
    const nanoseconds tolerance = interval * (static_cast<std::int64_t>(t.burst) + 1);
    const auto tat = std::max(tat_[i], now);
    const auto new_tat = tat + interval;
    const auto allow_at = new_tat - tolerance;
    RateDecision d;
    d.limit = static_cast<std::int64_t>(t.burst) + 1;
    auto ceil_s = [](nanoseconds n) { return (n.count() + 999'999'999) / 1'000'000'000; };
    if (now < allow_at) {
      d.allowed = false;
      d.remaining = 0;
      d.reset_seconds = ceil_s(tat - now);
      d.retry_after_seconds = (allow_at - now).count() / 1'000'000'000 + 1;
    } else {
      tat_[i] = new_tat;
      const nanoseconds ttl = new_tat - now;
      d.remaining = std::max<std::int64_t>(0, (tolerance - ttl) / interval);
      d.reset_seconds = ceil_s(ttl);
    }
    if (!strictest ||
        (!d.allowed && (strictest->allowed || d.retry_after_seconds > strictest->retry_after_seconds)) ||
        (d.allowed && strictest->allowed && d.remaining < strictest->remaining)) {
      strictest = d;
    }
  }
  return strictest.value_or(RateDecision{});
}

}  // namespace cartopull::fake
