#include "store/database.hpp"

#include <sqlite3.h>

#include <string>

#include "store/sqlite_error.hpp"

namespace cartopull::store {

void Database::Closer::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

result<Database> Database::open(const std::string& path, const OpenOptions& options) {
  Database database;
  database.path_ = path;
  sqlite3* raw = nullptr;
  const int flags = (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  database.db_.reset(raw);
  if (rc != SQLITE_OK) return sqlite_error(raw, rc, "open database");
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));

  std::string pragmas =
      "PRAGMA foreign_keys=ON; PRAGMA cache_size=-" + std::to_string(options.cache_kib) + ";";
  if (options.read_only) {
    pragmas += "PRAGMA query_only=ON;";
  } else {
    // page_size must precede the first table; it is ignored for an existing file.
    pragmas += "PRAGMA page_size=" + std::to_string(options.page_size) + "; PRAGMA temp_store=MEMORY;";
    pragmas += options.wal ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                           : "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;";
  }
  if (auto r = database.exec(pragmas); !r) return r.error();
  if (!options.read_only && options.wal && path != ":memory:" && !path.empty()) {
    auto mode = database.query_text("PRAGMA journal_mode");
    if (!mode) return mode.error();
    if (*mode != "wal") return Error{errc::store_failed, "open database: WAL mode refused (" + *mode + ")"};
  }
  return database;
}

result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, "exec");
  return {};
}

result<void> Database::prepare_once(Statement& stmt, std::string_view sql) {
  if (stmt) return {};
  auto prepared = prepare(sql);
  if (!prepared) return prepared.error();
  stmt = std::move(*prepared);
  return {};
}

result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return sqlite_error(db_.get(), rc, "prepare");
  }
  return Statement(db_.get(), stmt);
}

result<std::int64_t> Database::query_int64(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return Error{errc::store_failed, "query returned no row"};
  return stmt->column_int64(0);
}

result<std::string> Database::query_text(std::string_view sql) {
  auto stmt = prepare(sql);
  if (!stmt) return stmt.error();
  auto row = stmt->step();
  if (!row) return row.error();
  if (!*row) return Error{errc::store_failed, "query returned no row"};
  return stmt->column_text(0);
}

std::int64_t Database::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_.get());
}
std::int64_t Database::changes() const noexcept {
  return sqlite3_changes64(db_.get());
}
bool Database::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_.get()) == 0;
}

result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr && db_->in_transaction()) (void)db_->exec("ROLLBACK");
}

result<void> Transaction::commit() {
  Database* db = std::exchange(db_, nullptr);
  if (auto r = db->exec("COMMIT"); !r) {
    if (db->in_transaction()) (void)db->exec("ROLLBACK");
    return r.error();
  }
  return {};
}

result<Savepoint> Savepoint::begin(Database& db) {
  if (auto r = db.exec("SAVEPOINT cp"); !r) return r.error();
  return Savepoint(&db);
}

Savepoint::~Savepoint() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK TO cp; RELEASE cp");
}

result<void> Savepoint::release() {
  Database* db = std::exchange(db_, nullptr);
  return db->exec("RELEASE cp");
}

}  // namespace cartopull::store
