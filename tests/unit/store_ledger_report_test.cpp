#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/dead_letters.hpp"
#include "store/ledger_report.hpp"
#include "store/migrations.hpp"
#include "store/run_ledger.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;
const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

struct StoreLedgerReport : ::testing::Test {
  void SetUp() override {
    auto opened = Database::open(":memory:");
    ASSERT_TRUE(opened);
    db = std::make_unique<Database>(std::move(*opened));
    ASSERT_TRUE(migrate(*db));
    RunLedger ledger(*db);
    const auto a1 = ledger.begin_run("alpha", "schedule", kT0).value();
    ASSERT_TRUE(ledger.add_counts(a1, {10, 2, 1, 0, 4096}));
    ASSERT_TRUE(ledger.finish_run(a1, RunStatus::ok, kT0 + 1min));
    ledger.begin_run("alpha", "manual", kT0 + 1h).value();
    ASSERT_TRUE(ledger.mark_unfinished_interrupted());
    const auto b1 = ledger.begin_run("beta", "schedule", kT0 + 2h).value();
    ASSERT_TRUE(ledger.finish_run(b1, RunStatus::failed, kT0 + 3h, "dns_failed: g.maps.carto.com"));
    ASSERT_TRUE(DeadLetters(*db).add("beta", "tiles", "1/0/0", "timeout", 5, b1, kT0));
  }
  std::unique_ptr<Database> db;
};

TEST_F(StoreLedgerReport, runs_lists_newest_first_and_filters_by_job) {
  auto all = runs_report(*db, std::nullopt).value();
  ASSERT_EQ(all.rows.size(), 3u);
  EXPECT_EQ(all.rows[0][1], "beta");
  EXPECT_EQ(all.rows[0][3], "failed");
  EXPECT_EQ(all.rows[0][12], "dns_failed: g.maps.carto.com");
  auto alpha = runs_report(*db, std::string("alpha")).value();
  ASSERT_EQ(alpha.rows.size(), 2u);
  EXPECT_EQ(alpha.rows[0][3], "interrupted");
  EXPECT_EQ(alpha.rows[0][5], "-");  // never finished
  EXPECT_EQ(alpha.rows[1][6], "10");
  EXPECT_EQ(alpha.rows[1][10], "4096");
  EXPECT_EQ(runs_report(*db, std::nullopt, 1).value().rows.size(), 1u);
}

TEST_F(StoreLedgerReport, status_shows_last_run_resumable_and_dead_letters_per_job) {
  auto status = status_report(*db).value();
  ASSERT_EQ(status.rows.size(), 2u);
  EXPECT_EQ(status.rows[0], (std::vector<std::string>{"alpha", "2", "2", "interrupted",
                                                      "2026-11-25T01:00:00.000Z", "-", "2", "0"}));
  EXPECT_EQ(status.rows[1][3], "failed");
  EXPECT_EQ(status.rows[1][6], "-");
  EXPECT_EQ(status.rows[1][7], "1");
  auto summary = store_summary(*db).value();
  EXPECT_EQ(summary.rows[0],
            (std::vector<std::string>{"schema version", std::to_string(latest_schema_version())}));
  EXPECT_EQ(summary.rows.back(), (std::vector<std::string>{"dead letters", "1"}));
}

TEST_F(StoreLedgerReport, format_table_aligns_columns) {
  ReportTable t{{"A", "LONG"}, {{"xyz", "1"}, {"b", "22"}}};
  EXPECT_EQ(format_table(t), "A    LONG\nxyz  1\nb    22\n");
}

}  // namespace
}  // namespace cartopull::store
