#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <mutex>

#include "store/database.hpp"
#include "store/writer.hpp"

namespace cartopull::store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

// Collects CommitReports from the writer thread.
struct Reports {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<CommitReport> all;
  CommitListener listener() {
    return [this](const CommitReport& r) {
      std::lock_guard lock(mutex);
      all.push_back(r);
      cv.notify_all();
    };
  }
  bool wait_for_seq(std::uint64_t seq, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return !all.empty() && all.back().last >= seq; });
  }
};

struct StoreWriter : ::testing::Test {
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cartopull-store-writer-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    options.path = (dir / "main.db").string();
  }
  void TearDown() override { fs::remove_all(dir); }

  void start() {
    auto started = Writer::start(options, reports.listener());
    ASSERT_TRUE(started) << started.error().what();
    writer = std::move(*started);
  }
  TilesetId tileset(const std::string& key = "k") {
    auto id =
        writer
            ->call<TilesetId>([key](WriteContext& c) { return c.tiles.ensure_tileset(key, "png", kT0); }, 1s)
            .get();
    EXPECT_TRUE(id);
    return id ? *id : 0;
  }
  static WriteOp tile(TilesetId ts, std::uint32_t i, std::size_t size = 100) {
    TileWrite w;
    w.tileset = ts;
    w.key = {10, i % 1024, i / 1024};
    w.data.assign(size, static_cast<std::uint8_t>(i));
    w.data[0] = static_cast<std::uint8_t>(i >> 8);
    w.freshness.fetched_at = kT0;
    return w;
  }
  Database reader() {
    OpenOptions ro;
    ro.read_only = true;
    auto db = Database::open(options.path, ro);
    EXPECT_TRUE(db);
    return std::move(*db);
  }
  // Parks the writer thread inside a task until `release` is set.
  std::shared_ptr<std::promise<void>> park() {
    auto release = std::make_shared<std::promise<void>>();
    auto parked = std::make_shared<std::promise<void>>();
    auto gate = release->get_future().share();
    WriteOp op = TaskWrite{[gate, parked](WriteContext&) -> result<void> {
                             parked->set_value();
                             gate.wait();
                             return {};
                           },
                           true};
    auto entered = parked->get_future();
    EXPECT_TRUE(writer->submit(std::move(op), 1s));
    EXPECT_EQ(entered.wait_for(5s), std::future_status::ready);
    return release;
  }

  fs::path dir;
  WriterOptions options;
  Reports reports;
  std::unique_ptr<Writer> writer;
};

TEST_F(StoreWriter, batches_commit_data_and_checkpoints_together) {
  options.batch_ops = 200;
  start();
  const auto ts = tileset();
  const auto run =
      writer->call<RunId>([](WriteContext& c) { return c.ledger.begin_run("j", "manual", kT0); }, 1s).get();
  ASSERT_TRUE(run);
  std::uint64_t last = 0;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    last = writer->submit(tile(ts, i), 1s).value();
    if (i % 100 == 99) {
      last =
          writer->submit(CheckpointWrite{*run, "tiles", std::to_string(i + 1), i + 1, 1000, kT0}, 1s).value();
    }
  }
  ASSERT_TRUE(writer->flush(5s));
  EXPECT_GE(writer->committed_seq(), last);
  auto db = reader();
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM tiles").value(), 1000);
  EXPECT_EQ(
      db.query_text("SELECT checkpoint FROM run_progress WHERE run_id = " + std::to_string(*run)).value(),
      "1000");
  std::lock_guard lock(reports.mutex);
  std::size_t ops = 0;
  for (const auto& r : reports.all) {
    EXPECT_LE(r.last - r.first + 1, 200u);
    EXPECT_TRUE(r.failed.empty());
    ops += r.last - r.first + 1;
  }
  EXPECT_EQ(ops, last);  // every sequence reported exactly once, in order
  EXPECT_LE(reports.all.size(), 10u);
}

