#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/image_store.hpp"
#include "store/migrations.hpp"
#include "store/resource_store.hpp"
#include "store/retention.hpp"
#include "store/run_ledger.hpp"
#include "store/tile_store.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;
const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

struct StoreRetention : ::testing::Test {
  void SetUp() override {
    auto opened = Database::open(":memory:");
    ASSERT_TRUE(opened);
    db = std::make_unique<Database>(std::move(*opened));
    ASSERT_TRUE(migrate(*db));
  }
  // One finished run per day for `n` days, each appending a row and a new image version.
  std::vector<RunId> history(int n) {
    RunLedger ledger(*db);
    ResourceStore resources(*db);
    ImageStore images(*db);
    std::vector<RunId> runs;
    for (int day = 0; day < n; ++day) {
      const auto t = kT0 + std::chrono::days(day);
      const auto run = ledger.begin_run("maps", "schedule", t).value();
      EXPECT_TRUE(ledger.save_progress(run, "r", std::nullopt, 1, 1, t));
      EXPECT_TRUE(resources.write({"maps", "log", WriteDisposition::append, {}}, run, t,
                                  R"({"day":)" + std::to_string(day) + "}"));
      EXPECT_TRUE(resources.write({"maps", "current", WriteDisposition::replace, {}}, run, t, R"({"v":1})"));
      const std::string bytes = "image-" + std::to_string(day);
      EXPECT_TRUE(images.put({"maps", "preview", run, t, {bytes.begin(), bytes.end()}, 1, 1, "png"}));
      EXPECT_TRUE(ledger.finish_run(run, RunStatus::ok, t + 1min));
      runs.push_back(run);
    }
    return runs;
  }
  std::int64_t count(const std::string& sql) { return db->query_int64(sql).value(); }
  std::unique_ptr<Database> db;
};

TEST_F(StoreRetention, keeps_the_newest_runs_and_their_history) {
  history(5);
  auto stats = apply_retention(*db, {2, 0ms}, kT0 + std::chrono::days(10));
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->runs, 3);
  EXPECT_EQ(stats->resource_rows, 3);
  EXPECT_EQ(stats->images, 3);
  EXPECT_EQ(stats->blobs, 3);
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM run_progress"), 2);
  EXPECT_EQ(count("SELECT min(day) FROM res_maps__log"), 3);
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__current"), 1);  // current data stays
  EXPECT_EQ(count("SELECT count(*) FROM images"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM blobs"), 2);
}

TEST_F(StoreRetention, age_limit_removes_old_runs_but_never_the_newest_or_running) {
  auto runs = history(3);
  RunLedger ledger(*db);
  // A long-running run that started before the cut-off stays.
  const auto running = ledger.begin_run("slow", "schedule", kT0).value();
  auto stats = apply_retention(*db, {0, std::chrono::days(1)}, kT0 + std::chrono::days(30));
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->runs, 2);
  EXPECT_TRUE(ledger.get_run(runs.back()).value());  // the job's newest run, though old
  EXPECT_TRUE(ledger.get_run(running).value());
  EXPECT_EQ(count("SELECT count(*) FROM images"), 1);  // the latest version always stays
}

TEST_F(StoreRetention, blobs_still_referenced_by_tiles_stay) {
  history(3);
  TileStore tiles(*db);
  const auto ts = tiles.ensure_tileset("k", "png", kT0).value();
  const std::string bytes = "image-0";  // the same bytes as day 0's image
  ASSERT_TRUE(tiles.put_tile({ts, {0, 0, 0}, {bytes.begin(), bytes.end()}, {kT0, {}, {}, {}}, {}, {}}));
  auto stats = apply_retention(*db, {1, 0ms}, kT0);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->images, 2);
  EXPECT_EQ(stats->blobs, 1);  // image-1 went; image-0 is a tile now
  EXPECT_EQ(tiles.get_tile(ts, {0, 0, 0}).value(), (std::vector<std::uint8_t>{bytes.begin(), bytes.end()}));
}

TEST_F(StoreRetention, no_limits_keeps_everything) {
  history(3);
  EXPECT_EQ(apply_retention(*db, {0, 0ms}, kT0 + std::chrono::days(300)).value().runs, 0);
  EXPECT_EQ(count("SELECT count(*) FROM runs"), 3);
}

}  // namespace
}  // namespace cartopull::store
