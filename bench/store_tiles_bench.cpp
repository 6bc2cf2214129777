// Tile write throughput: the store's write path (queue -> writer thread -> content-addressed blobs
// + tiles with freshness, batched commits) against a raw sqlite3 C-API insert loop into a plain
// MBTiles `tiles` table, same blobs, same pragmas, same batch size, in the same run.
//
//   build/bench/store_tiles_bench [TILES] [DIR] [PAGE_SIZE] [ROUNDS]   defaults: 20000 /tmp 8192 5
//
// Prints tiles/s and MB/s for each, and the ratio. Issue 5 targets: >= 15000 tiles/s of 10-12 KB,
// and >= 0.8 x raw.
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/writer.hpp"

namespace {

using namespace cartopull;
using namespace cartopull::store;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatch = 512;

std::uint32_t g_page_size = 8192;
std::uint32_t page_size() {
  return g_page_size;
}

// Wall time of the timed section, and CPU seconds of the whole process over the same section
// (all threads): the CPU figure is steadier on a loaded machine.
struct Sample {
  double wall = 0;
  double cpu = 0;
};

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(usage.ru_utime) + tv(usage.ru_stime);
}

Sample median(std::vector<Sample> samples) {
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.wall < b.wall; });
  Sample m;
  m.wall = samples[samples.size() / 2].wall;
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.cpu < b.cpu; });
  m.cpu = samples[samples.size() / 2].cpu;
  return m;
}

struct Tile {
  TileKey key;
  std::vector<std::uint8_t> data;
};

// Incompressible, distinct 10-12 KB tiles in row-major order (x fastest), as the enumerator emits.
std::vector<Tile> make_tiles(std::size_t count) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<std::size_t> size(10 * 1024, 12 * 1024);
  std::vector<Tile> tiles(count);
  const std::uint32_t width = 256;
  for (std::size_t i = 0; i < count; ++i) {
    tiles[i].key = {14, 8000 + static_cast<std::uint32_t>(i % width),
                    5000 + static_cast<std::uint32_t>(i / width)};
    tiles[i].data.resize(size(random));
    for (std::size_t j = 0; j < tiles[i].data.size(); j += 8) {
      const auto word = random();
      for (std::size_t k = 0; k < 8 && j + k < tiles[i].data.size(); ++k)
        tiles[i].data[j + k] = std::uint8_t(word >> (8 * k));
    }
  }
  return tiles;
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

// The baseline: what a hand-written loader would do.
Sample run_raw(const std::vector<Tile>& tiles, const std::string& path) {
  remove_db(path);
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr),
        db, "open");
  check(sqlite3_exec(
            db,
            ("PRAGMA page_size=" + std::to_string(page_size()) +
             "; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
             "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY; "
             "CREATE TABLE tiles(zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
             "CREATE UNIQUE INDEX tile_index ON tiles(zoom_level, tile_column, tile_row);")
                .c_str(),
            nullptr, nullptr, nullptr),
        db, "schema");
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* insert = nullptr;
  check(sqlite3_prepare_v2(db, "INSERT INTO tiles VALUES(?1, ?2, ?3, ?4)", -1, &insert, nullptr), db,
        "prepare");
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    if (i % kBatch == 0) check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    const auto& t = tiles[i];
    sqlite3_bind_int64(insert, 1, t.key.z);
    sqlite3_bind_int64(insert, 2, t.key.x);
    sqlite3_bind_int64(insert, 3, tms_row(t.key.z, t.key.y));
    sqlite3_bind_blob(insert, 4, t.data.data(), static_cast<int>(t.data.size()), SQLITE_STATIC);
    check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
    if (i % kBatch == kBatch - 1 || i + 1 == tiles.size())
      check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  const Sample sample{std::chrono::duration<double>(Clock::now() - start).count(), cpu_seconds() - cpu_start};
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return sample;
}

// The store: the producer (this thread) moves each tile into the queue; the writer thread hashes,
// deduplicates and commits; timing ends when the last tile is committed.
Sample run_store(std::vector<Tile> tiles, const std::string& path) {
  remove_db(path);
  WriterOptions options;
  options.path = path;
  options.batch_ops = kBatch;
  options.open.page_size = page_size();
  auto writer = Writer::start(options);
  if (!writer) {
    std::fprintf(stderr, "writer: %s\n", writer.error().what().c_str());
    std::exit(1);
  }
  const auto now = std::chrono::system_clock::now();
  const auto tileset =
      (*writer)
          ->call<TilesetId>([now](WriteContext& c) { return c.tiles.ensure_tileset("bench", "png", now); },
                            std::chrono::seconds(5))
          .get();
  const auto run =
      (*writer)
          ->call<RunId>([now](WriteContext& c) { return c.ledger.begin_run("bench", "manual", now); },
                        std::chrono::seconds(5))
          .get();
  if (!tileset || !run) std::exit(1);
  const auto start = Clock::now();
  const double cpu_start = cpu_seconds();
  for (auto& t : tiles) {
    TileWrite w;
    w.tileset = *tileset;
    w.key = t.key;
    w.data = std::move(t.data);
    w.freshness.fetched_at = now;
    w.freshness.etag = "\"0123456789abcdef\"";
    w.run = *run;
    if (auto r = (*writer)->submit(std::move(w), std::chrono::seconds(30)); !r) std::exit(1);
  }
  if (auto r = (*writer)->flush(std::chrono::seconds(120)); !r) std::exit(1);
  const Sample sample{std::chrono::duration<double>(Clock::now() - start).count(), cpu_seconds() - cpu_start};
  (*writer)->stop();
  return sample;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::stoul(argv[1]) : 20000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  if (argc > 3) g_page_size = static_cast<std::uint32_t>(std::stoul(argv[3]));
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 5;
  const auto tiles = make_tiles(count);
  std::size_t bytes = 0;
  for (const auto& t : tiles) bytes += t.data.size();
  const std::string raw_path = dir + "/cartopull-bench-raw-" + std::to_string(::getpid()) + ".db";
  const std::string store_path = dir + "/cartopull-bench-store-" + std::to_string(::getpid()) + ".db";

  // Alternate the two and keep each one's median: the machine and its disk are shared.
  std::vector<Sample> raw, ours;
  for (int round = 0; round < rounds; ++round) {
    raw.push_back(run_raw(tiles, raw_path));
    ours.push_back(run_store(tiles, store_path));
  }
  remove_db(raw_path);
  remove_db(store_path);
  const double mb = static_cast<double>(bytes) / (1024.0 * 1024.0);
  const auto r = median(raw);
  const auto o = median(ours);
  const auto n = static_cast<double>(count);
  std::printf(
      "tiles: %zu of 10-12 KB (%.1f MiB), batch %zu, page_size %u, WAL, synchronous=NORMAL, dir %s, %d "
      "rounds\n",
      count, mb, kBatch, g_page_size, dir.c_str(), rounds);
  std::printf("%-24s %9s %9s %12s\n", "", "tiles/s", "MiB/s", "tiles/cpu-s");
  std::printf("%-24s %9.0f %9.1f %12.0f\n", "raw sqlite3 insert loop", n / r.wall, mb / r.wall, n / r.cpu);
  std::printf("%-24s %9.0f %9.1f %12.0f\n", "store write path", n / o.wall, mb / o.wall, n / o.cpu);
  std::printf("ratio store/raw: %.2f (wall), %.2f (cpu)\n", r.wall / o.wall, r.cpu / o.cpu);
  return 0;
}
