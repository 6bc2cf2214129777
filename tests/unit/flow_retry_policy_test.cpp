#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "core/errc.hpp"
#include "flow/retry_after.hpp"
#include "flow/retry_budget.hpp"
#include "flow/retry_policy.hpp"

namespace cartopull::flow {
namespace {

using namespace std::chrono_literals;
using Action = RetryDecision::Action;

TEST(RetryPolicy, retries_exactly_the_retryable_statuses) {
  struct Case {
    int status;
    bool retry;
  };
  for (Case c : {Case{200, false}, Case{304, false}, Case{400, false}, Case{401, false}, Case{403, false},
                 Case{404, false}, Case{409, false}, Case{408, true}, Case{429, true}, Case{500, true},
                 Case{501, false}, Case{502, true}, Case{503, true}, Case{504, true}, Case{505, false}}) {
    EXPECT_EQ(retry_reason_for_status(c.status) != RetryReason::none, c.retry) << c.status;
    RetryPolicy p;
    auto d = p.decide(1, retry_reason_for_status(c.status), std::nullopt, 0.5);
    EXPECT_EQ(d.action == Action::retry, c.retry) << c.status;
  }
}

TEST(RetryPolicy, retries_resets_timeouts_and_truncation_but_not_tls_or_dns) {
  struct Case {
    errc code;
    bool retry;
  };
  for (Case c :
       {Case{errc::connection_reset, true}, Case{errc::timeout, true}, Case{errc::truncated_body, true},
        Case{errc::tls_failed, false}, Case{errc::dns_failed, false}, Case{errc::body_too_large, false},
        Case{errc::too_many_redirects, false}}) {
    EXPECT_EQ(retry_reason_for_error(make_error_code(c.code)) != RetryReason::none, c.retry)
        << static_cast<int>(c.code);
  }
}

TEST(RetryPolicy, backoff_is_exponential_and_capped) {
  RetryPolicy p(RetryPolicyConfig{.backoff_base = 1s, .backoff_factor = 2, .backoff_cap = 60s});
  const std::vector<std::pair<std::uint32_t, Nanos>> table = {{1, 1s},  {2, 2s},  {3, 4s},  {4, 8s},
                                                              {6, 32s}, {7, 60s}, {20, 60s}};
  for (auto [attempt, d] : table) EXPECT_EQ(p.max_backoff(attempt), d) << attempt;
}

TEST(RetryPolicy, backoff_with_jitter_stays_in_zero_exclusive_to_d_inclusive) {
  RetryPolicy p;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::uint32_t attempt = 1; attempt <= 8; ++attempt) {
    Nanos lo = Nanos::max(), hi = Nanos::zero();
    for (int i = 0; i < 2000; ++i) {
      Nanos d = p.backoff(attempt, u(rng));
      ASSERT_GT(d, Nanos::zero());
      ASSERT_LE(d, p.max_backoff(attempt));
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Full jitter spreads over the whole range, not around d.
    EXPECT_LT(lo, p.max_backoff(attempt) / 10) << attempt;
    EXPECT_GT(hi, p.max_backoff(attempt) * 9 / 10) << attempt;
  }
  EXPECT_EQ(p.backoff(3, 0.0), p.max_backoff(3));
  EXPECT_EQ(p.backoff(3, 0.5), p.max_backoff(3) / 2);
}

TEST(RetryPolicy, gives_up_after_max_attempts) {
  RetryPolicy p(RetryPolicyConfig{.max_attempts = 3});
  EXPECT_EQ(p.decide(1, RetryReason::status_503, std::nullopt, 0.1).action, Action::retry);
  EXPECT_EQ(p.decide(2, RetryReason::status_503, std::nullopt, 0.1).action, Action::retry);
  EXPECT_EQ(p.decide(3, RetryReason::status_503, std::nullopt, 0.1).action, Action::give_up);
}

TEST(RetryPolicy, retry_after_longer_than_backoff_wins) {
  RetryPolicy p;
  auto d = p.decide(1, RetryReason::status_429, Nanos(7s), 0.0);
  EXPECT_EQ(d.action, Action::retry);
  EXPECT_EQ(d.delay, Nanos(7s));
  d = p.decide(1, RetryReason::status_429, Nanos(0s), 0.5);
  EXPECT_EQ(d.delay, Nanos(500ms));
}

TEST(RetryPolicy, retry_after_beyond_the_cap_fails_as_rate_limited) {
  RetryPolicy p(RetryPolicyConfig{.retry_after_cap = 300s});
  EXPECT_EQ(p.decide(1, RetryReason::status_429, Nanos(300s), 0.5).action, Action::retry);
  auto d = p.decide(1, RetryReason::status_429, Nanos(301s), 0.5);
  EXPECT_EQ(d.action, Action::rate_limited);
  EXPECT_EQ(d.delay, Nanos(301s));
}

TEST(RetryAfter, parses_seconds_and_rejects_garbage) {
  auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
  struct Case {
    std::string_view text;
    std::optional<Nanos> expect;
  };
  for (Case c : {Case{"0", Nanos(0)}, Case{"5", Nanos(5s)}, Case{" 120 ", Nanos(120s)},
                 Case{"-1", std::nullopt}, Case{"", std::nullopt}, Case{"1.5", std::nullopt},
                 Case{"soon", std::nullopt}, Case{"5s", std::nullopt}}) {
    EXPECT_EQ(parse_retry_after(c.text, now), c.expect) << c.text;
  }
}

TEST(RetryPolicy, honours_retry_after_http_date) {
  auto now = *parse_http_date("Sun, 06 Nov 1994 08:49:30 GMT");
  struct Case {
    std::string_view text;
    std::optional<Nanos> expect;
  };
  for (Case c :
       {Case{"Sun, 06 Nov 1994 08:49:37 GMT", Nanos(7s)}, Case{"Sunday, 06-Nov-94 08:50:30 GMT", Nanos(60s)},
        Case{"Sun Nov  6 08:49:40 1994", Nanos(10s)}, Case{"Sun, 06 Nov 1994 08:00:00 GMT", Nanos(0)},
        Case{"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
        Case{"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt},
        Case{"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt}}) {
    EXPECT_EQ(parse_retry_after(c.text, now), c.expect) << c.text;
  }
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*parse_http_date("Thu, 01 Jan 1970 00:00:01 GMT")), 1);
}

// Found by fuzz/rate_limit_fuzzer: a date decades ahead gave a wait beyond the delay-seconds cap, and
// a year outside 1678..2262 overflowed the nanosecond time point.
TEST(RetryAfter, far_dates_are_capped_and_do_not_overflow) {
  auto now = *parse_http_date("Wed, 25 Nov 2026 20:00:00 GMT");
  struct Case {
    std::string_view text;
    std::optional<Nanos> expect;
  };
  for (Case c :
       {Case{"Sunday, 06-Nov-47 08:49:37 GMT", Nanos(kMaxRetryAfter)},
        Case{"Fri, 31 Dec 9999 23:59:59 GMT", Nanos(kMaxRetryAfter)},
        Case{"Mon, 01 Jan 1000 00:00:00 GMT", Nanos(0)}, Case{"Thu, 26 Nov 2026 20:00:00 GMT", Nanos(24h)}}) {
    EXPECT_EQ(parse_retry_after(c.text, now), c.expect) << c.text;
  }
  EXPECT_EQ(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), std::chrono::system_clock::time_point::max());
  EXPECT_EQ(parse_http_date("Mon, 01 Jan 1000 00:00:00 GMT"), std::chrono::system_clock::time_point::min());
}

TEST(RetryBudget, limits_retries_to_a_fraction_of_first_attempts) {
  RetryBudget b(0.2, 10, 100);
  int retries = 0;
  for (int i = 0; i < 100; ++i) {
    b.on_first_attempt();
    // A dead server: every request wants max_attempts - 1 = 4 retries.
    for (int r = 0; r < 4; ++r) retries += b.try_withdraw();
  }
  EXPECT_GE(retries, 29);  // reserve 10 + 0.2 * 100 (floating point may lose the last one)
  EXPECT_LE(retries, 30);
}

TEST(RetryBudget, balance_is_capped) {
  RetryBudget b(1.0, 2, 5);
  for (int i = 0; i < 100; ++i) b.on_first_attempt();
  int retries = 0;
  while (b.try_withdraw()) ++retries;
  EXPECT_EQ(retries, 5);
}

}  // namespace
}  // namespace cartopull::flow
