#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sched/scheduler.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono;
using namespace std::chrono_literals;
using namespace cartopull::sched;
using cartopull::config::ScheduleConfig;

SysMs at(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) ADD_FAILURE() << text;
  return SysMs{sys_days{year{y} / mo / d}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s}};
}

Schedule every(milliseconds period, bool run_at_start = false) {
  ScheduleConfig c;
  c.every = period;
  c.run_at_start = run_at_start;
  return *Schedule::compile(c, "job");
}

// Drives a Scheduler on a ManualClock: nothing sleeps, time moves only when the test says so.
class SchedulerTest : public ::testing::Test {
 protected:
  asio::awaitable<RunOutcome> run(RunRequest request) {
    calls_.push_back(request);
    if (request.job == "thrower") throw std::runtime_error("boom");
    if (block_) {
      if (ignore_cancel_) co_await asio::this_coro::throw_if_cancelled(false);
      while (!released_) {
        gate_.expires_at(steady_clock::time_point::max());
        co_await gate_.async_wait(asio::as_tuple(asio::use_awaitable));
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none) {
          if (!ignore_cancel_) co_return RunOutcome::cancelled;
          co_await asio::this_coro::reset_cancellation_state();
        }
      }
    }
    auto& script = outcomes_[request.job];
    if (script.empty()) co_return RunOutcome::succeeded;
    const auto outcome = script.front();
    script.pop_front();
    co_return outcome;
  }

  void start() {
    sched_.start();
    settle();
  }
  void settle() {
    ioc_.restart();
    ioc_.poll();
  }
  void advance_to(const std::string& t) {
    clock_.set(at(t));
    sched_.poke();
    settle();
  }
  void release() {
    released_ = true;
    gate_.cancel();
    settle();
  }
  StopReport stop(milliseconds drain, milliseconds grace = 5s) {
    std::optional<StopReport> report;
    asio::co_spawn(ioc_, sched_.stop(drain, grace), [&](std::exception_ptr, StopReport r) { report = r; });
    settle();
    if (!report) {
      release();
    }
    EXPECT_TRUE(report);
    return report.value_or(StopReport{});
  }
  void TearDown() override {
    released_ = true;
    gate_.cancel();
    std::optional<StopReport> report;
    asio::co_spawn(ioc_, sched_.stop(0ms, 0ms), [&](std::exception_ptr, StopReport r) { report = r; });
    settle();
  }

  asio::io_context ioc_;
  ManualClock clock_{at("2026-11-25T10:07:00")};
  std::vector<RunRequest> calls_;
  std::map<std::string, std::deque<RunOutcome>> outcomes_;
  std::vector<std::pair<std::string, std::uint64_t>> skipped_;
  bool block_ = false;
  bool released_ = false;
  bool ignore_cancel_ = false;
  asio::steady_timer gate_{ioc_};
  Scheduler sched_{ioc_.get_executor(), clock_, [this](RunRequest r) { return run(std::move(r)); },
                   SchedulerHooks{.planned = {},
                                  .started = {},
                                  .finished = {},
                                  .skipped_overlap = [this](const std::string& job, std::uint64_t n) {
                                    skipped_.emplace_back(job, n);
                                  }}};
};

TEST_F(SchedulerTest, runs_each_tick_and_plans_the_next) {
  sched_.add_job("a", every(15min));
  start();
  EXPECT_TRUE(calls_.empty());
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:15:00"));
  advance_to("2026-11-25T10:14:59");
  EXPECT_TRUE(calls_.empty());
  advance_to("2026-11-25T10:15:00");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].trigger, RunTrigger::schedule);
  EXPECT_EQ(calls_[0].planned, at("2026-11-25T10:15:00"));
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:30:00"));
  EXPECT_EQ(sched_.status("a")->last_outcome, RunOutcome::succeeded);
}

TEST_F(SchedulerTest, run_at_start_runs_once_then_follows_the_schedule) {
  sched_.add_job("a", every(15min, true));
  start();
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].trigger, RunTrigger::at_start);
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:15:00"));
}

TEST_F(SchedulerTest, a_long_stall_runs_the_missed_tick_once) {
  sched_.add_job("a", every(15min));
  start();
  advance_to("2026-11-25T13:02:00");  // a suspend: 11 ticks missed
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].planned, at("2026-11-25T10:15:00"));
  EXPECT_EQ(calls_[0].started, at("2026-11-25T13:02:00"));
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T13:15:00"));
  EXPECT_TRUE(skipped_.empty());
}

TEST_F(SchedulerTest, restored_history_missed_while_down_catches_up_once) {
  sched_.add_job("a", every(15min),
                 JobHistory{at("2026-11-24T10:00:00"), at("2026-11-24T10:01:00"), 0, false});
  start();
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].trigger, RunTrigger::catch_up);
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:15:00"));
}