TEST_F(StoreWriter, an_applied_op_frees_its_payload_before_the_batch_commits) {
  // Peak RSS: a batch holds up to batch_ops ops; their payloads must not wait for the commit.
  options.batch_interval = 10s;  // only flush() commits this batch
  start();
  auto payload = std::make_shared<int>(7);
  std::weak_ptr<int> watch = payload;
  WriteOp first = TaskWrite{[payload](WriteContext&) -> result<void> { return {}; }, false};
  payload.reset();
  ASSERT_TRUE(writer->submit(std::move(first), 1s));
  auto seen_in_open_batch = std::make_shared<std::optional<bool>>();
  WriteOp second = TaskWrite{[watch, seen_in_open_batch](WriteContext& c) -> result<void> {
                               EXPECT_TRUE(c.db.in_transaction());
                               *seen_in_open_batch = watch.expired();
                               return {};
                             },
                             false};
  ASSERT_TRUE(writer->submit(std::move(second), 1s));
  ASSERT_TRUE(writer->flush(5s));
  ASSERT_TRUE(seen_in_open_batch->has_value());
  EXPECT_TRUE(**seen_in_open_batch);
  std::lock_guard lock(reports.mutex);
  ASSERT_EQ(reports.all.size(), 1u);  // both ops in one batch, both reported committed
  EXPECT_EQ(reports.all[0].last - reports.all[0].first, 1u);
  EXPECT_TRUE(reports.all[0].failed.empty());
}

TEST_F(StoreWriter, batch_commits_within_the_interval_without_flush) {
  options.batch_interval = 50ms;
  start();
  const auto ts = tileset();
  const auto seq = writer->submit(tile(ts, 1), 1s).value();
  ASSERT_TRUE(reports.wait_for_seq(seq, 5s));
  EXPECT_EQ(reader().query_int64("SELECT count(*) FROM tiles").value(), 1);
}

TEST_F(StoreWriter, full_queue_answers_backpressure_without_blocking) {
  options.queue_bytes = 64 * 1024;
  start();
  const auto ts = tileset();
  auto release = park();
  int accepted = 0;
  for (std::uint32_t i = 0;; ++i) {
    WriteOp op = tile(ts, i, 10000);
    const auto submitted = writer->try_submit(op);
    if (submitted.admission == Admission::full) {
      EXPECT_TRUE(std::holds_alternative<TileWrite>(op));
      EXPECT_EQ(std::get<TileWrite>(op).data.size(), 10000u);  // left with the caller
      break;
    }
    ASSERT_EQ(submitted.admission, Admission::accepted);
    ++accepted;
  }
  EXPECT_GE(accepted, 5);
  EXPECT_LE(writer->queued_bytes(), options.queue_bytes);
  auto blocked = writer->submit(tile(ts, 999, 10000), 20ms);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, make_error_code(errc::store_busy));
  release->set_value();
  ASSERT_TRUE(writer->flush(5s));
  EXPECT_EQ(reader().query_int64("SELECT count(*) FROM tiles").value(), accepted);
}

TEST_F(StoreWriter, blocked_submit_proceeds_when_space_frees) {
  options.queue_bytes = 32 * 1024;
  start();
  const auto ts = tileset();
  auto release = park();
  while (true) {
    WriteOp op = tile(ts, 5000 + static_cast<std::uint32_t>(writer->queued_bytes()), 10000);
    if (writer->try_submit(op).admission != Admission::accepted) break;
  }
  auto waiter = std::async(std::launch::async, [&] { return writer->submit(tile(ts, 1, 10000), 5s); });
  EXPECT_EQ(waiter.wait_for(20ms), std::future_status::timeout);
  release->set_value();
  EXPECT_TRUE(waiter.get());
}

TEST_F(StoreWriter, an_op_larger_than_the_bound_is_admitted_into_an_empty_queue) {
  options.queue_bytes = 1024;
  start();
  const auto ts = tileset();
  ASSERT_TRUE(writer->flush(1s));
  WriteOp big = tile(ts, 1, 4096);
  EXPECT_EQ(writer->try_submit(big).admission, Admission::accepted);
  ASSERT_TRUE(writer->flush(5s));
}

