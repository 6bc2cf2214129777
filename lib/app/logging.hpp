#pragma once

#include <string>

#include "config/config.hpp"

namespace cartopull::app {

// Where log lines go and how they look. Every line passes through redact() before it is written.
struct LogSetup {
  std::string level = "info";
  config::LogFormat format = config::LogFormat::text;
  std::string file;      // also append here when set; reopened by reopen_log_file()
  bool journal = false;  // stderr is the systemd journal: "<N>" priority prefix, no timestamp
};

LogSetup log_setup_from(const config::LogConfig& cfg);

// True when stderr is the journal stream named by $JOURNAL_STREAM ("device:inode").
bool stderr_is_journal();

// Installs the default spdlog logger. Safe to call again (reload); the previous sinks are dropped.
void install_logging(const LogSetup& setup);

// Asks the file sink to reopen its file before the next line (logrotate's SIGUSR1). Async-signal
// safe: it only sets a flag.
void reopen_log_file() noexcept;

}  // namespace cartopull::app
