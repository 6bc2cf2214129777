#include "store/tile_store.hpp"

#include <cstring>

namespace cartopull::store {
std::string mbtiles_format(std::string_view carto_format) {
  if (carto_format == "mvt" || carto_format == "pbf") return "pbf";
  if (carto_format == "png32" || carto_format == "png") return "png";
  if (carto_format == "jpg" || carto_format == "jpeg") return "jpg";
  if (carto_format == "grid.json") return "application/json";
  return std::string(carto_format);
}

result<TilesetId> TileStore::ensure_tileset(std::string_view key, std::string_view format, Timestamp now) {
  auto insert = db_.prepare(
      "INSERT INTO tilesets(key, format, created_at) VALUES(?1, ?2, ?3) ON CONFLICT(key) DO NOTHING");
  if (!insert) return insert.error();
  insert->bind(1, key).bind(2, format).bind(3, format_timestamp(now));
  if (auto r = insert->run(); !r) return r.error();
  auto found = find_tileset(key);
  if (!found) return found.error();
  if (!*found) return Error{errc::store_failed, "tileset vanished after insert"};
  return **found;
}

result<std::optional<TilesetId>> TileStore::find_tileset(std::string_view key) {
  auto select = db_.prepare("SELECT id FROM tilesets WHERE key = ?1");
  if (!select) return select.error();
  select->bind(1, key);
  auto row = select->step();
  if (!row) return row.error();
  if (!*row) return std::optional<TilesetId>();
  return std::optional<TilesetId>(select->column_int64(0));
}

result<bool> TileStore::put_tile(const TileWrite& tile) {
  auto blob = blobs_.put(tile.data, tile.hash);
  if (!blob) return blob.error();
  if (auto r = db_.prepare_once(
          upsert_tile_,
          "INSERT INTO tiles(tileset_id, z, x, y, blob_id, run_id, fetched_at, last_modified, etag, token) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(tileset_id, z, y, x) DO UPDATE SET "
          "blob_id = excluded.blob_id, run_id = excluded.run_id, fetched_at = excluded.fetched_at, "
          "last_modified = excluded.last_modified, etag = excluded.etag, token = excluded.token");
      !r) {
    return r.error();
  }
  auto& s = upsert_tile_;
  s.bind(1, tile.tileset)
      .bind(2, static_cast<std::int64_t>(tile.key.z))
      .bind(3, static_cast<std::int64_t>(tile.key.x));
  s.bind(4, static_cast<std::int64_t>(tile.key.y)).bind(5, blob->id).bind(6, tile.run);
  s.bind(7, format_timestamp(tile.freshness.fetched_at)).bind(8, tile.freshness.last_modified);
  s.bind(9, tile.freshness.etag).bind(10, tile.freshness.token);
  if (auto r = s.run(); !r) return r.error();
  return blob->inserted;
}

result<bool> TileStore::touch_tile(TilesetId tileset, TileKey key, const TileFreshness& freshness,
                                   std::optional<RunId> run) {
  if (auto r =
          db_.prepare_once(touch_tile_,
                           "UPDATE tiles SET fetched_at = ?5, last_modified = coalesce(?6, last_modified), "
                           "etag = coalesce(?7, etag), token = coalesce(?8, token), run_id = ?9 "
                           "WHERE tileset_id = ?1 AND z = ?2 AND x = ?3 AND y = ?4");
      !r) {
    return r.error();
  }
  auto& s = touch_tile_;
  s.bind(1, tileset).bind(2, static_cast<std::int64_t>(key.z)).bind(3, static_cast<std::int64_t>(key.x));
  s.bind(4, static_cast<std::int64_t>(key.y)).bind(5, format_timestamp(freshness.fetched_at));
  s.bind(6, freshness.last_modified).bind(7, freshness.etag).bind(8, freshness.token).bind(9, run);
  if (auto r = s.run(); !r) return r.error();
  return db_.changes() == 1;
}

result<std::optional<std::vector<std::uint8_t>>> TileStore::get_tile(TilesetId tileset, TileKey key) {
  auto select = db_.prepare(
      "SELECT b.data FROM tiles t JOIN blobs b ON b.id = t.blob_id "
      "WHERE t.tileset_id = ?1 AND t.z = ?2 AND t.x = ?3 AND t.y = ?4");
  if (!select) return select.error();
  select->bind(1, tileset)
      .bind(2, static_cast<std::int64_t>(key.z))
      .bind(3, static_cast<std::int64_t>(key.x));
  select->bind(4, static_cast<std::int64_t>(key.y));
  auto row = select->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::vector<std::uint8_t>>();
  return std::optional<std::vector<std::uint8_t>>(select->column_blob(0));
}

result<std::optional<TileState>> TileStore::tile_state(TilesetId tileset, TileKey key) {
  // Called once per tile by the extractor (conditional requests): prepared once, reset after use.
  if (auto r =
          db_.prepare_once(state_select_,
                           "SELECT b.hash, b.size, t.fetched_at, t.last_modified, t.etag, t.token, t.run_id "
                           "FROM tiles t JOIN blobs b ON b.id = t.blob_id "
                           "WHERE t.tileset_id = ?1 AND t.z = ?2 AND t.x = ?3 AND t.y = ?4");
      !r) {
    return r.error();
  }
  auto* select = &state_select_;
  struct Reset {
    Statement& s;
    ~Reset() { s.reset(); }
  } reset{state_select_};
  select->bind(1, tileset)
      .bind(2, static_cast<std::int64_t>(key.z))
      .bind(3, static_cast<std::int64_t>(key.x));
  select->bind(4, static_cast<std::int64_t>(key.y));
  auto row = select->step();
  if (!row) return row.error();
  if (!*row) return std::optional<TileState>();
  TileState state;
  state.hash = select->column_int64(0);
  state.size = select->column_int64(1);
  state.fetched_at = select->column_text(2);
  state.last_modified = select->column_optional_text(3);
  state.etag = select->column_optional_text(4);
  state.token = select->column_optional_text(5);
  state.run = select->column_optional_int64(6);
  return std::optional<TileState>(std::move(state));
}

result<std::int64_t> TileStore::count_tiles(TilesetId tileset) {
  auto select = db_.prepare("SELECT count(*) FROM tiles WHERE tileset_id = ?1");
  if (!select) return select.error();
  select->bind(1, tileset);
  auto row = select->step();
  if (!row) return row.error();
  return select->column_int64(0);
}

result<bool> TileStore::has_tiles(TilesetId tileset) {
  auto select = db_.prepare("SELECT 1 FROM tiles WHERE tileset_id = ?1 LIMIT 1");
  if (!select) return select.error();
  select->bind(1, tileset);
  auto row = select->step();
  if (!row) return row.error();
  return *row;
}

result<std::vector<TileKey>> TileStore::tiles_of_run(TilesetId tileset, RunId run) {
  auto select =
      db_.prepare("SELECT z, x, y FROM tiles WHERE tileset_id = ?1 AND run_id = ?2 ORDER BY z, x, y");
  if (!select) return select.error();
  select->bind(1, tileset).bind(2, run);
  std::vector<TileKey> keys;
  for (;;) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    keys.push_back({static_cast<std::uint32_t>(select->column_int64(0)),
                    static_cast<std::uint32_t>(select->column_int64(1)),
                    static_cast<std::uint32_t>(select->column_int64(2))});
  }
  return keys;
}

