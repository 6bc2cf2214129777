#include "config/secret.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <type_traits>

using cartopull::config::Secret;

template <class T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

// Logging a Secret must not compile: no operator<< and no fmt formatter.
static_assert(!Streamable<Secret>);
static_assert(!fmt::is_formattable<Secret>::value);
static_assert(!std::is_convertible_v<Secret, std::string>);
static_assert(!std::is_convertible_v<Secret, std::string_view>);

TEST(Secret, reveals_only_on_request) {
  Secret s("k-123");
  EXPECT_EQ(s.reveal(), "k-123");
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(Secret().empty());
}

TEST(Secret, compares_in_constant_time_by_value) {
  Secret s("token-abc");
  EXPECT_TRUE(s.equals("token-abc"));
  EXPECT_FALSE(s.equals("token-abd"));
  EXPECT_FALSE(s.equals("token-ab"));
  EXPECT_FALSE(s.equals(""));
  EXPECT_TRUE(s == Secret("token-abc"));
}

TEST(Secret, move_leaves_the_source_empty) {
  Secret a("abc");
  Secret b(std::move(a));
  EXPECT_EQ(b.reveal(), "abc");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the wipe is the behaviour under test
  Secret c;
  c = std::move(b);
  EXPECT_EQ(c.reveal(), "abc");
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
}
