// Rate-limit headers from a server we do not control: Carto-Rate-Limit-* through http::header_int into
// flow::GcraLimiter::observe, and Retry-After through flow::parse_retry_after into hold_until, over a
// sequence of responses. Input: header lines "Name: value"; an empty line ends one response.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flow/gcra_limiter.hpp"
#include "flow/retry_after.hpp"
#include "http/headers.hpp"

namespace {

using namespace std::chrono_literals;
using cartopull::flow::Nanos;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// 2026-11-25T20:00:00Z: a realistic wall clock, fixed so that a crash reproduces.
const auto kWallNow = std::chrono::system_clock::time_point(std::chrono::seconds(1795636800));

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // CARTO's Free plan tile group (20/s, burst 20); the steady clock starts where a daemon's might.
  cartopull::flow::GcraLimiter limiter(20.0, 20);
  auto now = cartopull::flow::TimePoint(std::chrono::hours(24 * 30));
  cartopull::http::Headers headers;

  const auto respond = [&] {
    cartopull::flow::RateLimitHeaders h{cartopull::http::header_int(headers, "Carto-Rate-Limit-Limit"),
                                        cartopull::http::header_int(headers, "Carto-Rate-Limit-Remaining"),
                                        cartopull::http::header_int(headers, "Carto-Rate-Limit-Reset")};
    (void)limiter.try_acquire(now);
    limiter.observe(now, h);
    if (auto ra = headers.find("Retry-After")) {
      auto wait = cartopull::flow::parse_retry_after(*ra, kWallNow);
      if (wait) {
        check(*wait >= Nanos::zero(), "Retry-After is never negative");
        check(*wait <= std::chrono::hours(24 * 366), "Retry-After is capped");
        limiter.hold_until(now + *wait);
      }
      (void)cartopull::flow::parse_http_date(*ra);
    }
    if (headers.find("X-Cache")) limiter.refund(now);
    check(limiter.remaining(now) <= limiter.burst(), "remaining <= burst");
    check(limiter.burst() >= 1 && limiter.burst() <= 20, "headers only tighten the burst");
    check(limiter.wait_time(now) >= Nanos::zero(), "waits are not negative");
    check(limiter.reset(now) >= Nanos::zero(), "reset is not negative");
    // Whatever a server sends, a group is never blocked for years (nor does a time point wrap).
    if (limiter.wait_time(now) > std::chrono::hours(24 * 800)) {
      std::fprintf(stderr, "wait %lld ns after limit=%lld remaining=%lld reset=%lld\n",
                   static_cast<long long>(limiter.wait_time(now).count()),
                   static_cast<long long>(h.limit.value_or(-1)),
                   static_cast<long long>(h.remaining.value_or(-1)),
                   static_cast<long long>(h.reset_s.value_or(-1)));
      check(false, "waits are bounded");
    }
    headers = {};
    now += 50ms;
  };

  while (!in.empty()) {
    const auto nl = in.find('\n');
    auto line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      respond();
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  respond();
  return 0;
}