result<void> TileStore::set_metadata(TilesetId tileset, const TilesetMetadata& metadata) {
  if (metadata.name.empty() || metadata.format.empty()) {
    return Error{errc::store_failed, "tileset metadata needs name and format (MBTiles 1.3)"};
  }
  auto savepoint = Savepoint::begin(db_);
  if (!savepoint) return savepoint.error();
  auto clear = db_.prepare("DELETE FROM tileset_metadata WHERE tileset_id = ?1");
  if (!clear) return clear.error();
  clear->bind(1, tileset);
  if (auto r = clear->run(); !r) return r;
  auto insert = db_.prepare("INSERT INTO tileset_metadata(tileset_id, name, value) VALUES(?1, ?2, ?3)");
  if (!insert) return insert.error();
  auto put = [&](std::string_view name, std::string_view value) {
    insert->bind(1, tileset).bind(2, name).bind(3, value);
    return insert->run();
  };
  std::vector<std::pair<std::string, std::string>> rows{{"name", metadata.name}, {"format", metadata.format}};
  if (metadata.bounds) rows.emplace_back("bounds", *metadata.bounds);
  if (metadata.center) rows.emplace_back("center", *metadata.center);
  if (metadata.minzoom) rows.emplace_back("minzoom", std::to_string(*metadata.minzoom));
  if (metadata.maxzoom) rows.emplace_back("maxzoom", std::to_string(*metadata.maxzoom));
  if (metadata.json) rows.emplace_back("json", *metadata.json);
  for (const auto& extra : metadata.extra) rows.push_back(extra);
  for (const auto& [name, value] : rows) {
    if (auto r = put(name, value); !r) return r;
  }
  return savepoint->release();
}

result<std::vector<std::pair<std::string, std::string>>> TileStore::metadata(TilesetId tileset) {
  auto select = db_.prepare("SELECT name, value FROM tileset_metadata WHERE tileset_id = ?1 ORDER BY name");
  if (!select) return select.error();
  select->bind(1, tileset);
  std::vector<std::pair<std::string, std::string>> rows;
  for (;;) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    rows.emplace_back(select->column_text(0), select->column_text(1));
  }
  return rows;
}

}  // namespace cartopull::store
