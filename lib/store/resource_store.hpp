#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "store/database.hpp"
#include "store/run_ledger.hpp"
#include "store/timestamp.hpp"

namespace cartopull::store {

using config::WriteDisposition;

// Which table a JSON resource lands in and how rows are written.
struct ResourceSpec {
  std::string job;
  std::string resource;
  WriteDisposition disposition = WriteDisposition::append;
  std::vector<std::string> primary_key;  // top-level fields; required for merge
};

struct ResourceWriteStats {
  std::int64_t rows = 0;
  std::int64_t columns_added = 0;
  std::int64_t type_changes = 0;
};

// JSON resources (map definitions, layergroups, metadata, named templates), one table per
// (job, resource) named res_<job>__<resource>:
//   _id, _run_id, _fetched_at, _json (the raw record) + one typed column per top-level field.
// Types: text, integer, real (integers widen into it), bool (0/1), json (nested objects and arrays,
// kept as JSON text for SQLite's json functions). A new field adds a column (ALTER TABLE ADD
// COLUMN); a value whose type differs from the column's goes to a variant column
// "<field>__v_<type>" and the change is recorded in schema_changes: nothing is lost, and _json
// always holds the record as received. Nulls add nothing.
// Dispositions: append (every run adds rows), replace (the table holds only the latest run's rows),
// merge (a row with the same primary key values is replaced).
// Threading: the thread owning `db` (the writer); the column cache assumes no other connection
// alters these tables.
class ResourceStore {
 public:
  explicit ResourceStore(Database& db) : db_(db) {}

  // `json` is one object (one row) or an array of objects (one row each). A non-object element
  // is stored with only _json. Atomic: all rows or none.
  result<ResourceWriteStats> write(const ResourceSpec& spec, RunId run, Timestamp fetched_at,
                                   std::string_view json);
  result<std::string> table_name(std::string_view job, std::string_view resource);
  // Drops the column cache; the writer calls it when a transaction holding schema changes is lost.
  void forget_schema() noexcept { tables_.clear(); }

 private:
  struct Column {
    std::string type;
    std::string name;
  };
  struct Table {
    std::int64_t id = 0;
    std::string name;
    std::multimap<std::string, Column> columns;  // field -> its columns (first type first)
    bool pk_indexed = false;
  };
  result<Table*> open_table(const ResourceSpec& spec);
  result<std::string> column_for(Table& table, const std::string& field, const std::string& type, RunId run,
                                 Timestamp now, ResourceWriteStats& stats);

  Database& db_;
  std::map<std::pair<std::string, std::string>, Table> tables_;
};

const char* to_string(WriteDisposition disposition) noexcept;

}  // namespace cartopull::store
