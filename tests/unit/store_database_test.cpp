#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_error.hpp"

namespace cartopull::store {
namespace {

TEST(StoreSqliteError, translates_codes_into_store_errc) {
  struct Case {
    int rc;
    errc expected;
  };
  const Case cases[] = {
      {SQLITE_BUSY, errc::store_busy},          {SQLITE_BUSY_SNAPSHOT, errc::store_busy},
      {SQLITE_LOCKED, errc::store_busy},        {SQLITE_CORRUPT, errc::store_corrupt},
      {SQLITE_NOTADB, errc::store_corrupt},     {SQLITE_FULL, errc::store_failed},
      {SQLITE_IOERR_WRITE, errc::store_failed}, {SQLITE_CONSTRAINT_UNIQUE, errc::store_failed},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify_sqlite_code(c.rc), c.expected) << c.rc;
    EXPECT_EQ(sqlite_error(nullptr, c.rc, "ctx").code, make_error_code(c.expected));
  }
  EXPECT_EQ(sqlite_error(nullptr, SQLITE_FULL, "commit").message, "commit: database or disk is full");
}

TEST(StoreDatabase, bad_sql_is_a_store_failed_value_not_an_exception) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  auto stmt = db->prepare("SELEC nonsense");
  ASSERT_FALSE(stmt);
  EXPECT_EQ(stmt.error().code, make_error_code(errc::store_failed));
  EXPECT_NE(stmt.error().message.find("syntax error"), std::string::npos);
}

TEST(StoreDatabase, constraint_violation_reports_store_failed_on_step) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)"));
  auto stmt = db->prepare("INSERT INTO t(id, v) VALUES(?1, ?2)");
  ASSERT_TRUE(stmt);
  stmt->bind(1, std::int64_t{1}).bind_null(2);
  auto r = stmt->run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::store_failed));
  // The statement is reusable after the failure.
  stmt->bind(1, std::int64_t{1}).bind(2, "ok");
  EXPECT_TRUE(stmt->run());
}

TEST(StoreDatabase, foreign_keys_are_enforced) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  auto r =
      db->exec("INSERT INTO runs(job_id, trigger, started_at, status) VALUES(42, 'manual', 'x', 'running')");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::store_failed));
}

TEST(StoreDatabase, transaction_rolls_back_unless_committed) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t(v INTEGER)"));
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)"));
  }
  EXPECT_EQ(db->query_int64("SELECT count(*) FROM t").value(), 0);
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES(1)"));
    {
      auto sp = Savepoint::begin(*db);
      ASSERT_TRUE(sp);
      ASSERT_TRUE(db->exec("INSERT INTO t VALUES(2)"));
    }  // savepoint rolled back, the outer transaction goes on
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(db->query_int64("SELECT sum(v) FROM t").value(), 1);
}

}  // namespace
}  // namespace cartopull::store
