#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"
#include "store/statement.hpp"

struct sqlite3;

namespace cartopull::store {

struct OpenOptions {
  // Readers (admin API, CLI) open read-only: in WAL mode they see the last commit and never block
  // the writer, nor does the writer block them.
  bool read_only = false;
  std::chrono::milliseconds busy_timeout{5000};  // how long a lock wait may take before store_busy
  std::uint32_t page_size = 8192;                // bytes; applies only when the file is created
  std::int64_t cache_kib = 16384;                // page cache per connection, KiB
  // false: rollback journal + synchronous=FULL, for standalone files (MBTiles export) that must
  // be one self-contained file.
  bool wal = true;
};

// One SQLite connection (RAII over sqlite3*). open() applies the house pragmas: WAL,
// synchronous=NORMAL, busy_timeout, foreign_keys=ON. It does not migrate: see migrations.hpp.
// Threading: a connection belongs to one thread at a time (opened with SQLITE_OPEN_NOMUTEX).
class Database {
 public:
  static result<Database> open(const std::string& path, const OpenOptions& options = {});

  result<void> exec(std::string_view sql);  // one or more statements, no results
  result<Statement> prepare(std::string_view sql);
  // Prepares `stmt` on first use and keeps it for reuse (the stores' cached statements).
  result<void> prepare_once(Statement& stmt, std::string_view sql);
  result<std::int64_t> query_int64(std::string_view sql);  // first column of the first row
  result<std::string> query_text(std::string_view sql);

  std::int64_t last_insert_rowid() const noexcept;
  std::int64_t changes() const noexcept;
  bool in_transaction() const noexcept;
  sqlite3* handle() const noexcept { return db_.get(); }
  const std::string& path() const noexcept { return path_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const noexcept;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in the destructor unless committed. IMMEDIATE takes the
// write lock up front so a busy database fails at begin (store_busy), not half way through.
class Transaction {
 public:
  static result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// SAVEPOINT ... RELEASE: makes a multi-statement operation atomic whether or not the caller already
// holds a transaction (the writer batches many operations into one).
class Savepoint {
 public:
  static result<Savepoint> begin(Database& db);
  Savepoint(Savepoint&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Savepoint& operator=(Savepoint&&) = delete;
  ~Savepoint();
  result<void> release();

 private:
  explicit Savepoint(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace cartopull::store
