#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/dead_letters.hpp"
#include "store/migrations.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;
const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

TEST(StoreDeadLetters, failures_accumulate_attempts_until_removed) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  DeadLetters letters(*db);
  ASSERT_TRUE(letters.add("maps", "tiles", "3/1/2", "timeout", 5, 1, kT0));
  ASSERT_TRUE(letters.add("maps", "tiles", "3/1/2", "http 503", 5, 2, kT0 + 1h));
  ASSERT_TRUE(letters.add("maps", "tiles", "3/1/3", "http 500", 5, 2, kT0 + 1h));
  ASSERT_TRUE(letters.add("other", "tiles", "3/1/3", "http 500", 5, 2, kT0 + 1h));
  auto list = letters.list("maps").value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].item, "3/1/2");
  EXPECT_EQ(list[0].attempts, 10);
  EXPECT_EQ(list[0].reason, "http 503");
  EXPECT_EQ(list[0].first_failed_at, "2026-11-25T00:00:00.000Z");
  EXPECT_EQ(list[0].last_failed_at, "2026-11-25T01:00:00.000Z");
  EXPECT_EQ(list[0].last_run, 2);
  EXPECT_TRUE(letters.remove("maps", "tiles", "3/1/2").value());
  EXPECT_FALSE(letters.remove("maps", "tiles", "3/1/2").value());
  EXPECT_EQ(letters.list("maps").value().size(), 1u);
}

TEST(StoreDeadLetters, count_is_per_job_and_follows_removals) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  DeadLetters letters(*db);
  EXPECT_EQ(letters.count("maps").value(), 0);
  ASSERT_TRUE(letters.add("maps", "tiles", "3/1/2", "timeout", 5, 1, kT0));
  ASSERT_TRUE(letters.add("maps", "tiles", "3/1/2", "timeout", 5, 2, kT0 + 1h));  // same item: still one
  ASSERT_TRUE(letters.add("maps", "static", "view", "http 500", 5, 2, kT0));
  ASSERT_TRUE(letters.add("other", "tiles", "3/1/2", "http 500", 5, 2, kT0));
  EXPECT_EQ(letters.count("maps").value(), 2);
  EXPECT_EQ(letters.count("other").value(), 1);
  const std::map<std::string, std::int64_t> all{{"maps", 2}, {"other", 1}};
  EXPECT_EQ(letters.counts().value(), all);
  ASSERT_TRUE(letters.remove("maps", "tiles", "3/1/2").value());
  EXPECT_EQ(letters.count("maps").value(), 1);
}

}  // namespace
}  // namespace cartopull::store
