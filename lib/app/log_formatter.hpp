#pragma once

#include <spdlog/formatter.h>

#include "config/config.hpp"

namespace cartopull::app {

// Formats one log record as a text or JSON line with the payload redacted. In journal mode the
// line starts with the syslog priority ("<6>") and carries no timestamp: journald adds its own.
class LogFormatter final : public spdlog::formatter {
 public:
  LogFormatter(config::LogFormat format, bool journal) : format_(format), journal_(journal) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  config::LogFormat format_;
  bool journal_;
};

}  // namespace cartopull::app
