#pragma once

#include <string>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/tile_store.hpp"

namespace cartopull::store {

struct ExportStats {
  std::int64_t tiles = 0;
  std::int64_t unique_blobs = 0;
};

// Writes tileset `tileset` of `source` as a standalone MBTiles 1.3 file at `path`, atomically: it is
// built at "<path>.tmp-<pid>" (rollback journal, synchronous=FULL) and renamed over `path` only
// when complete, so a reader sees the old file or the new one, never a half one.
// Layout (as node-mbtiles): images(tile_id, tile_data) + map(z, column, TMS row, tile_id) + a
// `tiles` view, so identical tiles are stored once in the export too. pbf tiles are gzipped when
// they are not already. Metadata: the tileset's keys; minzoom/maxzoom/bounds/center are derived
// from the tiles when absent. A pbf tileset without `json` metadata is refused (vector_layers is
// required by the spec). `source` may be a read-only connection: the export reads one snapshot.
result<ExportStats> export_mbtiles(Database& source, TilesetId tileset, const std::string& path);

}  // namespace cartopull::store
