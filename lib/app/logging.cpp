#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "app/log_formatter.hpp"
#include "app/reopenable_file_sink.hpp"

namespace cartopull::app {

LogSetup log_setup_from(const config::LogConfig& cfg) {
  LogSetup s;
  s.level = cfg.level;
  s.format = cfg.format;
  s.file = cfg.file;
  s.journal = stderr_is_journal();
  return s;
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

void install_logging(const LogSetup& setup) {
  std::vector<spdlog::sink_ptr> sinks;
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  err->set_formatter(std::make_unique<LogFormatter>(setup.format, setup.journal));
  sinks.push_back(err);
  if (!setup.file.empty()) {
    auto file = std::make_shared<ReopenableFileSink>(setup.file);
    file->set_formatter(std::make_unique<LogFormatter>(setup.format, false));
    sinks.push_back(file);
  }
  auto logger = std::make_shared<spdlog::logger>("cartopull", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(setup.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void reopen_log_file() noexcept {
  ReopenableFileSink::request_reopen();
}

}  // namespace cartopull::app
