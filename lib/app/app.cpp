#include "app/app.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "app/logging.hpp"
#include "app/run_history.hpp"
#include "app/signal_source.hpp"
#include "config/config_loader.hpp"
#include "core/exit_code.hpp"
#include "core/version.hpp"
#include "extract/job_runner.hpp"
#include "extract/source_fetcher.hpp"
#include "extract/writer_bridge.hpp"
#include "http/admin_server.hpp"
#include "metrics/metrics.hpp"
#include "metrics/scheduler_metrics.hpp"
#include "sched/clock.hpp"
#include "sched/schedule.hpp"
#include "sched/scheduler.hpp"
#include "sched/status_json.hpp"
#include "store/store_options.hpp"
#include "store/writer.hpp"

namespace cartopull::app {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct App::State {
  config::Config config;
  std::string config_path;
  asio::io_context ioc{1};
  // Opened before the first log line that says the daemon is up; blocked signals wait for it.
  std::unique_ptr<SignalSource> signals;
  std::thread drain;  // `serve`: stops the writer after the runs drained, while the loop reads signals
  std::unique_ptr<store::Writer> writer;
  std::unique_ptr<extract::WriterBridge> bridge;
  std::map<std::string, std::unique_ptr<extract::SourceFetcher>> fetchers;
  std::unique_ptr<metrics::Metrics> metrics;
  std::unique_ptr<extract::JobRunner> runner;
  sched::SystemClock clock;
  std::unique_ptr<sched::Scheduler> scheduler;
  std::unique_ptr<http::AdminServer> admin;
  asio::cancellation_signal run_cancel;  // `run`: cancels the foreground runs
  bool ready = false;
  bool stopping = false;
  int signals_seen = 0;
};

namespace {

metrics::Catalogue catalogue_of(const config::Config& c) {
  metrics::Catalogue cat;
  for (const auto& [name, s] : c.sources) cat.sources.push_back(name);
  for (const auto& [group, limit] : config::default_rate_limits()) cat.endpoint_groups.push_back(group);
  for (const auto& j : c.jobs) cat.jobs.push_back(j.name);
  return cat;
}

sched::RunOutcome to_outcome(store::RunStatus s) {
  switch (s) {
    case store::RunStatus::ok: return sched::RunOutcome::succeeded;
    case store::RunStatus::partial: return sched::RunOutcome::partial;
    case store::RunStatus::cancelled: return sched::RunOutcome::cancelled;
    default: return sched::RunOutcome::failed;
  }
}

metrics::ItemOutcome item_outcome(std::string_view o) {
  if (o == "fetched") return metrics::ItemOutcome::fetched;
  if (o == "unchanged") return metrics::ItemOutcome::unchanged;
  if (o == "empty") return metrics::ItemOutcome::empty;
  return metrics::ItemOutcome::failed;
}

metrics::RetryReason retry_label(flow::RetryReason r) {
  switch (r) {
    case flow::RetryReason::status_429: return metrics::RetryReason::rate_limited;
    case flow::RetryReason::status_408:
    case flow::RetryReason::timeout: return metrics::RetryReason::timeout;
    case flow::RetryReason::connection_reset:
    case flow::RetryReason::truncated_body: return metrics::RetryReason::connection;
    default: return metrics::RetryReason::server_error;
  }
}

// One HTTP attempt -> the source x group series (labels from bounded sets only).
http::TelemetrySink telemetry_for(App::State& s, const std::string& source) {
  if (!s.metrics) return {};
  auto* m = s.metrics.get();
  return [m, source](const http::AttemptEvent& e) {
    auto* series = m->http(source, std::string(e.group));
    if (series == nullptr) return;
    series
        ->requests[static_cast<int>(e.status == 0 ? metrics::CodeClass::error
                                                  : metrics::code_class_of(e.status))]
        ->Increment();
    series->duration->Observe(std::chrono::duration<double>(e.latency).count());
    series->response_bytes->Increment(static_cast<double>(e.bytes));
    if (!e.final && e.retry_reason != flow::RetryReason::none) {
      series->retries[static_cast<int>(retry_label(e.retry_reason))]->Increment();
    }
    series->limiter_wait->Increment(std::chrono::duration<double>(e.limiter_wait).count());
    series->concurrency_limit->Set(e.concurrency_limit);
    series->in_flight->Set(e.in_flight);
    if (e.carto_remaining) series->carto_remaining->Set(static_cast<double>(*e.carto_remaining));
  };
}

// Opens the store and the per-source HTTP clients; the pieces both `serve` and `run` need.
int open_core(App::State& s) {
  std::error_code ec;
  auto dir = std::filesystem::path(s.config.store.path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  auto wo = store::writer_options(s.config.store);
  auto* metrics = s.metrics.get();
  auto writer = store::Writer::start(wo, [metrics](const store::CommitReport& report) {
    if (!metrics) return;
    metrics->store().queue_bytes->Set(static_cast<double>(report.queued_bytes));
    if (!report.failed.empty())
      metrics->store().write_errors->Increment(static_cast<double>(report.failed.size()));
  });
  if (!writer) {
    spdlog::error("cannot open the store {}: {}", s.config.store.path, writer.error().what());
    return to_int(ExitCode::cant_create);
  }
  s.writer = std::move(*writer);
  if (auto n = s.writer->interrupted_at_startup(); n > 0) {
    spdlog::warn("{} run(s) were cut short by a crash or kill; their jobs resume them at their next run", n);
  }
  s.bridge = std::make_unique<extract::WriterBridge>(*s.writer);
  for (const auto& [name, source] : s.config.sources) {
    auto fetcher = extract::SourceFetcher::create(s.ioc.get_executor(), source, telemetry_for(s, name));
    if (!fetcher) {
      spdlog::error("source {}: {}", name, fetcher.error().what());
      return to_int(ExitCode::config);
    }
    s.fetchers[name] = std::move(*fetcher);
  }
  extract::JobRunnerOptions ro;
  ro.config = &s.config;
  ro.writer = s.bridge.get();
  ro.database_path = s.config.store.path;
  ro.fetcher = [&s](const std::string& source) -> extract::Fetcher* {
    auto it = s.fetchers.find(source);
    return it == s.fetchers.end() ? nullptr : it->second.get();
  };
  if (s.metrics) {
    ro.events.items = [&s](const std::string& job, const char* outcome, std::int64_t n) {
      if (auto* j = s.metrics->job(job))
        j->items[static_cast<int>(item_outcome(outcome))]->Increment(static_cast<double>(n));
    };
    ro.events.tiles_pending = [&s](const std::string& job, std::int64_t pending) {
      if (auto* j = s.metrics->job(job)) j->tiles_pending->Set(static_cast<double>(pending));
    };
  }
  s.runner = std::make_unique<extract::JobRunner>(std::move(ro));
  return to_int(ExitCode::ok);
}

// Sets the job's dead-letter gauge from a read-only connection: the run's writes are committed by now.
void refresh_dead_letters(App::State& s, const std::string& job) {
  if (!s.metrics) return;
  if (auto* series = s.metrics->job(job))
    series->dead_letters->Set(static_cast<double>(dead_letter_count(s.config.store.path, job)));
}

asio::awaitable<sched::RunOutcome> run_job(App::State* s, sched::RunRequest request) {
  const auto* job = s->config.find_job(request.job);
  if (job == nullptr) co_return sched::RunOutcome::failed;
  auto summary = co_await s->runner->run(*job, sched::to_string(request.trigger));
  refresh_dead_letters(*s, request.job);
  co_return to_outcome(summary.status);
}

void reload(App::State& s) {
  sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
  auto outcome = config::load_config_file(s.config_path);
  if (!outcome.ok()) {
    for (const auto& e : outcome.errors) {
      spdlog::error("reload rejected, keeping the running config: {}", e.to_string());
    }
    sd_notify(0, "READY=1\nSTATUS=serving (reload rejected)");
    return;
  }
  for (const auto& w : outcome.warnings) spdlog::warn("{}", w.to_string());
  install_logging(log_setup_from(outcome.config.log));
  auto& next = outcome.config;
  // Jobs: unchanged keep running; changed get their new schedule at the next tick; removed drain.
  std::size_t added = 0, changed = 0, removed = 0;
  for (const auto& old : s.config.jobs) {
    if (next.find_job(old.name) == nullptr && s.scheduler->remove_job(old.name)) ++removed;
  }
  for (const auto& job : next.jobs) {
    auto schedule = sched::Schedule::compile(job.schedule, job.name);
    if (!schedule) {
      spdlog::error("job {}: {}", job.name, schedule.error().what());
      continue;
    }
    const auto* current = s.config.find_job(job.name);
    if (current == nullptr) {
      s.metrics->ensure_job(job.name);
      if (s.scheduler->add_job(job.name, *schedule)) ++added;
    } else if (current->schedule != job.schedule && s.scheduler->set_schedule(job.name, *schedule)) {
      ++changed;  // an unchanged schedule keeps its planned next run
    }
  }
  if (next.sources.size() != s.config.sources.size() || next.store.path != s.config.store.path ||
      next.server.listen != s.config.server.listen) {
    spdlog::warn("sources, store and server changes take effect at the next restart");
    next.sources = s.config.sources;
    next.store = s.config.store;
    next.server = s.config.server;
  }
  s.config = std::move(next);
  spdlog::info("configuration reloaded from {}: {} jobs ({} added, {} rescheduled, {} removed)",
               s.config_path, s.config.jobs.size(), added, changed, removed);
  sd_notify(0, "READY=1\nSTATUS=serving");
}

asio::awaitable<void> shutdown(App::State* s) {
  s->stopping = true;
  sd_notify(0, "STOPPING=1\nSTATUS=draining runs");
  spdlog::info("stopping: draining runs for up to {}s", s->config.server.shutdown_timeout.count() / 1000.0);
  if (s->scheduler) {
    auto report = co_await s->scheduler->stop(s->config.server.shutdown_timeout);
    spdlog::info("runs drained: {} finished, {} cancelled, {} abandoned", report.drained, report.cancelled,
                 report.abandoned);
  }
  if (s->admin) s->admin->stop();
  for (auto& [name, f] : s->fetchers) f->client().close_idle();
  if (s->scheduler) {
    // The writer commits its queue on another thread: the loop keeps reading signals meanwhile.
    s->drain = std::thread([s] {
      s->writer->stop();
      s->ioc.stop();
    });
  } else {
    // `run`: the foreground runs end cancelled (resumable) and their completion stops the loop.
    s->run_cancel.emit(asio::cancellation_type::terminal);
  }
}

// TERM/INT drain then stop (a second one exits at once); HUP reloads; USR1 reopens the log file.
int open_signals(App::State& s) {
  block_daemon_signals();  // again, for an App not started through run_cli; before any thread
  auto source = SignalSource::open(s.ioc.get_executor());
  if (!source) {
    spdlog::error("cannot read signals: {}", source.error().what());
    return to_int(ExitCode::unavailable);
  }
  s.signals = std::move(*source);
  return to_int(ExitCode::ok);
}

asio::awaitable<void> signal_loop(App::State* s) {
  for (;;) {
    const int sig = co_await s->signals->next();
    if (sig == 0) co_return;
    if (sig == SIGHUP) {
      if (s->scheduler) reload(*s);
    } else if (sig == SIGUSR1) {
      reopen_log_file();
      spdlog::info("log file reopened");
    } else if (++s->signals_seen == 1) {
      spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      asio::co_spawn(s->ioc, shutdown(s), asio::detached);
    } else {
      // Without waiting for the writer (it may be what is slow): every SQLite commit is atomic, and
      // the runs cut short are marked interrupted and resumed at the next start.
      spdlog::warn("second signal: exiting now");
      std::_Exit(to_int(ExitCode::ok));
    }
  }
}

// WATCHDOG=1 at half of WATCHDOG_USEC, from the event loop: a stuck loop stops the pings.
asio::awaitable<void> watchdog(App::State* s, std::chrono::microseconds interval) {
  asio::steady_timer timer(s->ioc);
  while (!s->ioc.stopped()) {
    sd_notify(0, "WATCHDOG=1");
    timer.expires_after(interval / 2);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace

App::App(config::Config config, std::string config_path) : state_(std::make_unique<State>()) {
  state_->config = std::move(config);
  state_->config_path = std::move(config_path);
}

App::~App() {
  if (state_->drain.joinable()) state_->drain.join();
  if (state_->writer) state_->writer->stop();
}

namespace {

// SIGTERM or SIGINT before the loop runs: stop at the next startup step instead of serving first.
bool stopped_during_startup(App::State& s) {
  if (!stop_signal_pending()) return false;
  spdlog::info("stop signal during startup: exiting");
  if (s.writer) s.writer->stop();
  spdlog::info("stopped");
  return true;
}

}  // namespace

int App::serve() {
  auto& s = *state_;
  if (int rc = open_signals(s); rc != 0) return rc;
  s.metrics = std::make_unique<metrics::Metrics>(catalogue_of(s.config));
  if (int rc = open_core(s); rc != 0) return rc;
  if (stopped_during_startup(s)) return to_int(ExitCode::ok);

  s.scheduler = std::make_unique<sched::Scheduler>(
      s.ioc.get_executor(), s.clock, [&s](sched::RunRequest r) { return run_job(&s, std::move(r)); },
      metrics::scheduler_hooks(*s.metrics));
  for (const auto& job : s.config.jobs) {
    auto schedule = sched::Schedule::compile(job.schedule, job.name);
    if (!schedule) {
      spdlog::error("job {}: {}", job.name, schedule.error().what());
      return to_int(ExitCode::config);
    }
    s.scheduler->add_job(job.name, *schedule, history_of(s.config.store.path, job.name));
  }
  if (stopped_during_startup(s)) return to_int(ExitCode::ok);

  http::AdminHandlers h;
  h.metrics = [&s] {
    std::error_code ec;
    auto size = std::filesystem::file_size(s.config.store.path, ec);
    if (!ec) s.metrics->store().database_size->Set(static_cast<double>(size));
    return s.metrics->serialize();
  };
  h.ready = [&s] { return s.ready && !s.stopping; };
  h.jobs = [&s] { return http::AdminResponse{200, sched::jobs_json(s.scheduler->status())}; };
  h.runs = [&s](const std::string& job, std::size_t limit) {
    return http::AdminResponse{200, runs_json(s.config.store.path, job, limit)};
  };
  h.trigger = [&s](const std::string& job) {
    auto r = s.scheduler->trigger(job);
    return http::AdminResponse{sched::trigger_http_status(r), sched::trigger_json(job, r)};
  };
  http::AdminServerOptions ao;
  ao.listen = s.config.server.listen;
  ao.bearer_token = s.config.server.bearer_token;
  ao.max_connections = s.config.server.max_connections;
  auto admin = http::AdminServer::create(s.ioc.get_executor(), ao, h);
  if (!admin) {
    spdlog::error("cannot listen on {}: {}", s.config.server.listen, admin.error().what());
    return to_int(ExitCode::unavailable);
  }
  s.admin = std::move(*admin);
  s.admin->start();
  auto ep = s.admin->local_endpoint();

  asio::co_spawn(s.ioc, signal_loop(&s), asio::detached);
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    asio::co_spawn(s.ioc, watchdog(&s, std::chrono::microseconds(watchdog_usec)), asio::detached);
  }
  s.scheduler->start();
  // Dead letters left by earlier runs (one query for every job: a thousand jobs start fast).
  for (const auto& [job, count] : dead_letter_counts(s.config.store.path)) {
    if (auto* series = s.metrics->job(job)) series->dead_letters->Set(static_cast<double>(count));
  }
  s.ready = true;
  spdlog::info("cartopull {} serving {} ({} sources, {} jobs); metrics on http://{}:{}/metrics", kVersion,
               s.config_path, s.config.sources.size(), s.config.jobs.size(), ep.address().to_string(),
               ep.port());
  sd_notify(0, "READY=1\nSTATUS=serving");
  s.ioc.run();
  if (s.drain.joinable()) s.drain.join();
  s.writer->stop();
  spdlog::info("stopped");
  return to_int(ExitCode::ok);
}

int App::run_jobs(const std::vector<std::string>& names) {
  auto& s = *state_;
  for (const auto& name : names) {
    if (s.config.find_job(name) == nullptr) {
      spdlog::error("no job named '{}' in {}", name, s.config_path);
      return to_int(ExitCode::usage);
    }
  }
  if (int rc = open_signals(s); rc != 0) return rc;
  if (int rc = open_core(s); rc != 0) return rc;
  bool all_ok = true;
  auto body = [](App::State* st, std::vector<std::string> jobs, bool* ok) -> asio::awaitable<void> {
    for (const auto& name : jobs) {
      auto summary = co_await st->runner->run(*st->config.find_job(name), "manual");
      std::cout << extract::format_summary(summary) << std::flush;
      if (summary.status != store::RunStatus::ok) *ok = false;
    }
  };
  asio::co_spawn(s.ioc, body(&s, names, &all_ok),
                 asio::bind_cancellation_slot(s.run_cancel.slot(), [&s](const std::exception_ptr& e) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       spdlog::error("run aborted: {}", ex.what());
                     }
                   }
                   s.ioc.stop();
                 }));
  asio::co_spawn(s.ioc, signal_loop(&s), asio::detached);
  s.ioc.run();
  s.writer->stop();
  return all_ok ? to_int(ExitCode::ok) : to_int(ExitCode::failure);
}

}  // namespace cartopull::app
