#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/result.hpp"
#include "flow/adaptive_concurrency.hpp"
#include "flow/gcra_limiter.hpp"
#include "flow/retry_budget.hpp"
#include "flow/retry_policy.hpp"
#include "http/attempt_event.hpp"
#include "http/client.hpp"

namespace cartopull::http {

// Flow control around a Client; defaults from peers.md's suggested profile.
struct ExecutorOptions {
  flow::RetryPolicyConfig retry{};
  double retry_budget_ratio = 0.2;     // retries allowed per first attempt, on top of...
  double retry_budget_reserve = 10;    // ...this many at any time
  std::uint32_t max_concurrency = 32;  // global cap on requests in flight (all groups)
  flow::ArcConfig arc{};               // per endpoint group; its max is also capped by max_concurrency
  // Per endpoint group (carto-maps-api.md §6). A group missing here has no configured rate, but is still
  // tightened by Carto-Rate-Limit-* headers and held after a 429.
  std::map<std::string, config::RateLimit> rate_limits{};
  // Whether a configured group's bucket starts spent (GcraLimiter::spend_burst at its first request)
  // rather than full, so a restarted daemon stays within the limit across the restart. Default false
  // for library users; executor_options() (the daemon and the CLI) sets true.
  bool limiter_starts_spent = false;
  // Uniform random numbers in [0, 1) for backoff jitter; default: a seeded std::mt19937_64.
  std::function<double()> random{};
};

// Maps the configuration structs (config.hpp) onto ExecutorOptions.
ExecutorOptions executor_options(const config::RetryConfig& retry,
                                 const config::ConcurrencyConfig& concurrency,
                                 const std::map<std::string, config::RateLimit>& rate_limits);

// Runs requests through, per endpoint group: a concurrency slot (global cap and the group's adaptive ARC
// limit), the group's GCRA limiter (tightened from Carto-Rate-Limit-* headers, held after a 429's
// Retry-After, refunded on X-Cache: HIT), the client, and retries with full-jitter backoff under a retry
// budget. Emits one AttemptEvent per attempt. Single event loop (the client's); keep it alive until every
// execute() has completed. The Request::deadline (default: client request_timeout from now) bounds the
// whole thing, queueing and backoff included.
class Executor {
 public:
  Executor(Client& client, ExecutorOptions options, TelemetrySink telemetry = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Final outcome: the last response (any status, e.g. a 503 after the last attempt, or a 404 at once),
  // or an error: transport failures, errc::rate_limited when Retry-After exceeds retry.retry_after_cap or
  // the group is held past the deadline, errc::timeout when the deadline passes while queued or waiting.
  // A request streaming to Request::on_body is not retried once some of its body was delivered.
  boost::asio::awaitable<result<Response>> execute(std::string group, Request request);

  struct GroupState {
    std::uint32_t concurrency_limit = 0;
    std::uint32_t in_flight = 0;
    std::uint32_t limiter_remaining = 0;
  };
  GroupState group_state(const std::string& group);
  double retry_budget_balance() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cartopull::http
