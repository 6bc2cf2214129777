#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

#include "flow/clock.hpp"

namespace cartopull::flow {

// Why an attempt is retried: a bounded set, used as a metric label.
enum class RetryReason : std::uint8_t {
  none,
  status_408,
  status_429,
  status_500,
  status_502,
  status_503,
  status_504,
  connection_reset,
  timeout,
  truncated_body,
};
std::string_view to_string(RetryReason reason) noexcept;

// 408, 429, 500, 502, 503, 504 are retryable; every other status (501, all other 4xx) is final.
RetryReason retry_reason_for_status(int status) noexcept;
// errc::connection_reset, timeout and truncated_body are retryable; DNS, TLS, body limits are not.
RetryReason retry_reason_for_error(std::error_code code) noexcept;

// Defaults from peers.md's suggested profile (same as config::RetryConfig).
struct RetryPolicyConfig {
  std::uint32_t max_attempts = 5;  // including the first
  Nanos backoff_base = std::chrono::seconds(1);
  double backoff_factor = 2.0;
  Nanos backoff_cap = std::chrono::seconds(60);
  Nanos retry_after_cap = std::chrono::seconds(300);  // a longer Retry-After fails as rate limited
};

struct RetryDecision {
  enum class Action {
    retry,         // wait `delay`, then try again
    give_up,       // final: not retryable, or attempts exhausted
    rate_limited,  // final: the server asked for a wait beyond retry_after_cap
  };
  Action action = Action::give_up;
  Nanos delay{0};
};

// Exponential backoff with full jitter: uniform(0, d] with d = min(cap, base * factor^(attempt-1)).
class RetryPolicy {
 public:
  explicit RetryPolicy(RetryPolicyConfig config = {}) : config_(config) {}

  // Upper bound of the wait after the `attempt`-th attempt failed (attempt >= 1).
  Nanos max_backoff(std::uint32_t attempt) const;
  // The jittered wait; `u01` is a uniform random number in [0, 1) from the caller's RNG.
  Nanos backoff(std::uint32_t attempt, double u01) const;

  // After the `attempt`-th attempt failed for `reason`, with the server's Retry-After if any.
  // A Retry-After longer than the backoff replaces it; beyond the cap the request fails as rate limited.
  RetryDecision decide(std::uint32_t attempt, RetryReason reason, std::optional<Nanos> retry_after,
                       double u01) const;

  const RetryPolicyConfig& config() const { return config_; }

 private:
  RetryPolicyConfig config_;
};

}  // namespace cartopull::flow
