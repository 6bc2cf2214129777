#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "store/database.hpp"
#include "store/run_ledger.hpp"
#include "store/tile_store.hpp"
#include "support/child_process.hpp"
#include "support/tools/store_crash_tile.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;
using cartopull::testing::ChildProcess;
using cartopull::testing::TempDir;

const std::string kWriter = CARTOPULL_BINARY_DIR "/tests/store-crash-writer";
constexpr std::uint32_t kTiles = 40000;
constexpr int kKills = 50;

struct AckLog {
  std::optional<RunId> run;
  bool resumed = false;
  std::int64_t missing = -1;
  std::vector<std::uint32_t> acked;
  bool done = false;
};

// Complete lines only: a kill may cut the file after any byte.
AckLog parse_acks(const std::string& text) {
  AckLog log;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    std::istringstream line(text.substr(start, end - start));
    char kind = 0;
    line >> kind;
    if (kind == 'A') {
      std::uint32_t index = 0;
      line >> index;
      log.acked.push_back(index);
    } else if (kind == 'P') {
      RunId run = 0;
      int resumed = 0;
      line >> run >> resumed >> log.missing;
      log.run = run;
      log.resumed = resumed == 1;
    } else if (kind == 'D') {
      log.done = true;
    }
  }
  return log;
}

struct Checker {
  Database db;
  TilesetId tileset = 0;

  static std::optional<Checker> open(const std::string& path) {
    auto db = Database::open(path);  // read-write: replays the WAL like the next daemon start
    EXPECT_TRUE(db) << db.error().what();
    if (!db) return std::nullopt;
    return Checker{std::move(*db)};
  }
  bool has_schema() {
    return db.query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'tilesets'").value() == 1;
  }
  void find_tileset() {
    TileStore tiles(db);
    if (auto found = tiles.find_tileset(crash::kTileset); found && *found) tileset = **found;
  }
  std::int64_t tiles_of_run(RunId run) {
    auto stmt = db.prepare("SELECT count(*) FROM tiles WHERE tileset_id = ?1 AND run_id = ?2");
    stmt->bind(1, tileset).bind(2, run);
    EXPECT_TRUE(stmt->step().value());
    return stmt->column_int64(0);
  }
  // Each acknowledged tile: exactly one row, bytes identical.
  void expect_acked(const std::vector<std::uint32_t>& acked) {
    auto stmt = db.prepare(
        "SELECT count(*), b.data FROM tiles t JOIN blobs b ON b.id = t.blob_id "
        "WHERE t.tileset_id = ?1 AND t.z = ?2 AND t.x = ?3 AND t.y = ?4");
    ASSERT_TRUE(stmt);
    for (const auto index : acked) {
      const auto key = crash::tile_key(index);
      stmt->bind(1, tileset)
          .bind(2, std::int64_t{key.z})
          .bind(3, std::int64_t{key.x})
          .bind(4, std::int64_t{key.y});
      ASSERT_TRUE(stmt->step().value());
      ASSERT_EQ(stmt->column_int64(0), 1) << "acked tile " << index << " missing";
      ASSERT_EQ(stmt->column_blob(1), crash::tile_bytes(index)) << "acked tile " << index << " differs";
      stmt->reset();
    }
  }
  // Metadata is all of one generation or absent: never half written.
  void expect_whole_metadata() {
    TileStore tiles(db);
    auto rows = tiles.metadata(tileset).value();
    if (rows.empty()) return;
    std::map<std::string, std::string> m(rows.begin(), rows.end());
    ASSERT_EQ(rows.size(), crash::kMetadataRows);
    for (const char* key :
         {"name", "format", "bounds", "center", "minzoom", "maxzoom", "version", "description"}) {
      ASSERT_TRUE(m.contains(key)) << key;
    }
    EXPECT_EQ(m["description"], "generation " + m["version"]);
  }
  // A checkpoint never runs ahead of the data it describes.
  void expect_checkpoint_behind_data(RunId run) {
    RunLedger ledger(db);
    for (const auto& p : ledger.progress(run).value()) EXPECT_LE(p.done, tiles_of_run(run));
  }
};