TEST_F(SchedulerTest, ticks_during_a_long_run_are_skipped_and_counted) {
  block_ = true;
  sched_.add_job("a", every(15min));
  start();
  advance_to("2026-11-25T10:15:00");
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_TRUE(sched_.status("a")->running);
  advance_to("2026-11-25T10:47:00");
  EXPECT_EQ(calls_.size(), 1u);  // never overlaps itself
  release();
  EXPECT_EQ(calls_.size(), 1u);
  const auto s = sched_.status("a");
  EXPECT_EQ(s->skipped_overlaps, 2u);  // 10:30 and 10:45
  ASSERT_EQ(skipped_.size(), 1u);
  EXPECT_EQ(skipped_[0], std::make_pair(std::string("a"), std::uint64_t{2}));
  EXPECT_EQ(s->next_run, at("2026-11-25T11:00:00"));
}

TEST_F(SchedulerTest, trigger_runs_now_and_a_trigger_while_running_is_skipped) {
  block_ = true;
  sched_.add_job("a", Schedule{});  // manual only
  start();
  EXPECT_TRUE(calls_.empty());
  EXPECT_FALSE(sched_.status("a")->next_run);
  EXPECT_EQ(sched_.trigger("a"), TriggerResult::started);
  settle();
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].trigger, RunTrigger::manual);
  EXPECT_EQ(sched_.trigger("a"), TriggerResult::already_running);
  EXPECT_EQ(sched_.trigger("nope"), TriggerResult::unknown_job);
  release();
  EXPECT_EQ(calls_.size(), 1u);
  EXPECT_EQ(sched_.status("a")->skipped_overlaps, 1u);
  EXPECT_EQ(sched_.status("a")->runs, 1u);
}

TEST_F(SchedulerTest, failures_back_off_the_schedule_and_success_restores_it) {
  outcomes_["a"] = {RunOutcome::failed, RunOutcome::failed, RunOutcome::succeeded};
  sched_.add_job("a", every(1min));
  start();
  advance_to("2026-11-25T10:08:00");
  EXPECT_EQ(sched_.status("a")->consecutive_failures, 1u);
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:10:00"));  // after 10:08 + 1m
  advance_to("2026-11-25T10:09:00");
  EXPECT_EQ(calls_.size(), 1u);
  advance_to("2026-11-25T10:10:00");
  EXPECT_EQ(calls_.size(), 2u);
  EXPECT_EQ(calls_[1].trigger, RunTrigger::backoff);
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:13:00"));  // after 10:10 + 2m
  advance_to("2026-11-25T10:13:00");
  EXPECT_EQ(sched_.status("a")->consecutive_failures, 0u);
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:14:00"));
}

TEST_F(SchedulerTest, one_job_throwing_never_stops_another) {
  sched_.add_job("thrower", every(1min));
  sched_.add_job("b", every(1min));
  start();
  advance_to("2026-11-25T10:08:00");
  advance_to("2026-11-25T10:09:00");
  EXPECT_EQ(calls_.size(), 3u);  // the thrower failed and backs off; b keeps its schedule
  EXPECT_EQ(sched_.status("thrower")->last_outcome, RunOutcome::failed);
  EXPECT_EQ(sched_.status("thrower")->next_run, at("2026-11-25T10:10:00"));
  EXPECT_EQ(sched_.status("b")->last_outcome, RunOutcome::succeeded);
  EXPECT_EQ(sched_.status("b")->runs, 2u);
}

TEST_F(SchedulerTest, stop_lets_in_flight_runs_finish_within_the_drain_time) {
  block_ = true;
  sched_.add_job("a", every(15min));
  start();
  advance_to("2026-11-25T10:15:00");
  std::optional<StopReport> report;
  asio::co_spawn(ioc_, sched_.stop(10s), [&](std::exception_ptr, StopReport r) { report = r; });
  settle();
  EXPECT_FALSE(report);  // still draining
  EXPECT_EQ(sched_.trigger("a"), TriggerResult::stopping);
  release();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->drained, 1u);
  EXPECT_EQ(report->cancelled, 0u);
  EXPECT_EQ(sched_.status("a")->last_outcome, RunOutcome::succeeded);
  advance_to("2026-11-25T11:00:00");
  EXPECT_EQ(calls_.size(), 1u);  // no scheduling after stop
}

TEST_F(SchedulerTest, stop_cancels_runs_still_going_after_the_drain_time) {
  block_ = true;
  sched_.add_job("a", every(15min));
  start();
  advance_to("2026-11-25T10:15:00");
  const auto report = stop(0ms);
  EXPECT_EQ(report.drained, 0u);
  EXPECT_EQ(report.cancelled, 1u);
  EXPECT_EQ(report.abandoned, 0u);
  EXPECT_EQ(sched_.status("a")->last_outcome, RunOutcome::cancelled);
  EXPECT_EQ(sched_.status("a")->consecutive_failures, 0u);  // cancelled is not a failure
}

