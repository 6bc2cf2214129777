#pragma once

#include <cstdint>
#include <optional>

#include "flow/clock.hpp"

namespace cartopull::flow {

// The longest Carto-Rate-Limit-Reset believed; larger values are clamped to it.
inline constexpr std::chrono::seconds kMaxResetHeader{3600};

// Rate-limit headers of one CARTO response (carto-maps-api.md §6); absent headers stay empty.
struct RateLimitHeaders {
  std::optional<std::int64_t> limit;      // Carto-Rate-Limit-Limit: the burst
  std::optional<std::int64_t> remaining;  // Carto-Rate-Limit-Remaining
  std::optional<std::int64_t> reset_s;    // Carto-Rate-Limit-Reset: seconds until full capacity
};

// Client-side GCRA (virtual scheduling), the algorithm CARTO runs server side (peers.md §b.10), for one
// endpoint group. Pure: every call takes `now`; single-threaded (the event loop owns it).
//   T = 1/rate, tau = (burst - 1) * T; a request at `now` conforms when now >= TAT - tau.
// Server headers only ever tighten the local state (Airbyte's rule), a 429's Retry-After holds the whole
// group, and a response served from CARTO's cache is refunded because CARTO does not charge it.
class GcraLimiter {
 public:
  // rate: requests per second (> 0); burst: requests allowed at once (>= 1).
  GcraLimiter(double rate_per_second, std::uint32_t burst);

  // Charges one request and returns zero when it conforms at `now`; otherwise charges nothing and
  // returns how long to wait before asking again.
  Nanos try_acquire(TimePoint now);

  // How long a request arriving at `now` would wait (zero: it would conform).
  Nanos wait_time(TimePoint now) const;

  // Gives back the charge of one request that the server did not count (X-Cache: HIT).
  void refund(TimePoint now);

  // Tightens from a response's Carto-Rate-Limit-* headers received at `now`; never loosens.
  void observe(TimePoint now, const RateLimitHeaders& headers);

  // Blocks the whole group until `until` (a 429's Retry-After).
  void hold_until(TimePoint until);

  // Counts the whole burst as spent at `now`: the next request conforms at now + T. A process that has
  // just started cannot know what its predecessor (killed a moment ago) sent, and the server's bucket
  // survives the restart; assuming it full would let burst extra requests out (the fault soak saw it).
  void spend_burst(TimePoint now);

  // Requests that would conform right now, and the time until full capacity (the headers' view).
  std::uint32_t remaining(TimePoint now) const;
  Nanos reset(TimePoint now) const;

  std::uint32_t burst() const { return burst_; }
  Nanos emission_interval() const { return t_; }

 private:
  Nanos t_;    // emission interval
  Nanos tau_;  // tolerance: (burst - 1) * T
  std::uint32_t burst_;
  TimePoint tat_{};   // theoretical arrival time
  TimePoint hold_{};  // nothing conforms before this
};

}  // namespace cartopull::flow
