#include "http/executor.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>
#include <random>

#include "flow/retry_after.hpp"

namespace cartopull::http {

namespace asio = boost::asio;
using flow::Nanos;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool is_cache_hit(const Headers& h) {
  // Varnish/Fastly: "HIT", "HIT, MISS", "MISS, HIT"; any HIT means a cache answered (carto-maps-api.md §6).
  auto v = h.find("X-Cache");
  return v && v->find("HIT") != std::string_view::npos;
}

}  // namespace

std::string_view status_class(int status) noexcept {
  switch (status / 100) {
    case 1:
    case 2: return "2xx";
    case 3: return "3xx";
    case 4: return "4xx";
    case 5: return "5xx";
    default: return "error";
  }
}

ExecutorOptions executor_options(const config::RetryConfig& retry,
                                 const config::ConcurrencyConfig& concurrency,
                                 const std::map<std::string, config::RateLimit>& rate_limits) {
  ExecutorOptions o;
  o.retry.max_attempts = retry.max_attempts;
  o.retry.backoff_base = retry.backoff_base;
  o.retry.backoff_factor = retry.backoff_factor;
  o.retry.backoff_cap = retry.backoff_cap;
  o.retry.retry_after_cap = retry.retry_after_cap;
  o.retry_budget_ratio = retry.budget_ratio;
  o.max_concurrency = concurrency.max;
  o.arc.initial = concurrency.initial;
  o.arc.max = concurrency.max;
  o.arc.adaptive = concurrency.adaptive;
  o.rate_limits = rate_limits;
  o.limiter_starts_spent = true;
  return o;
}

struct Executor::Impl {
  struct Group {
    std::optional<flow::GcraLimiter> limiter;
    flow::AdaptiveConcurrency arc;
  };

  Client& client;
  ExecutorOptions opts;
  TelemetrySink telemetry;
  flow::RetryPolicy policy;
  flow::RetryBudget budget;
  std::map<std::string, Group> groups;
  std::uint32_t in_flight = 0;
  std::list<asio::steady_timer*> waiters;  // woken whenever a slot frees
  std::mt19937_64 rng{std::random_device{}()};

  Impl(Client& c, ExecutorOptions o, TelemetrySink t)
      : client(c),
        opts(std::move(o)),
        telemetry(std::move(t)),
        policy(opts.retry),
        budget(opts.retry_budget_ratio, opts.retry_budget_reserve,
               std::max(100.0, opts.retry_budget_reserve)) {
    opts.max_concurrency = std::max<std::uint32_t>(opts.max_concurrency, 1);
    opts.arc.max = std::min(std::max<std::uint32_t>(opts.arc.max, 1), opts.max_concurrency);
  }

  Group& group(const std::string& name) {
    auto it = groups.find(name);
    if (it != groups.end()) return it->second;
    Group g{std::nullopt, flow::AdaptiveConcurrency(opts.arc)};
    if (auto rl = opts.rate_limits.find(name); rl != opts.rate_limits.end() && rl->second.rate > 0) {
      g.limiter.emplace(rl->second.rate, rl->second.burst);
      if (opts.limiter_starts_spent) g.limiter->spend_burst(SteadyClock::now());
    } else  // no configured limit: a practically unlimited bucket that still learns from headers and 429s
      g.limiter.emplace(1e6, 1'000'000);
    return groups.emplace(name, std::move(g)).first->second;
  }

  double uniform() {
    if (opts.random) return opts.random();
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }

  void wake_all() {
    for (auto* t : waiters) t->cancel();
    waiters.clear();
  }

