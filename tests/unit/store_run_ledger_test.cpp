#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/run_ledger.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;

const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

struct StoreRunLedger : ::testing::Test {
  void SetUp() override {
    auto opened = Database::open(":memory:");
    ASSERT_TRUE(opened);
    db = std::make_unique<Database>(std::move(*opened));
    ASSERT_TRUE(migrate(*db));
    ledger = std::make_unique<RunLedger>(*db);
  }
  std::unique_ptr<Database> db;
  std::unique_ptr<RunLedger> ledger;
};

TEST_F(StoreRunLedger, run_records_trigger_counts_and_final_status) {
  auto run = ledger->begin_run("maps", "schedule", kT0);
  ASSERT_TRUE(run);
  ASSERT_TRUE(ledger->add_counts(*run, {3, 1, 2, 0, 3000}));
  ASSERT_TRUE(ledger->add_counts(*run, {1, 0, 0, 1, 500}));
  ASSERT_TRUE(ledger->finish_run(*run, RunStatus::partial, kT0 + 90s, "1 tile failed: timeout"));
  auto record = ledger->get_run(*run).value();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->job, "maps");
  EXPECT_EQ(record->trigger, "schedule");
  EXPECT_EQ(record->started_at, "2026-11-25T00:00:00.000Z");
  EXPECT_EQ(record->finished_at, "2026-11-25T00:01:30.000Z");
  EXPECT_EQ(record->status, RunStatus::partial);
  EXPECT_EQ(record->counts.fetched, 4);
  EXPECT_EQ(record->counts.unchanged, 1);
  EXPECT_EQ(record->counts.empty, 2);
  EXPECT_EQ(record->counts.failed, 1);
  EXPECT_EQ(record->counts.bytes, 3500);
  EXPECT_EQ(record->error_summary, "1 tile failed: timeout");
}

TEST_F(StoreRunLedger, status_strings_round_trip) {
  for (auto s : {RunStatus::running, RunStatus::ok, RunStatus::partial, RunStatus::failed,
                 RunStatus::cancelled, RunStatus::interrupted}) {
    EXPECT_EQ(parse_run_status(to_string(s)), s);
  }
  EXPECT_FALSE(parse_run_status("done"));
}

TEST_F(StoreRunLedger, unfinished_run_is_marked_interrupted_and_resumed_not_restarted) {
  auto run = ledger->begin_run("maps", "schedule", kT0).value();
  ASSERT_TRUE(ledger->save_progress(run, "tiles", std::string(R"({"next":120})"), 120, 400, kT0 + 1s));
  // Process dies here. At the next start:
  EXPECT_EQ(ledger->mark_unfinished_interrupted().value(), 1);
  EXPECT_EQ(ledger->get_run(run).value()->status, RunStatus::interrupted);
  EXPECT_EQ(ledger->find_resumable_run("maps").value(), run);
  EXPECT_FALSE(ledger->find_resumable_run("other").value());

  ASSERT_TRUE(ledger->resume_run(run));
  auto record = ledger->get_run(run).value();
  EXPECT_EQ(record->status, RunStatus::running);
  EXPECT_EQ(record->resumes, 1);
  auto progress = ledger->progress(run).value();
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].checkpoint, R"({"next":120})");
  EXPECT_EQ(progress[0].done, 120);
  EXPECT_EQ(progress[0].total, 400);
  // No longer resumable once running again; resuming twice is refused.
  EXPECT_FALSE(ledger->find_resumable_run("maps").value());
  EXPECT_FALSE(ledger->resume_run(run));
}

TEST_F(StoreRunLedger, only_the_newest_run_is_resumable) {
  auto first = ledger->begin_run("maps", "schedule", kT0).value();
  ASSERT_TRUE(ledger->mark_unfinished_interrupted());
  auto second = ledger->begin_run("maps", "manual", kT0 + 1h).value();
  ASSERT_TRUE(ledger->finish_run(second, RunStatus::ok, kT0 + 2h));
  EXPECT_NE(first, second);
  EXPECT_FALSE(ledger->find_resumable_run("maps").value());
}

TEST_F(StoreRunLedger, finished_runs_are_not_touched_at_startup) {
  auto run = ledger->begin_run("maps", "schedule", kT0).value();
  ASSERT_TRUE(ledger->finish_run(run, RunStatus::cancelled, kT0 + 1s));
  EXPECT_EQ(ledger->mark_unfinished_interrupted().value(), 0);
  EXPECT_EQ(ledger->get_run(run).value()->status, RunStatus::cancelled);
}

TEST_F(StoreRunLedger, finishing_an_unknown_run_is_an_error) {
  EXPECT_FALSE(ledger->finish_run(999, RunStatus::ok, kT0));
}

}  // namespace
}  // namespace cartopull::store
