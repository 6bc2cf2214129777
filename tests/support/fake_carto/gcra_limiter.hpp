#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace cartopull::fake {

// One redis-cell tier (CL.THROTTLE key max_burst count period), carto-maps-api.md section 6.
struct GcraTier {
  std::uint32_t burst = 1;                 // redis-cell max_burst; the reported limit is burst + 1
  std::uint32_t count = 1;                 // requests ...
  std::chrono::milliseconds period{1000};  // ... per period
};

// What the Carto-Rate-Limit-* headers report for one request.
struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;                // Carto-Rate-Limit-Limit
  std::int64_t remaining = 0;            // Carto-Rate-Limit-Remaining
  std::int64_t reset_seconds = 0;        // Carto-Rate-Limit-Reset: seconds until full capacity
  std::int64_t retry_after_seconds = 0;  // Retry-After, only when !allowed: floor(retry) + 1
};

// GCRA over one or more tiers; with several tiers the strictest is reported (a blocked tier, else
// the lowest remaining), as Windshaft-cartodb does. Pure: the caller passes now. Not thread-safe.
class GcraLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit GcraLimiter(std::vector<GcraTier> tiers);
  RateDecision take(Clock::time_point now);

 private:
  std::vector<GcraTier> tiers_;
  std::vector<Clock::time_point> tat_;  // theoretical arrival time per tier
};

}  // namespace cartopull::fake
