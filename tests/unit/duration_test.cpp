#include "config/duration.hpp"

#include <gtest/gtest.h>

using cartopull::config::Duration;
using cartopull::config::format_duration;
using cartopull::config::parse_byte_size;
using cartopull::config::parse_duration;
using namespace std::chrono_literals;

TEST(Duration, parses_each_unit) {
  struct Case {
    const char* text;
    Duration expected;
  } cases[] = {
      {"250ms", 250ms}, {"30s", 30s},     {"5m", 5min},         {"1h", 1h},   {"2d", 48h},
      {"0s", 0ms},      {"1h30m", 90min}, {"1m500ms", 60500ms}, {"90s", 90s},
  };
  for (const auto& c : cases) {
    auto d = parse_duration(c.text);
    ASSERT_TRUE(d) << c.text;
    EXPECT_EQ(*d, c.expected) << c.text;
  }
}

TEST(Duration, rejects_bad_spellings_with_a_reason) {
  for (const char* text : {"", "30", "s", "-5s", "5 s", "5sec", "1.5s", "5x", "ms", "10S"}) {
    auto d = parse_duration(text);
    ASSERT_FALSE(d) << text;
    EXPECT_NE(d.error().message.find("invalid duration"), std::string::npos) << text;
  }
}

TEST(Duration, rejects_overflow) {
  EXPECT_FALSE(parse_duration("99999999999999999999d"));
}

TEST(Duration, formats_shortest_exact_spelling) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(25h), "1d1h");
  EXPECT_EQ(*parse_duration(format_duration(3723004ms)), 3723004ms);
}

TEST(ByteSize, parses_decimal_and_binary_units) {
  EXPECT_EQ(*parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(*parse_byte_size("64KiB"), 65536u);
  EXPECT_EQ(*parse_byte_size("64MiB"), 64u << 20);
  EXPECT_EQ(*parse_byte_size("1GiB"), 1u << 30);
  EXPECT_EQ(*parse_byte_size("500KB"), 500000u);
  EXPECT_EQ(*parse_byte_size("2MB"), 2000000u);
  EXPECT_FALSE(parse_byte_size("64mb"));
  EXPECT_FALSE(parse_byte_size("MiB"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("99999999999999999999GiB"));
}
