#include "store/mbtiles_export.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numbers>

namespace cartopull::store {
namespace {

constexpr std::string_view kSchema = R"sql(
PRAGMA application_id = 1297105496;
CREATE TABLE metadata (name text, value text);
CREATE UNIQUE INDEX name ON metadata (name);
CREATE TABLE images (tile_data blob, tile_id text);
CREATE UNIQUE INDEX images_id ON images (tile_id);
CREATE TABLE map (zoom_level integer, tile_column integer, tile_row integer, tile_id text);
CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
CREATE VIEW tiles AS
  SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row,
         images.tile_data AS tile_data
  FROM map JOIN images ON images.tile_id = map.tile_id;
)sql";

bool is_gzip(std::span<const std::uint8_t> data) {
  return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

// MBTiles 1.3: pbf tile_data is gzip-compressed MVT.
result<std::vector<std::uint8_t>> gzip(std::span<const std::uint8_t> data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error{errc::store_failed, "gzip: deflateInit2 failed"};
  }
  std::vector<std::uint8_t> out(deflateBound(&stream, data.size()) + 32);
  stream.next_in = const_cast<std::uint8_t*>(data.data());
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  const auto produced = stream.total_out;
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) return Error{errc::store_failed, "gzip: deflate failed"};
  out.resize(produced);
  return out;
}

double tile_lon(std::uint32_t x, std::uint32_t z) {
  return x / std::ldexp(1.0, static_cast<int>(z)) * 360.0 - 180.0;
}

double tile_lat(std::uint32_t y, std::uint32_t z) {
  const double n = std::numbers::pi - 2.0 * std::numbers::pi * y / std::ldexp(1.0, static_cast<int>(z));
  return std::atan(std::sinh(n)) * 180.0 / std::numbers::pi;
}

std::string fixed(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6f", value);
  return buffer;
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Ends the read snapshot on every path out of export_mbtiles.
struct ReadSnapshot {
  Database& db;
  ~ReadSnapshot() {
    if (db.in_transaction()) (void)db.exec("ROLLBACK");
  }
};

result<ExportStats> write_file(Database& source, TilesetId tileset, const std::string& temp,
                               const std::map<std::string, std::string>& metadata, bool compress) {
  OpenOptions options;
  options.wal = false;
  options.page_size = 4096;
  auto dest = Database::open(temp, options);
  if (!dest) return dest.error();
  if (auto r = dest->exec(kSchema); !r) return r.error();
  auto tx = Transaction::begin(*dest);
  if (!tx) return tx.error();

  auto insert_meta = dest->prepare("INSERT INTO metadata(name, value) VALUES(?1, ?2)");
  if (!insert_meta) return insert_meta.error();
  for (const auto& [name, value] : metadata) {
    insert_meta->bind(1, name).bind(2, value);
    if (auto r = insert_meta->run(); !r) return r.error();
  }

  ExportStats stats;
  auto blobs = source.prepare(
      "SELECT CAST(b.id AS TEXT), b.data FROM blobs b "
      "WHERE b.id IN (SELECT blob_id FROM tiles WHERE tileset_id = ?1)");
  if (!blobs) return blobs.error();
  blobs->bind(1, tileset);
  auto insert_image = dest->prepare("INSERT INTO images(tile_id, tile_data) VALUES(?1, ?2)");
  if (!insert_image) return insert_image.error();
  for (;;) {
    auto row = blobs->step();
    if (!row) return row.error();
    if (!*row) break;
    auto data = blobs->column_blob(1);
    if (compress && !is_gzip(data)) {
      auto packed = gzip(data);
      if (!packed) return packed.error();
      data = std::move(*packed);
    }
    insert_image->bind(1, blobs->column_text(0)).bind_blob(2, data);
    if (auto r = insert_image->run(); !r) return r.error();
    ++stats.unique_blobs;
  }

  auto tiles =
      source.prepare("SELECT z, x, (1 << z) - 1 - y, CAST(blob_id AS TEXT) FROM tiles WHERE tileset_id = ?1");
  if (!tiles) return tiles.error();
  tiles->bind(1, tileset);
  auto insert_map =
      dest->prepare("INSERT INTO map(zoom_level, tile_column, tile_row, tile_id) VALUES(?1, ?2, ?3, ?4)");
  if (!insert_map) return insert_map.error();
  for (;;) {
    auto row = tiles->step();
    if (!row) return row.error();
    if (!*row) break;
    insert_map->bind(1, tiles->column_int64(0))
        .bind(2, tiles->column_int64(1))
        .bind(3, tiles->column_int64(2));
    insert_map->bind(4, tiles->column_text(3));
    if (auto r = insert_map->run(); !r) return r.error();
    ++stats.tiles;
  }
  if (auto r = tx->commit(); !r) return r.error();
  return stats;
}

}  // namespace

