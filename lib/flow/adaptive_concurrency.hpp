#pragma once

#include <cstdint>
#include <optional>

#include "flow/clock.hpp"

namespace cartopull::flow {

// Settings of one endpoint group's adaptive concurrency; defaults from peers.md's suggested profile.
struct ArcConfig {
  std::uint32_t initial = 1;         // starting limit
  std::uint32_t max = 32;            // ceiling (the lower of the group's and the global cap)
  double decrease_ratio = 0.9;       // multiplicative decrease on back-pressure
  double ewma_alpha = 0.4;           // weight of the newest window's RTT in the baseline
  double rtt_deviation_scale = 2.5;  // RTT above mean + scale * deviation counts as overload
  bool adaptive = true;              // false: the limit stays at `max`
};

// What one finished request tells the controller.
enum class ArcSignal {
  success,        // 2xx/3xx/non-retryable 4xx from the origin: its RTT feeds the baseline
  back_pressure,  // 408/429/5xx-retryable or a timeout: decrease
  cache_hit,      // served by CARTO's CDN (X-Cache: HIT): says nothing about tiler load, ignored
  neutral,        // protocol or connection error: neither RTT nor back-pressure (as Vector)
};

// Vector's Adaptive Request Concurrency (peers.md §b.5), as a pure state machine: AIMD on the limit, one
// decision per averaged RTT window. Single-threaded; time is passed in.
class AdaptiveConcurrency {
 public:
  explicit AdaptiveConcurrency(ArcConfig config = {});

  // True when one more request may start now.
  bool can_start() const { return in_flight_ < limit_; }
  void on_start();
  // A request started with on_start() finished at `now` after `rtt`.
  void on_finish(TimePoint now, Nanos rtt, ArcSignal signal);

  std::uint32_t limit() const { return limit_; }
  std::uint32_t in_flight() const { return in_flight_; }
  // The EWMA baseline RTT (zero before the first window).
  Nanos averaged_rtt() const;

 private:
  struct Mean {
    double sum = 0;
    std::uint64_t n = 0;
  };
  struct Ewma {
    std::optional<double> mean;
    double var = 0;
    void update(double x, double alpha);
  };

  ArcConfig config_;
  std::uint32_t limit_;
  std::uint32_t in_flight_ = 0;
  Mean current_;  // RTT (ns) of successes in this window
  Ewma past_;     // baseline over windows
  TimePoint next_update_{};
  bool reached_limit_ = false;
  bool had_back_pressure_ = false;
};

}  // namespace cartopull::flow
