#include "flow/retry_policy.hpp"

#include <algorithm>
#include <cmath>

#include "core/errc.hpp"

namespace cartopull::flow {

std::string_view to_string(RetryReason reason) noexcept {
  switch (reason) {
    case RetryReason::none: return "none";
    case RetryReason::status_408: return "408";
    case RetryReason::status_429: return "429";
    case RetryReason::status_500: return "500";
    case RetryReason::status_502: return "502";
    case RetryReason::status_503: return "503";
    case RetryReason::status_504: return "504";
    case RetryReason::connection_reset: return "connection_reset";
    case RetryReason::timeout: return "timeout";
    case RetryReason::truncated_body: return "truncated_body";
  }
  return "none";
}

RetryReason retry_reason_for_status(int status) noexcept {
  switch (status) {
    case 408: return RetryReason::status_408;
    case 429: return RetryReason::status_429;
    case 500: return RetryReason::status_500;
    case 502: return RetryReason::status_502;
    case 503: return RetryReason::status_503;
    case 504: return RetryReason::status_504;
    default: return RetryReason::none;
  }
}

RetryReason retry_reason_for_error(std::error_code code) noexcept {
  if (code == errc::connection_reset) return RetryReason::connection_reset;
  if (code == errc::timeout) return RetryReason::timeout;
  if (code == errc::truncated_body) return RetryReason::truncated_body;
  return RetryReason::none;
}

Nanos RetryPolicy::max_backoff(std::uint32_t attempt) const {
  double base = static_cast<double>(config_.backoff_base.count());
  double cap = static_cast<double>(config_.backoff_cap.count());
  double d = base * std::pow(config_.backoff_factor, static_cast<double>(attempt > 0 ? attempt - 1 : 0));
  return Nanos(static_cast<Nanos::rep>(std::min(d, cap)));
}

Nanos RetryPolicy::backoff(std::uint32_t attempt, double u01) const {
  // uniform(0, d]: 1 - u01 is in (0, 1], so the wait is never exactly zero (Vector's full jitter).
  double d = static_cast<double>(max_backoff(attempt).count());
  double f = 1.0 - std::clamp(u01, 0.0, 1.0);
  return Nanos(std::max<Nanos::rep>(1, static_cast<Nanos::rep>(std::ceil(d * f))));
}

RetryDecision RetryPolicy::decide(std::uint32_t attempt, RetryReason reason, std::optional<Nanos> retry_after,
                                  double u01) const {
  if (reason == RetryReason::none) return {RetryDecision::Action::give_up, Nanos::zero()};
  if (retry_after && *retry_after > config_.retry_after_cap)
    return {RetryDecision::Action::rate_limited, *retry_after};
  if (attempt >= config_.max_attempts) return {RetryDecision::Action::give_up, Nanos::zero()};
  Nanos delay = backoff(attempt, u01);
  if (retry_after) delay = std::max(delay, *retry_after);
  return {RetryDecision::Action::retry, delay};
}

}  // namespace cartopull::flow