result<ExportStats> export_mbtiles(Database& source, TilesetId tileset, const std::string& path) {
  // One snapshot for metadata and tiles, even while the writer keeps committing.
  if (auto r = source.exec("BEGIN"); !r) return r.error();
  ReadSnapshot snapshot{source};

  auto info = source.prepare("SELECT key, format FROM tilesets WHERE id = ?1");
  if (!info) return info.error();
  info->bind(1, tileset);
  auto found = info->step();
  if (!found) return found.error();
  if (!*found) return Error{errc::store_failed, "export: no tileset " + std::to_string(tileset)};
  const std::string key = info->column_text(0);
  const std::string carto_format = info->column_text(1);

  std::map<std::string, std::string> metadata;
  auto meta = source.prepare("SELECT name, value FROM tileset_metadata WHERE tileset_id = ?1");
  if (!meta) return meta.error();
  meta->bind(1, tileset);
  for (;;) {
    auto row = meta->step();
    if (!row) return row.error();
    if (!*row) break;
    metadata[meta->column_text(0)] = meta->column_text(1);
  }
  metadata.try_emplace("name", key);
  metadata.try_emplace("format", mbtiles_format(carto_format));
  const bool pbf = metadata["format"] == "pbf";
  if (pbf && !metadata.contains("json")) {
    return Error{errc::store_failed,
                 "export: pbf tileset '" + key + "' has no json metadata (vector_layers)"};
  }

  auto zooms = source.prepare("SELECT min(z), max(z) FROM tiles WHERE tileset_id = ?1");
  if (!zooms) return zooms.error();
  zooms->bind(1, tileset);
  if (auto row = zooms->step(); !row) return row.error();
  if (!zooms->column_is_null(0)) {
    const auto min_z = static_cast<std::uint32_t>(zooms->column_int64(0));
    const auto max_z = static_cast<std::uint32_t>(zooms->column_int64(1));
    metadata.try_emplace("minzoom", std::to_string(min_z));
    metadata.try_emplace("maxzoom", std::to_string(max_z));
    // Union of every zoom level's tile extent: a pyramid need not cover the same area at each zoom.
    auto extent = source.prepare(
        "SELECT z, min(x), max(x), min(y), max(y) FROM tiles WHERE tileset_id = ?1 GROUP BY z");
    if (!extent) return extent.error();
    extent->bind(1, tileset);
    double west = 180, south = 90, east = -180, north = -90;
    for (;;) {
      auto row = extent->step();
      if (!row) return row.error();
      if (!*row) break;
      const auto c = [&](int i) { return static_cast<std::uint32_t>(extent->column_int64(i)); };
      const auto z = c(0);
      west = std::min(west, tile_lon(c(1), z));
      east = std::max(east, tile_lon(c(2) + 1, z));
      north = std::max(north, tile_lat(c(3), z));
      south = std::min(south, tile_lat(c(4) + 1, z));
    }
    if (!metadata.contains("bounds")) {
      metadata["bounds"] = fixed(west) + "," + fixed(south) + "," + fixed(east) + "," + fixed(north);
    }
    if (!metadata.contains("center")) {
      double w = 0, s = 0, e = 0, n = 0;
      if (std::sscanf(metadata["bounds"].c_str(), "%lf,%lf,%lf,%lf", &w, &s, &e, &n) == 4) {
        metadata["center"] = fixed((w + e) / 2) + "," + fixed((s + n) / 2) + "," + std::to_string(min_z);
      }
    }
  }

  const std::filesystem::path target(path);
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  std::error_code ignored;
  std::filesystem::remove(temp, ignored);
  std::filesystem::remove(temp + "-journal", ignored);
  auto stats = write_file(source, tileset, temp, metadata, pbf);
  if (!stats) {
    std::filesystem::remove(temp, ignored);
    return stats.error();
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp, ignored);
    return Error{errc::store_failed, "export: rename failed: " + ec.message()};
  }
  fsync_directory(target.parent_path());
  return stats;
}

}  // namespace cartopull::store