TEST_F(SchedulerTest, stop_reports_runs_that_ignore_cancellation) {
  block_ = true;
  ignore_cancel_ = true;
  sched_.add_job("a", every(15min));
  start();
  advance_to("2026-11-25T10:15:00");
  std::optional<StopReport> report;
  asio::co_spawn(ioc_, sched_.stop(0ms, 0ms), [&](std::exception_ptr, StopReport r) { report = r; });
  settle();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->abandoned, 1u);
  EXPECT_TRUE(sched_.status("a")->running);
}

TEST_F(SchedulerTest, removed_job_finishes_its_run_and_plans_no_more) {
  block_ = true;
  sched_.add_job("a", every(15min));
  start();
  advance_to("2026-11-25T10:15:00");
  EXPECT_TRUE(sched_.remove_job("a"));
  EXPECT_FALSE(sched_.status("a"));
  release();
  advance_to("2026-11-25T11:00:00");
  EXPECT_EQ(calls_.size(), 1u);
  EXPECT_FALSE(sched_.remove_job("a"));
}

TEST_F(SchedulerTest, changed_schedule_applies_from_the_next_tick) {
  sched_.add_job("a", every(15min));
  start();
  EXPECT_TRUE(sched_.set_schedule("a", every(1min)));
  settle();
  EXPECT_EQ(sched_.status("a")->next_run, at("2026-11-25T10:08:00"));
  EXPECT_TRUE(sched_.add_job("b", every(2min)));
  EXPECT_FALSE(sched_.add_job("b", every(2min)));
  settle();
  EXPECT_EQ(sched_.status("b")->next_run, at("2026-11-25T10:08:00"));
  advance_to("2026-11-25T10:08:00");
  ASSERT_EQ(calls_.size(), 2u);
}

TEST_F(SchedulerTest, a_cron_job_runs_once_through_both_dst_nights_in_berlin) {
  ScheduleConfig c;
  c.cron = "30 2 * * *";
  c.timezone = "Europe/Berlin";
  clock_.set(at("2026-03-28T12:00:00"));
  sched_.add_job("nightly", *Schedule::compile(c, "nightly"));
  start();
  // 02:30 does not exist on 2026-03-29: it runs when the clock jumps to 03:00 CEST (01:00Z).
  for (const char* t : {"2026-03-29T00:59:59", "2026-03-29T01:00:00", "2026-03-29T01:30:00"}) advance_to(t);
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].planned, at("2026-03-29T01:00:00"));
  EXPECT_EQ(sched_.status("nightly")->next_run, at("2026-03-30T00:30:00"));
  // 02:30 happens twice on 2026-10-25: it runs the first time only (00:30Z), not at 01:30Z.
  calls_.clear();
  for (const char* t :
       {"2026-10-24T12:00:00", "2026-10-25T00:30:00", "2026-10-25T01:30:00", "2026-10-25T02:30:00"}) {
    advance_to(t);
  }
  ASSERT_EQ(calls_.size(), 2u);  // months of missed ticks run once (late), then the first 02:30
  EXPECT_EQ(calls_[0].planned, at("2026-03-30T00:30:00"));
  EXPECT_EQ(calls_[0].started, at("2026-10-24T12:00:00"));
  EXPECT_EQ(calls_[1].planned, at("2026-10-25T00:30:00"));
  EXPECT_EQ(sched_.status("nightly")->next_run, at("2026-10-26T01:30:00"));
}

asio::awaitable<RunOutcome> quick_run(RunRequest) {
  co_return RunOutcome::succeeded;
}

// The one test on the real clock: a 20 ms interval, ~60 ms of real time.
TEST(SchedulerRealClock, fires_on_interval_boundaries_of_the_system_clock) {
  asio::io_context ioc;
  SystemClock clock{10ms};
  std::vector<RunRequest> started;
  Scheduler sched{ioc.get_executor(), clock, quick_run,
                  SchedulerHooks{.planned = {},
                                 .started = [&](const RunRequest& r) { started.push_back(r); },
                                 .finished = {},
                                 .skipped_overlap = {}}};
  sched.add_job("a", every(20ms));
  sched.start();
  const auto deadline = steady_clock::now() + 2s;
  while (started.size() < 3 && steady_clock::now() < deadline) ioc.run_one_for(50ms);
  ASSERT_GE(started.size(), 3u);
  for (const auto& r : started) {
    EXPECT_EQ(r.planned.time_since_epoch() % 20ms, 0ms);
    EXPECT_GE(r.started, r.planned);
  }
  EXPECT_GT(started[1].planned, started[0].planned);
  bool stopped = false;
  asio::co_spawn(ioc, sched.stop(1s), [&](std::exception_ptr, StopReport) { stopped = true; });
  ioc.run_for(1s);
  EXPECT_TRUE(stopped);
}

}  // namespace
