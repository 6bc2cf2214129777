#include "app/app.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>

#include "app/logging.hpp"
#include "config/config_loader.hpp"
#include "core/exit_code.hpp"
#include "core/version.hpp"

namespace cartopull::app {

namespace asio = boost::asio;

struct App::State {
  config::Config config;
  std::string config_path;
  asio::io_context ioc{1};
  bool stopping = false;
};

App::App(config::Config config, std::string config_path) : state_(std::make_unique<State>()) {
  state_->config = std::move(config);
  state_->config_path = std::move(config_path);
}

App::~App() = default;

namespace {

void reload(App::State& s) {
  sd_notify(0, "RELOADING=1");
  auto outcome = config::load_config_file(s.config_path);
  if (!outcome.ok()) {
    for (const auto& e : outcome.errors)
      spdlog::error("reload rejected, keeping the running config: {}", e.to_string());
  } else {
    for (const auto& w : outcome.warnings) spdlog::warn("{}", w.to_string());
    install_logging(log_setup_from(outcome.config.log));
    s.config = std::move(outcome.config);
    spdlog::info("configuration reloaded from {} ({} jobs)", s.config_path, s.config.jobs.size());
  }
  sd_notify(0, "READY=1");
}

// One coroutine owns the signals: TERM/INT stop, HUP reloads the config, USR1 reopens the log.
asio::awaitable<void> signal_loop(App::State* s) {
  asio::signal_set signals(s->ioc, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGUSR1);
  for (;;) {
    auto [ec, sig] = co_await signals.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    if (sig == SIGHUP) {
      reload(*s);
    } else if (sig == SIGUSR1) {
      reopen_log_file();
      spdlog::info("log file reopened");
    } else {
      spdlog::info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      s->stopping = true;
      sd_notify(0, "STOPPING=1");
      s->ioc.stop();
      co_return;
    }
  }
}

}  // namespace

int App::serve() {
  auto& s = *state_;
  spdlog::info("cartopull {} serving {} ({} sources, {} jobs)", kVersion, s.config_path,
               s.config.sources.size(), s.config.jobs.size());
  asio::co_spawn(s.ioc, signal_loop(&s), asio::detached);
  sd_notify(0, "READY=1\nSTATUS=idle");
  s.ioc.run();
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
  spdlog::error("running jobs needs the extraction engine, which this build does not have yet");
  return to_int(ExitCode::unavailable);
}

}  // namespace cartopull::app
