#include "app/log_formatter.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

using cartopull::app::LogFormatter;
using cartopull::config::LogFormat;

namespace {

std::string format(LogFormat f, bool journal, spdlog::level::level_enum level, std::string_view text) {
  LogFormatter formatter(f, journal);
  spdlog::details::log_msg msg("cartopull", level, text);
  msg.time =
      spdlog::log_clock::time_point(std::chrono::milliseconds(1764091216123));  // 2025-11-25T17:20:16.123Z
  spdlog::memory_buf_t buf;
  formatter.format(msg, buf);
  return std::string(buf.data(), buf.size());
}

}  // namespace

TEST(LogFormatter, text_lines_carry_utc_time_level_and_message) {
  EXPECT_EQ(format(LogFormat::text, false, spdlog::level::info, "hello"),
            "2025-11-25T17:20:16.123Z info  hello\n");
}

TEST(LogFormatter, journal_lines_carry_syslog_priority_and_no_time) {
  EXPECT_EQ(format(LogFormat::text, true, spdlog::level::warn, "careful"), "<4>careful\n");
  EXPECT_EQ(format(LogFormat::text, true, spdlog::level::err, "bad"), "<3>bad\n");
  EXPECT_EQ(format(LogFormat::text, true, spdlog::level::debug, "d"), "<7>d\n");
}

TEST(LogFormatter, json_lines_are_valid_json_with_escaped_message) {
  auto line = format(LogFormat::json, false, spdlog::level::err, "quote \" and\nnewline");
  ASSERT_EQ(line.back(), '\n');
  auto v = boost::json::parse(line);
  EXPECT_EQ(v.at("level").as_string(), "error");
  EXPECT_EQ(v.at("msg").as_string(), "quote \" and\nnewline");
  EXPECT_EQ(v.at("ts").as_string(), "2025-11-25T17:20:16.123Z");
}

TEST(LogFormatter, redacts_secrets_in_every_format) {
  for (auto f : {LogFormat::text, LogFormat::json}) {
    for (bool journal : {false, true}) {
      auto line = format(f, journal, spdlog::level::info,
                         "GET /v1/map?api_key=hunter2 failed; Authorization: Basic Zm9v");
      EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
      EXPECT_EQ(line.find("Zm9v"), std::string::npos) << line;
      EXPECT_NE(line.find("api_key=REDACTED"), std::string::npos) << line;
    }
  }
}
