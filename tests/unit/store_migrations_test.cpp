#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/migrations.hpp"

namespace cartopull::store {
namespace {

// Seeds whatever tables exist at `version` with one row each, to check upgrades keep data.
void seed(Database& db, int version) {
  if (version >= 1) {
    ASSERT_TRUE(
        db.exec("INSERT INTO jobs(name, created_at) VALUES('j', 't');"
                "INSERT INTO runs(job_id, trigger, started_at, status) VALUES(1, 'manual', 't', 'ok');"));
  }
  if (version >= 2) {
    ASSERT_TRUE(
        db.exec("INSERT INTO blobs(hash, size, data) VALUES(0, 1, x'01');"
                "INSERT INTO tilesets(key, format, created_at) VALUES('k', 'png', 't');"
                "INSERT INTO tiles(tileset_id, z, x, y, blob_id, fetched_at) VALUES(1, 0, 0, 0, 1, 't');"));
  }
}

std::int64_t count_tables(Database& db) {
  return db.query_int64("SELECT count(*) FROM sqlite_schema WHERE type IN ('table','view')").value();
}

TEST(StoreMigrations, versions_are_consecutive_from_one) {
  int expected = 1;
  for (const auto& m : migrations()) EXPECT_EQ(m.version, expected++);
  EXPECT_EQ(latest_schema_version(), expected - 1);
}

TEST(StoreMigrations, empty_database_reaches_latest_version) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  auto v = migrate(*db);
  ASSERT_TRUE(v) << v.error().what();
  EXPECT_EQ(*v, latest_schema_version());
  EXPECT_EQ(db->query_int64("PRAGMA user_version").value(), latest_schema_version());
  for (const char* table :
       {"jobs", "runs", "run_progress", "blobs", "tilesets", "tileset_metadata", "tiles", "resource_tables",
        "resource_columns", "schema_changes", "images", "dead_letters"}) {
    EXPECT_EQ(
        db->query_int64(std::string("SELECT count(*) FROM sqlite_schema WHERE name='") + table + "'").value(),
        1)
        << table;
  }
  // Running again is a no-op.
  const auto tables = count_tables(*db);
  EXPECT_EQ(migrate(*db).value(), latest_schema_version());
  EXPECT_EQ(count_tables(*db), tables);
}

TEST(StoreMigrations, every_older_version_upgrades_to_latest_keeping_rows) {
  for (int from = 1; from < latest_schema_version(); ++from) {
    SCOPED_TRACE(from);
    auto db = Database::open(":memory:");
    ASSERT_TRUE(db);
    ASSERT_EQ(migrate(*db, from).value(), from);
    seed(*db, from);
    auto v = migrate(*db);
    ASSERT_TRUE(v) << v.error().what();
    EXPECT_EQ(*v, latest_schema_version());
    EXPECT_EQ(db->query_int64("SELECT count(*) FROM runs").value(), 1);
    if (from >= 2) {
      EXPECT_EQ(db->query_int64("SELECT count(*) FROM tiles").value(), 1);
    }
    // The upgraded schema matches a fresh one object for object.
    auto fresh = Database::open(":memory:");
    ASSERT_TRUE(migrate(*fresh));
    EXPECT_EQ(
        db->query_text("SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)")
            .value(),
        fresh->query_text("SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_schema ORDER BY name)")
            .value());
  }
}

TEST(StoreMigrations, refuses_a_database_newer_than_the_binary) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("PRAGMA user_version=" + std::to_string(latest_schema_version() + 1)));
  auto v = migrate(*db);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(errc::store_failed));
  EXPECT_NE(v.error().message.find("newer"), std::string::npos);
}

TEST(StoreMigrations, a_failing_migration_leaves_the_previous_version_whole) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db, 1));
  // A table that migration 2 is about to create makes it fail half way.
  ASSERT_TRUE(db->exec("CREATE TABLE tiles(x)"));
  auto v = migrate(*db);
  ASSERT_FALSE(v);
  EXPECT_EQ(db->query_int64("PRAGMA user_version").value(), 1);
  EXPECT_EQ(db->query_int64("SELECT count(*) FROM sqlite_schema WHERE name='blobs'").value(), 0);
}

}  // namespace
}  // namespace cartopull::store