  static asio::awaitable<void> sleep_until(SteadyClock::time_point t) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_at(t);
    co_await timer.async_wait(kTuple);
  }

  // Waits for a concurrency slot in the group and globally, up to the deadline.
  asio::awaitable<result<void>> take_slot(std::string name, SteadyClock::time_point deadline) {
    for (;;) {
      Group& g = group(name);
      if (g.arc.can_start() && in_flight < opts.max_concurrency) {
        g.arc.on_start();
        ++in_flight;
        co_return result<void>{};
      }
      if (SteadyClock::now() >= deadline)
        co_return Error(errc::timeout,
                        "request deadline exceeded waiting for a concurrency slot (" + name + ")");
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_at(deadline);
      waiters.push_back(&timer);
      // Leaves the list however the wait ends (timeout, wake-up, or the coroutine destroyed).
      struct Unlist {
        std::list<asio::steady_timer*>& list;
        asio::steady_timer* t;
        ~Unlist() { list.remove(t); }
      } unlist{waiters, &timer};
      co_await timer.async_wait(kTuple);
    }
  }

  // Waits until the group's limiter grants a cell and returns the instant it did; fails as rate_limited
  // when that would pass the deadline.
  asio::awaitable<result<SteadyClock::time_point>> acquire_cell(std::string name,
                                                                SteadyClock::time_point deadline) {
    for (;;) {
      Group& g = group(name);
      auto now = SteadyClock::now();
      if (!g.limiter) co_return now;
      Nanos wait = g.limiter->try_acquire(now);
      if (wait == Nanos::zero()) co_return now;
      if (now + wait > deadline)
        co_return Error(errc::rate_limited,
                        "endpoint group " + name + " is rate limited beyond the deadline");
      co_await sleep_until(now + wait);
    }
  }

  asio::awaitable<result<void>> hop_cell(std::string name, SteadyClock::time_point deadline) {
    auto cell = co_await acquire_cell(std::move(name), deadline);
    if (!cell) co_return cell.error();
    co_return result<void>{};
  }

  void emit(AttemptEvent& e, const std::string& name) {
    Group& g = group(name);
    e.concurrency_limit = g.arc.limit();
    e.in_flight = g.arc.in_flight();
    if (telemetry) telemetry(e);
    if (!spdlog::should_log(spdlog::level::debug)) return;
    spdlog::debug(
        "http: group={} attempt={} status={} error={} retry={} latency_ms={:.1f} bytes={} "
        "limiter_wait_ms={:.1f} limit={} in_flight={}",
        e.group, e.attempt, e.status, e.error ? e.error.message() : "-", flow::to_string(e.retry_reason),
        std::chrono::duration<double, std::milli>(e.latency).count(), e.bytes,
        std::chrono::duration<double, std::milli>(e.limiter_wait).count(), e.concurrency_limit, e.in_flight);
  }

  asio::awaitable<result<Response>> execute(std::string name, Request req) {
    const auto deadline = req.deadline.value_or(SteadyClock::now() + client.options().request_timeout);
    req.deadline = deadline;
    budget.on_first_attempt();

    // Streamed bodies cannot be replayed once the consumer saw bytes.
    std::uint64_t delivered = 0;
    BodySink user_sink = std::move(req.on_body);
    if (user_sink) {
      req.on_body = [&delivered, &user_sink](std::string_view chunk) -> result<void> {
        delivered += chunk.size();
        return user_sink(chunk);
      };
    }

    for (std::uint32_t attempt = 1;; ++attempt) {
      AttemptEvent ev;
      ev.group = name;
      ev.attempt = attempt;

      auto queued = SteadyClock::now();
      if (auto slot = co_await take_slot(name, deadline); !slot) {
        ev.error = slot.error().code;
        ev.status_class = "error";
        ev.queue_wait = SteadyClock::now() - queued;
        emit(ev, name);
        co_return slot.error();
      }
      ev.queue_wait = SteadyClock::now() - queued;

      // The limiter comes after the slot so that a granted cell is spent at once: charging first and
      // queueing after would let sends bunch up beyond the rate.
      auto limiter_start = SteadyClock::now();
      auto cell = co_await acquire_cell(name, deadline);
      if (!cell) {
        auto now = SteadyClock::now();
        group(name).arc.on_finish(now, Nanos::zero(), flow::ArcSignal::neutral);
        --in_flight;
        wake_all();
        ev.error = cell.error().code;
        ev.status_class = "error";
        ev.limiter_wait = now - limiter_start;
        emit(ev, name);
        co_return cell.error();
      }
      ev.limiter_wait = *cell - limiter_start;

      auto sent = SteadyClock::now();
      ev.sent = *cell;  // the grant instant: the one GCRA's rate + burst bound speaks about
      Request attempt_req = req;
      // Every copy the server may have read must pass the limiter: no silent replay inside the client.
      attempt_req.replay_on_stale_connection = false;
      // A followed redirect is one more request against the same limit.
      // One pointer, so std::function keeps it inline: no allocation per attempt. `hop` lives in this
      // frame until send() returns, the only time the gate can run.
      struct Hop {
        Impl* impl;
        const std::string* name;
        SteadyClock::time_point deadline;
      } hop{this, &name, deadline};
      std::function<asio::awaitable<result<void>>()> gate = [h = &hop] {
        return h->impl->hop_cell(*h->name, h->deadline);
      };
      attempt_req.before_redirect = std::move(gate);
      auto r = co_await client.send(std::move(attempt_req));
      auto done = SteadyClock::now();
      ev.latency = done - sent;

      Group& g = group(name);
      flow::RetryReason reason = flow::RetryReason::none;
      std::optional<Nanos> retry_after;
      if (r) {
        ev.status = r->status;
        ev.status_class = status_class(r->status);
        ev.bytes = r->wire_bytes;
        ev.cache_hit = is_cache_hit(r->headers);
        flow::RateLimitHeaders h{header_int(r->headers, "Carto-Rate-Limit-Limit"),
                                 header_int(r->headers, "Carto-Rate-Limit-Remaining"),
                                 header_int(r->headers, "Carto-Rate-Limit-Reset")};
        ev.carto_remaining = h.remaining;
        if (g.limiter) {
          if (ev.cache_hit)
            g.limiter->refund(done);
          else
            g.limiter->observe(done, h);
        }
        reason = flow::retry_reason_for_status(r->status);
        if (auto ra = r->headers.find("Retry-After"))
          retry_after = flow::parse_retry_after(*ra, std::chrono::system_clock::now());
        // A 429 holds the whole group, not just this request (Vector #4724, peers.md §b.10).
        if (r->status == 429 && g.limiter) {
          g.limiter->hold_until(done + retry_after.value_or(Nanos::zero()));
        }
      } else {
        ev.error = r.error().code;
        ev.status_class = "error";
        reason = flow::retry_reason_for_error(r.error().code);
      }

      flow::ArcSignal signal = flow::ArcSignal::neutral;
      if (ev.cache_hit)
        signal = flow::ArcSignal::cache_hit;
      else if (reason == flow::RetryReason::timeout || (r && reason != flow::RetryReason::none))
        signal = flow::ArcSignal::back_pressure;
      else if (r)
        signal = flow::ArcSignal::success;
      g.arc.on_finish(done, ev.latency, signal);
      --in_flight;
      wake_all();

      auto decision = policy.decide(attempt, reason, retry_after, uniform());
      bool retry = decision.action == flow::RetryDecision::Action::retry;
      if (retry && delivered > 0) retry = false;
      if (retry && done + decision.delay >= deadline) retry = false;
      if (retry && !budget.try_withdraw()) {
        retry = false;
        spdlog::debug("http: group={} retry budget exhausted", name);
      }
      if (decision.action == flow::RetryDecision::Action::rate_limited) {
        ev.error = make_error_code(errc::rate_limited);
      }
      ev.final = !retry;
      if (retry) {
        ev.retry_reason = reason;
        ev.retry_delay = decision.delay;
      }
      emit(ev, name);

      if (decision.action == flow::RetryDecision::Action::rate_limited) {
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(decision.delay).count();
        co_return Error(errc::rate_limited, "endpoint group " + name + " asked to wait " +
                                                std::to_string(secs) + " s (Retry-After), beyond the cap");
      }
      if (!retry) co_return std::move(r);
      co_await sleep_until(done + decision.delay);
    }
  }
};

Executor::Executor(Client& client, ExecutorOptions options, TelemetrySink telemetry)
    : impl_(std::make_unique<Impl>(client, std::move(options), std::move(telemetry))) {}

Executor::~Executor() = default;

asio::awaitable<result<Response>> Executor::execute(std::string group, Request request) {
  return impl_->execute(std::move(group), std::move(request));
}

Executor::GroupState Executor::group_state(const std::string& name) {
  auto& g = impl_->group(name);
  GroupState s;
  s.concurrency_limit = g.arc.limit();
  s.in_flight = g.arc.in_flight();
  s.limiter_remaining = g.limiter ? g.limiter->remaining(SteadyClock::now()) : 0;
  return s;
}

double Executor::retry_budget_balance() const {
  return impl_->budget.balance();
}

}  // namespace cartopull::http
