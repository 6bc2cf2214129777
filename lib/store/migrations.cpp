#include "store/migrations.hpp"

#include <array>
#include <string>

namespace cartopull::store {
namespace {

// v1: the run ledger.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE jobs(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL);
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  trigger TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running','ok','partial','failed','cancelled','interrupted')),
  fetched INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  empty INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  error_summary TEXT,
  resumes INTEGER NOT NULL DEFAULT 0);
CREATE INDEX runs_by_job ON runs(job_id, id);
CREATE TABLE run_progress(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  resource TEXT NOT NULL,
  checkpoint TEXT,
  done INTEGER NOT NULL DEFAULT 0,
  total INTEGER,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (run_id, resource)) WITHOUT ROWID;
)sql";

// v2: content-addressed blobs and tilesets (XYZ rows inside; MBTiles rows via the view and export).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE blobs(
  id INTEGER PRIMARY KEY,
  hash INTEGER NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL);
CREATE INDEX blobs_by_hash ON blobs(hash);
CREATE TABLE tilesets(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  format TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE tileset_metadata(
  tileset_id INTEGER NOT NULL REFERENCES tilesets(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (tileset_id, name)) WITHOUT ROWID;
CREATE TABLE tiles(
  tileset_id INTEGER NOT NULL REFERENCES tilesets(id) ON DELETE CASCADE,
  z INTEGER NOT NULL,
  x INTEGER NOT NULL,
  y INTEGER NOT NULL,
  blob_id INTEGER NOT NULL,  -- blobs(id); no FK: see docs/store.md (write path cost)
  run_id INTEGER,
  fetched_at TEXT NOT NULL,
  last_modified TEXT,
  etag TEXT,
  token TEXT,
  PRIMARY KEY (tileset_id, z, y, x)) WITHOUT ROWID;
CREATE VIEW mbtiles_tiles AS
  SELECT t.tileset_id, t.z AS zoom_level, t.x AS tile_column, (1 << t.z) - 1 - t.y AS tile_row,
         b.data AS tile_data
  FROM tiles t JOIN blobs b ON b.id = t.blob_id;
)sql";

// v3: JSON resources with schema evolution, static images, dead letters.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE resource_tables(
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,
  resource TEXT NOT NULL,
  table_name TEXT NOT NULL UNIQUE,
  disposition TEXT NOT NULL CHECK (disposition IN ('append','replace','merge')),
  primary_key TEXT NOT NULL DEFAULT '[]',
  UNIQUE (job, resource));
CREATE TABLE resource_columns(
  table_id INTEGER NOT NULL REFERENCES resource_tables(id) ON DELETE CASCADE,
  field TEXT NOT NULL,
  type TEXT NOT NULL,
  column_name TEXT NOT NULL,
  added_run_id INTEGER,
  PRIMARY KEY (table_id, field, type)) WITHOUT ROWID;
CREATE TABLE schema_changes(
  id INTEGER PRIMARY KEY,
  table_id INTEGER NOT NULL REFERENCES resource_tables(id) ON DELETE CASCADE,
  field TEXT NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('added','type_changed')),
  old_type TEXT,
  new_type TEXT NOT NULL,
  column_name TEXT NOT NULL,
  run_id INTEGER,
  at TEXT NOT NULL);
CREATE TABLE images(
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,
  resource TEXT NOT NULL,
  run_id INTEGER,
  fetched_at TEXT NOT NULL,
  blob_id INTEGER NOT NULL REFERENCES blobs(id),
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  format TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE INDEX images_by_resource ON images(job, resource, id);
CREATE INDEX images_by_blob ON images(blob_id);
CREATE TABLE dead_letters(
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,
  resource TEXT NOT NULL,
  item TEXT NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  first_failed_at TEXT NOT NULL,
  last_failed_at TEXT NOT NULL,
  last_run_id INTEGER,
  UNIQUE (job, resource, item));
)sql";

constexpr std::array kMigrations{
    Migration{1, "run ledger", kV1},
    Migration{2, "tiles and content-addressed blobs", kV2},
    Migration{3, "json resources, images, dead letters", kV3},
};

}  // namespace

std::span<const Migration> migrations() noexcept {
  return kMigrations;
}
int latest_schema_version() noexcept {
  return kMigrations.back().version;
}

result<int> migrate(Database& db, int target) {
  if (target < 0) target = latest_schema_version();
  auto current = db.query_int64("PRAGMA user_version");
  if (!current) return current.error();
  if (*current > latest_schema_version()) {
    return Error{errc::store_failed, "database schema version " + std::to_string(*current) +
                                         " is newer than this cartopull (" +
                                         std::to_string(latest_schema_version()) + ")"};
  }
  for (const auto& migration : kMigrations) {
    if (migration.version <= *current || migration.version > target) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    if (auto r = db.exec(migration.sql); !r) {
      return Error{r.error().code,
                   "migration " + std::to_string(migration.version) + ": " + r.error().message};
    }
    if (auto r = db.exec("PRAGMA user_version=" + std::to_string(migration.version)); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
  }
  auto reached = db.query_int64("PRAGMA user_version");
  if (!reached) return reached.error();
  return static_cast<int>(*reached);
}

}  // namespace cartopull::store
