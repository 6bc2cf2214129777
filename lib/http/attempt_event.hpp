#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>

#include "flow/clock.hpp"
#include "flow/retry_policy.hpp"

namespace cartopull::http {

// One request attempt, as seen by the executor: the single event that feeds the debug log line and the
// metrics (requests by group and status class, latency, bytes, retries by reason, limiter wait, ARC limit,
// in-flight, CARTO's remaining budget). Every label-like field is from a bounded set: no URL, id or key.
struct AttemptEvent {
  std::string_view group;         // endpoint group, e.g. "tile"
  std::uint32_t attempt = 1;      // 1-based
  int status = 0;                 // HTTP status; 0 when the attempt failed below HTTP
  std::string_view status_class;  // "2xx" "3xx" "4xx" "5xx" or "error"
  std::error_code error;          // cartopull::errc when status == 0, or rate_limited on a final give-up
  flow::RetryReason retry_reason = flow::RetryReason::none;  // set when another attempt follows
  bool final = true;                                         // no further attempt for this request
  flow::Nanos latency{0};                                    // send to last body byte
  // When the limiter granted the attempt (it then went straight to the client); default (epoch) when it
  // never was.
  std::chrono::steady_clock::time_point sent{};
  flow::Nanos queue_wait{0};                    // waiting for a concurrency slot
  flow::Nanos limiter_wait{0};                  // waiting for the GCRA limiter
  flow::Nanos retry_delay{0};                   // backoff before the next attempt
  std::uint64_t bytes = 0;                      // body bytes received (wire)
  std::uint32_t concurrency_limit = 0;          // the group's ARC limit after this attempt
  std::uint32_t in_flight = 0;                  // requests in flight in the group after it
  std::optional<std::int64_t> carto_remaining;  // Carto-Rate-Limit-Remaining, if sent
  bool cache_hit = false;                       // X-Cache: HIT (not charged by CARTO)
};

// Called on the event loop, synchronously, once per attempt; must not block.
using TelemetrySink = std::function<void(const AttemptEvent&)>;

std::string_view status_class(int status) noexcept;

}  // namespace cartopull::http