TEST(StoreCrash, sigkill_at_random_points_loses_no_acknowledged_tile_and_resume_fetches_only_the_rest) {
  ASSERT_TRUE(std::filesystem::exists(kWriter)) << kWriter << " not built (ninja store-crash-writer)";
  TempDir dir;
  const auto db_path = dir.file("crash.db");
  std::mt19937 random(20261125);
  std::uniform_int_distribution<int> delay_ms(1, 40);

  std::set<std::uint32_t> all_acked;
  std::optional<RunId> previous_run;
  std::int64_t previous_present = 0;
  int resumed_runs = 0;
  int kills = 0;
  for (int attempt = 0; attempt < kKills; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const auto ack_path = dir.file("acks-" + std::to_string(attempt));
    ChildProcess child({kWriter, db_path, ack_path, std::to_string(kTiles)});
    // Kill at a random point (often mid-batch, sometimes during open/migrate or after a commit).
    const auto exited = child.wait(std::chrono::milliseconds(delay_ms(random)));
    if (!exited) {
      child.signal(SIGKILL);
      ASSERT_TRUE(child.wait(5s));
      ++kills;
    } else {
      ASSERT_EQ(*exited, 0) << child.err();
    }
    const auto log = parse_acks(cartopull::testing::read_file(ack_path));

    auto checker = Checker::open(db_path);
    ASSERT_TRUE(checker);
    ASSERT_EQ(checker->db.query_text("PRAGMA integrity_check").value(), "ok");
    if (!checker->has_schema()) continue;  // killed during the very first migration
    checker->find_tileset();
    if (log.run) {
      // The plan covers exactly what the previous attempts left missing in this run.
      if (log.resumed) {
        ++resumed_runs;
        EXPECT_EQ(log.run, previous_run);
        EXPECT_EQ(log.missing, static_cast<std::int64_t>(kTiles) - previous_present);
      } else {
        EXPECT_EQ(log.missing, kTiles);
      }
      previous_run = log.run;
    }
    if (checker->tileset == 0) {
      ASSERT_TRUE(log.acked.empty());
      continue;
    }
    checker->expect_acked(log.acked);
    checker->expect_whole_metadata();
    if (previous_run) {
      checker->expect_checkpoint_behind_data(*previous_run);
      previous_present = checker->tiles_of_run(*previous_run);
    }
    all_acked.insert(log.acked.begin(), log.acked.end());
    if (log.done) previous_present = 0;  // finished: the next attempt starts a new run
  }
  std::printf("crash harness: %d kills, %d resumed runs, %zu distinct tiles acknowledged\n", kills, resumed_runs,
              all_acked.size());
  EXPECT_GE(kills, kKills * 9 / 10);
  EXPECT_GE(resumed_runs, kKills / 2);
  EXPECT_GT(all_acked.size(), 1000u);

  // Finally let it complete: the run resumes, finishes ok, and the tileset is whole.
  const auto ack_path = dir.file("acks-final");
  ChildProcess child({kWriter, db_path, ack_path, std::to_string(kTiles)});
  const auto status = child.wait(60s);
  ASSERT_TRUE(status);
  ASSERT_EQ(*status, 0) << child.err();
  const auto log = parse_acks(cartopull::testing::read_file(ack_path));
  EXPECT_TRUE(log.done);
  auto checker = Checker::open(db_path);
  ASSERT_TRUE(checker);
  checker->find_tileset();
  EXPECT_EQ(checker->db.query_text("PRAGMA integrity_check").value(), "ok");
  RunLedger ledger(checker->db);
  const auto run = ledger.get_run(*log.run).value();
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, RunStatus::ok);
  EXPECT_GE(run->resumes, 1);
  EXPECT_EQ(checker->db.query_int64("SELECT count(*) FROM tiles").value(), kTiles);
  // One blob per distinct tile: the 4000 blank tiles share one.
  EXPECT_EQ(checker->db.query_int64("SELECT count(*) FROM blobs").value(), kTiles - kTiles / 10 + 1);
  std::vector<std::uint32_t> every(kTiles);
  for (std::uint32_t i = 0; i < kTiles; ++i) every[i] = i;
  checker->expect_acked(every);
  checker->expect_whole_metadata();
  EXPECT_EQ(checker->db.query_int64("SELECT count(*) FROM tileset_metadata").value(), crash::kMetadataRows);
}

}  // namespace
}  // namespace cartopull::store
