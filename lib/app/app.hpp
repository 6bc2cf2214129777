#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace cartopull::app {

// The wiring: Config -> event loop, signals and (as they arrive) store, metrics, HTTP client,
// scheduler and admin server. One App per process; all its work runs on one event-loop thread.
class App {
 public:
  // `config_path` is re-read on SIGHUP.
  App(config::Config config, std::string config_path);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Runs the daemon until SIGTERM or SIGINT; returns the process exit status.
  int serve();

  // Runs the named jobs once in the foreground; returns the process exit status.
  int run_jobs(const std::vector<std::string>& names);

  struct State;  // defined in app.cpp

 private:
  std::unique_ptr<State> state_;
};

}  // namespace cartopull::app
