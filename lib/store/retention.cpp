#include "store/retention.hpp"

#include <string>
#include <vector>

namespace cartopull::store {
namespace {

std::string quote(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

result<RetentionStats> apply_retention(Database& db, const RetentionPolicy& policy, Timestamp now) {
  RetentionStats stats;
  if (policy.keep_runs == 0 && policy.keep_for.count() == 0) return stats;
  auto savepoint = Savepoint::begin(db);
  if (!savepoint) return savepoint.error();
  if (auto r = db.exec("CREATE TEMP TABLE IF NOT EXISTS expired_runs(id INTEGER PRIMARY KEY);"
                       "DELETE FROM temp.expired_runs;");
      !r) {
    return r.error();
  }
  auto pick = db.prepare(
      "INSERT INTO temp.expired_runs(id) SELECT id FROM ("
      "  SELECT id, status, started_at, row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS rn FROM "
      "runs)"
      " WHERE rn > 1 AND status <> 'running' AND ((?1 > 0 AND rn > ?1) OR (?2 IS NOT NULL AND started_at < "
      "?2))");
  if (!pick) return pick.error();
  pick->bind(1, static_cast<std::int64_t>(policy.keep_runs));
  if (policy.keep_for.count() > 0) {
    pick->bind(2, format_timestamp(now - policy.keep_for));
  } else {
    pick->bind_null(2);
  }
  if (auto r = pick->run(); !r) return r.error();

  std::vector<std::string> append_tables;
  auto tables = db.prepare("SELECT table_name FROM resource_tables WHERE disposition = 'append'");
  if (!tables) return tables.error();
  for (;;) {
    auto row = tables->step();
    if (!row) return row.error();
    if (!*row) break;
    append_tables.push_back(tables->column_text(0));
  }
  for (const auto& table : append_tables) {
    if (auto r =
            db.exec("DELETE FROM " + quote(table) + " WHERE _run_id IN (SELECT id FROM temp.expired_runs)");
        !r) {
      return r.error();
    }
    stats.resource_rows += db.changes();
  }
  if (auto r = db.exec("DELETE FROM images WHERE run_id IN (SELECT id FROM temp.expired_runs) "
                       "AND id NOT IN (SELECT max(id) FROM images GROUP BY job, resource)");
      !r) {
    return r.error();
  }
  stats.images = db.changes();
  if (auto r = db.exec("DELETE FROM runs WHERE id IN (SELECT id FROM temp.expired_runs)"); !r)
    return r.error();
  stats.runs = db.changes();
  if (auto r =
          // Uncorrelated NOT IN: each list is built once (tiles has no blob_id index, by design).
      db.exec("DELETE FROM blobs WHERE id NOT IN (SELECT blob_id FROM tiles) "
              "AND id NOT IN (SELECT blob_id FROM images)");
      !r) {
    return r.error();
  }
  stats.blobs = db.changes();
  if (auto r = savepoint->release(); !r) return r.error();
  return stats;
}

}  // namespace cartopull::store
