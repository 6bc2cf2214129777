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
constexpr std::uint32_t kTiles = 60000;  // enough that the 50 kills end before the run does
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
  std::uniform_int_distribution<int> early_ms(1, 15);
  std::uniform_int_distribution<int> writing_ms(0, 15);

  std::set<std::uint32_t> all_acked;
  std::optional<RunId> left_run;  // the newest run after the previous attempt
  std::int64_t left_present = 0;  // its tiles
  bool left_finished = false;
  int resumed_runs = 0;
  int kills = 0;
  for (int attempt = 0; kills < kKills && attempt < kKills + 10; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const auto ack_path = dir.file("acks-" + std::to_string(attempt));
    ChildProcess child({kWriter, db_path, ack_path, std::to_string(kTiles)});
    // Kill at a random point: every fifth attempt early (open, migration, run start), the others
    // while writing, measured from the child's plan line so a slow build (sanitizers) still
    // gets killed mid-stream.
    std::optional<int> exited;
    if (attempt % 5 == 0) {
      exited = child.wait(std::chrono::milliseconds(early_ms(random)));
    } else {
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      while (!exited && std::chrono::steady_clock::now() < deadline &&
             cartopull::testing::read_file(ack_path).find('\n') == std::string::npos) {
        exited = child.wait(1ms);
      }
      if (!exited) exited = child.wait(std::chrono::milliseconds(writing_ms(random)));
    }
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
    // The plan covers exactly what the previous attempts left missing in the interrupted run.
    if (log.run) {
      if (log.resumed) {
        ++resumed_runs;
        EXPECT_EQ(log.run, left_run);
        EXPECT_EQ(log.missing, static_cast<std::int64_t>(kTiles) - left_present);
      } else {
        EXPECT_TRUE(!left_run || left_finished);  // an unfinished run is never abandoned
        EXPECT_EQ(log.missing, kTiles);
      }
    }
    // What this attempt leaves, from the database (a child may die before its plan line).
    left_run.reset();
    left_present = 0;
    left_finished = false;
    if (auto newest = checker->db.query_int64("SELECT id FROM runs ORDER BY id DESC LIMIT 1")) {
      left_run = *newest;
      left_finished = RunLedger(checker->db).get_run(*newest).value()->status == RunStatus::ok;
      if (checker->tileset != 0) left_present = checker->tiles_of_run(*newest);
    }
    if (checker->tileset == 0) {
      ASSERT_TRUE(log.acked.empty());
      continue;
    }
    checker->expect_acked(log.acked);
    checker->expect_whole_metadata();
    if (left_run) checker->expect_checkpoint_behind_data(*left_run);
    all_acked.insert(log.acked.begin(), log.acked.end());
  }
  std::printf("crash harness: %d kills, %d resumed runs, %zu distinct tiles acknowledged\n", kills,
              resumed_runs, all_acked.size());
  EXPECT_EQ(kills, kKills);
  EXPECT_GE(resumed_runs, kKills / 2);  // the plan line was printed by most earlier children
  EXPECT_GT(all_acked.size(), 100u);    // kills landed mid-stream, not only before the first commit

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
