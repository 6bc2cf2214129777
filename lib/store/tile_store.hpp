#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"
#include "store/run_ledger.hpp"
#include "store/timestamp.hpp"

namespace cartopull::store {

using TilesetId = std::int64_t;

// XYZ addressing (y = 0 at the north), as requested from CARTO. MBTiles rows are TMS: see tms_row.
struct TileKey {
  std::uint32_t z = 0;
  std::uint32_t x = 0;
  std::uint32_t y = 0;
  friend bool operator==(const TileKey&, const TileKey&) = default;
  friend auto operator<=>(const TileKey&, const TileKey&) = default;
};

// MBTiles 1.3 stores TMS rows: tile_row = 2^z - 1 - y (the flip peers most often get wrong).
constexpr std::uint32_t tms_row(std::uint32_t z, std::uint32_t y) noexcept {
  return ((1u << z) - 1u) - y;
}

// What makes a conditional request possible next time (If-None-Match / If-Modified-Since).
struct TileFreshness {
  Timestamp fetched_at;
  std::optional<std::string> last_modified;  // HTTP-date as received
  std::optional<std::string> etag;
  std::optional<std::string> token;  // layergroup id the tile was fetched with (not a secret)
};

struct TileWrite {
  TilesetId tileset = 0;
  TileKey key;
  std::vector<std::uint8_t> data;
  TileFreshness freshness;
  std::optional<RunId> run;
  std::optional<std::int64_t> hash;  // blob_hash(data); computed by the writer when absent
};

struct TileState {
  std::int64_t hash = 0;  // blob_hash of the bytes: equal hash and size means unchanged content
  std::int64_t size = 0;
  std::string fetched_at;
  std::optional<std::string> last_modified;
  std::optional<std::string> etag;
  std::optional<std::string> token;
  std::optional<RunId> run;
};

// MBTiles metadata of a tileset; written whole (all keys in one savepoint) so readers never see
// half of it. Values are the spec's text forms: bounds "W,S,E,N", center "lon,lat,zoom".
struct TilesetMetadata {
  std::string name;
  std::string format;  // MBTiles format: png | jpg | pbf | webp | a media type
  std::optional<std::string> bounds;
  std::optional<std::string> center;
  std::optional<std::uint32_t> minzoom;
  std::optional<std::uint32_t> maxzoom;
  std::optional<std::string> json;                         // required for pbf: {"vector_layers":[...]}
  std::vector<std::pair<std::string, std::string>> extra;  // attribution, description, type, version...
};

// The MBTiles format value for a CARTO tile format: mvt -> pbf, png32 -> png, grid.json -> a media type.
std::string mbtiles_format(std::string_view carto_format);

// Tilesets in the main database: tiles(tileset, z, x, y XYZ) reference content-addressed blobs, so
// identical tiles (oceans, blanks) are stored once. Writes join the caller's transaction when one
// is open. Threading: the thread owning `db`; prepared statements are reused across calls.
class TileStore {
 public:
  explicit TileStore(Database& db) : db_(db), blobs_(db) {}

  // key identifies source + map/layergroup or named map + layer filter + format + scale.
  result<TilesetId> ensure_tileset(std::string_view key, std::string_view format, Timestamp now);
  result<std::optional<TilesetId>> find_tileset(std::string_view key);

  // Upserts the tile and its freshness; the blob is inserted only when its hash is new.
  // Returns true when new bytes were stored (false: identical blob already present).
  result<bool> put_tile(const TileWrite& tile);
  // A 304 Not Modified: refreshes freshness and run without touching the bytes. False if absent.
  result<bool> touch_tile(TilesetId tileset, TileKey key, const TileFreshness& freshness,
                          std::optional<RunId> run);

  result<std::optional<std::vector<std::uint8_t>>> get_tile(TilesetId tileset, TileKey key);
  result<std::optional<TileState>> tile_state(TilesetId tileset, TileKey key);
  result<std::int64_t> count_tiles(TilesetId tileset);
  // Whether the tileset holds any tile (one index probe, unlike count_tiles).
  result<bool> has_tiles(TilesetId tileset);
  // Tiles last written by `run`: what a resumed run does not need to fetch again.
  result<std::vector<TileKey>> tiles_of_run(TilesetId tileset, RunId run);

  result<void> set_metadata(TilesetId tileset, const TilesetMetadata& metadata);
  result<std::vector<std::pair<std::string, std::string>>> metadata(TilesetId tileset);

 private:
  Database& db_;
  BlobStore blobs_;
  Statement upsert_tile_;
  Statement touch_tile_;
  Statement state_select_;
};

}  // namespace cartopull::store