TEST_F(StoreWriter, a_failing_op_is_reported_alone_and_the_batch_commits) {
  start();
  const auto ts = tileset();
  const auto good1 = writer->submit(tile(ts, 1), 1s).value();
  const auto bad = writer->submit(tile(ts + 100, 2), 1s).value();  // no such tileset: FK violation
  const auto good2 = writer->submit(tile(ts, 3), 1s).value();
  ASSERT_TRUE(writer->flush(5s));
  EXPECT_EQ(reader().query_int64("SELECT count(*) FROM tiles").value(), 2);
  std::lock_guard lock(reports.mutex);
  std::vector<std::uint64_t> failed;
  for (const auto& r : reports.all) {
    for (const auto& [seq, error] : r.failed) {
      failed.push_back(seq);
      EXPECT_EQ(error.code, make_error_code(errc::store_failed));
    }
  }
  EXPECT_EQ(failed, std::vector<std::uint64_t>{bad});
  EXPECT_LT(good1, bad);
  EXPECT_GT(good2, bad);
}

TEST_F(StoreWriter, call_returns_its_value_after_commit_and_errors_as_values) {
  start();
  auto run =
      writer->call<RunId>([](WriteContext& c) { return c.ledger.begin_run("j", "manual", kT0); }, 1s).get();
  ASSERT_TRUE(run);
  EXPECT_EQ(reader().query_int64("SELECT count(*) FROM runs WHERE id = " + std::to_string(*run)).value(), 1);
  auto bad =
      writer->call<int>(
                [](WriteContext&) -> result<int> {
                  return Error{errc::store_failed, "nope"};
                },
                1s)
          .get();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "nope");
}

TEST_F(StoreWriter, readers_hold_snapshots_without_blocking_the_writer) {
  start();
  const auto ts = tileset();
  for (std::uint32_t i = 0; i < 100; ++i) ASSERT_TRUE(writer->submit(tile(ts, i), 1s));
  ASSERT_TRUE(writer->flush(5s));
  auto db = reader();
  ASSERT_TRUE(db.exec("BEGIN"));
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM tiles").value(), 100);  // snapshot taken here
  for (std::uint32_t i = 100; i < 3000; ++i) ASSERT_TRUE(writer->submit(tile(ts, i), 1s));
  ASSERT_TRUE(writer->flush(5s));  // commits while the read transaction is open
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM tiles").value(), 100);
  ASSERT_TRUE(db.exec("COMMIT"));
  EXPECT_EQ(db.query_int64("SELECT count(*) FROM tiles").value(), 3000);
}

TEST_F(StoreWriter, stop_drains_the_queue_and_then_refuses) {
  options.batch_interval = 10s;
  start();
  const auto ts = tileset();
  for (std::uint32_t i = 0; i < 50; ++i) ASSERT_TRUE(writer->submit(tile(ts, i), 1s));
  writer->stop();
  WriteOp late = tile(ts, 99);
  EXPECT_EQ(writer->try_submit(late).admission, Admission::closed);
  EXPECT_EQ(reader().query_int64("SELECT count(*) FROM tiles").value(), 50);
}

TEST_F(StoreWriter, startup_marks_runs_left_running_as_interrupted) {
  start();
  ASSERT_TRUE(
      writer->call<RunId>([](WriteContext& c) { return c.ledger.begin_run("j", "manual", kT0); }, 1s).get());
  writer.reset();  // as if killed: the run is still `running`
  start();
  EXPECT_EQ(writer->interrupted_at_startup(), 1);
  auto resumable =
      writer->call<std::optional<RunId>>([](WriteContext& c) { return c.ledger.find_resumable_run("j"); }, 1s)
          .get();
  ASSERT_TRUE(resumable);
  EXPECT_TRUE(resumable->has_value());
}

}  // namespace
}  // namespace cartopull::store
