// The storage ceiling of bench/peers.sh: inserts the pyramid's files into one MBTiles-shaped table
// through cartopull's own Database::open (so the same pragmas: page_size 8192, WAL,
// synchronous=NORMAL, 16 MiB cache) in transactions of 512 rows (the writer's batch_ops).
// The files are read into memory first; only the inserts and commits are timed.
//   raw_sqlite_insert TILE_DIR MAX_ZOOM DB
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace {

struct Tile {
  std::uint32_t z, x, y;
  std::vector<std::uint8_t> data;
};

bool check(int rc, sqlite3* db) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
  std::fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s TILE_DIR MAX_ZOOM DB\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const auto max_zoom = static_cast<std::uint32_t>(std::atoi(argv[2]));
  std::vector<Tile> tiles;
  std::uint64_t bytes = 0;
  for (std::uint32_t z = 0; z <= max_zoom; ++z) {
    for (std::uint32_t x = 0; x < (1u << z); ++x) {
      for (std::uint32_t y = 0; y < (1u << z); ++y) {
        std::ifstream in(dir / std::to_string(z) / std::to_string(x) / (std::to_string(y) + ".png"),
                         std::ios::binary);
        Tile t{z, x, y, {std::istreambuf_iterator<char>(in), {}}};
        bytes += t.data.size();
        tiles.push_back(std::move(t));
      }
    }
  }
  auto opened = cartopull::store::Database::open(argv[3]);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().what().c_str());
    return 1;
  }
  auto& database = *opened;
  sqlite3* db = database.handle();
  if (!database.exec("CREATE TABLE tiles(zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                     "tile_data BLOB, PRIMARY KEY(zoom_level, tile_column, tile_row))")) {
    return 1;
  }
  sqlite3_stmt* insert = nullptr;
  if (!check(sqlite3_prepare_v3(db, "INSERT INTO tiles VALUES(?1, ?2, ?3, ?4)", -1, SQLITE_PREPARE_PERSISTENT,
                                &insert, nullptr),
             db)) {
    return 1;
  }
  constexpr std::size_t kBatch = 512;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    if (i % kBatch == 0 && !check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db))
      return 1;
    const auto& t = tiles[i];
    sqlite3_bind_int64(insert, 1, t.z);
    sqlite3_bind_int64(insert, 2, t.x);
    sqlite3_bind_int64(insert, 3, ((1u << t.z) - 1u) - t.y);  // MBTiles rows are TMS
    sqlite3_bind_blob(insert, 4, t.data.data(), static_cast<int>(t.data.size()), SQLITE_STATIC);
    if (!check(sqlite3_step(insert), db)) return 1;
    sqlite3_reset(insert);
    if ((i + 1) % kBatch == 0 || i + 1 == tiles.size()) {
      if (!check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db)) return 1;
    }
  }
  sqlite3_finalize(insert);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("inserted %zu tiles (%llu bytes) in %.3f s: %.0f tiles/s\n", tiles.size(),
              static_cast<unsigned long long>(bytes), seconds, static_cast<double>(tiles.size()) / seconds);
  return 0;
}
