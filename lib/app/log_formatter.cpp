#include "app/log_formatter.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "core/redact.hpp"

namespace cartopull::app {
namespace {

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

void append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

}  // namespace

void LogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string payload = redact(std::string_view(msg.payload.data(), msg.payload.size()));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
  auto secs = std::chrono::sys_seconds(std::chrono::seconds(ms / 1000));
  if (format_ == config::LogFormat::json) {
    if (journal_) fmt::format_to(std::back_inserter(dest), "<{}>", syslog_priority(msg.level));
    fmt::format_to(std::back_inserter(dest), "{{\"ts\":\"{:%FT%T}.{:03}Z\",\"level\":\"{}\",\"msg\":", secs,
                   ms % 1000, level_name(msg.level));
    append(dest, boost::json::serialize(boost::json::string(payload)));
    append(dest, "}\n");
    return;
  }
  if (journal_) {
    fmt::format_to(std::back_inserter(dest), "<{}>{}\n", syslog_priority(msg.level), payload);
    return;
  }
  fmt::format_to(std::back_inserter(dest), "{:%FT%T}.{:03}Z {:<5} {}\n", secs, ms % 1000,
                 level_name(msg.level), payload);
}

std::unique_ptr<spdlog::formatter> LogFormatter::clone() const {
  return std::make_unique<LogFormatter>(format_, journal_);
}

}  // namespace cartopull::app
