#include "store/writer.hpp"

#include "store/blob_hash.hpp"
#include "store/migrations.hpp"

namespace cartopull::store {

result<std::unique_ptr<Writer>> Writer::start(WriterOptions options, CommitListener listener) {
  auto db = Database::open(options.path, options.open);
  if (!db) return db.error();
  if (auto v = migrate(*db); !v) return v.error();
  RunLedger ledger(*db);
  auto interrupted = ledger.mark_unfinished_interrupted();
  if (!interrupted) return interrupted.error();
  std::unique_ptr<Writer> writer(new Writer(std::move(options), std::move(listener), std::move(*db)));
  writer->interrupted_at_startup_ = *interrupted;
  writer->thread_ = std::thread([w = writer.get()] { w->run(); });
  return writer;
}

Writer::Writer(WriterOptions options, CommitListener listener, Database db)
    : options_(std::move(options)), listener_(std::move(listener)), db_(std::move(db)) {}

Writer::~Writer() {
  stop();
}

std::size_t Writer::queued_bytes() const {
  std::lock_guard lock(mutex_);
  return queued_bytes_;
}

Writer::Submitted Writer::admit(WriteOp& op, std::unique_lock<std::mutex>&) {
  const auto bytes = op_bytes(op);
  if (stopping_) return {Admission::closed, 0};
  if (!queue_.empty() && queued_bytes_ + bytes > options_.queue_bytes) return {Admission::full, 0};
  const auto seq = next_seq_++;
  queued_bytes_ += bytes;
  queue_.push_back(Item{seq, bytes, std::move(op)});
  has_work_.notify_one();
  return {Admission::accepted, seq};
}

namespace {
// Hashing on the producer's thread (about 2 us per 11 KB tile) leaves the single writer thread
// with SQLite work only: measured by bench/store_tiles_bench.
void prepare(WriteOp& op) {
  if (auto* tile = std::get_if<TileWrite>(&op); tile != nullptr && !tile->hash)
    tile->hash = blob_hash(tile->data);
}
}  // namespace

Writer::Submitted Writer::try_submit(WriteOp& op) {
  prepare(op);
  std::unique_lock lock(mutex_);
  return admit(op, lock);
}

result<std::uint64_t> Writer::submit(WriteOp op, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  prepare(op);
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto submitted = admit(op, lock);
    if (submitted.admission == Admission::accepted) return submitted.seq;
    if (submitted.admission == Admission::closed) return Error{errc::cancelled, "store writer stopped"};
    if (has_space_.wait_until(lock, deadline) == std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      return Error{errc::store_busy, "store write queue full"};
    }
  }
}

result<void> Writer::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto target = next_seq_ - 1;
  if (committed_.load() >= target) return {};
  flush_until_ = std::max(flush_until_, target);
  has_work_.notify_one();
  if (!committed_cv_.wait_for(lock, timeout, [&] { return committed_.load() >= target; })) {
    return Error{errc::store_busy, "store flush timed out"};
  }
  return {};
}

void Writer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  has_work_.notify_all();
  has_space_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Writer::run() {
  WriteContext context(db_);
  // Sequences of the open batch only: an op's payload (a tile's bytes) is freed once applied, not held
  // until the commit (up to batch_ops payloads, ~6 MB of tiles, of peak RSS: docs/bench.md).
  std::vector<std::uint64_t> batch;
  batch.reserve(options_.batch_ops);
  CommitReport report;
  std::optional<Transaction> tx;
  std::chrono::steady_clock::time_point batch_deadline{};
  bool commit_now = false;

  auto finish_batch = [&](const Error* forced) {
    std::optional<Error> failure;
    if (forced != nullptr) failure = *forced;
    if (!failure && tx) {
      if (auto r = tx->commit(); !r) failure = r.error();
    }
    tx.reset();
    if (failure) {
      context.resources.forget_schema();  // columns added by the lost batch no longer exist
      report.failed.clear();
      for (const auto seq : batch) report.failed.emplace_back(seq, *failure);
    }
    for (auto& hook : context.after_commit) hook(failure ? &*failure : nullptr);
    context.after_commit.clear();
    if (!batch.empty()) {
      report.first = batch.front();
      report.last = batch.back();
      {
        std::lock_guard lock(mutex_);
        report.queued_bytes = queued_bytes_;
      }
      // Listener first: whoever flush() wakes may rely on the report having been delivered.
      if (listener_) listener_(report);
      {
        std::lock_guard lock(mutex_);
        committed_.store(report.last);
      }
      committed_cv_.notify_all();
    }
    batch.clear();
    report = CommitReport{};
    commit_now = false;
  };

  for (;;) {
    std::unique_lock lock(mutex_);
    // Wait for work, for the open batch's deadline, or for stop.
    while (queue_.empty() && !stopping_ &&
           !(tx && (std::chrono::steady_clock::now() >= batch_deadline ||
                    (flush_until_ != 0 && flush_until_ <= batch.back())))) {
      if (tx) {
        has_work_.wait_until(lock, batch_deadline);
      } else {
        has_work_.wait(lock);
      }
    }
    if (queue_.empty() && stopping_ && !tx) return;
    // Take what fits in this batch; the freed space is announced at once.
    std::vector<Item> taken;
    while (!queue_.empty() && batch.size() + taken.size() < options_.batch_ops) {
      queued_bytes_ -= queue_.front().bytes;
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
      if (std::holds_alternative<TaskWrite>(taken.back().op) &&
          std::get<TaskWrite>(taken.back().op).commit_now)
        break;
    }
    const bool drained = queue_.empty();
    const bool flush_wanted = flush_until_ != 0;
    // Read under the lock: stop() sets it from another thread (ThreadSanitizer found the bare read).
    const bool stopping = stopping_;
    lock.unlock();
    if (!taken.empty()) has_space_.notify_all();

    for (auto& item : taken) {
      if (!tx) {
        auto begun = Transaction::begin(db_);
        if (!begun) {
          batch.push_back(item.seq);
          const Error error = begun.error();
          finish_batch(&error);
          continue;
        }
        tx.emplace(std::move(*begun));
        batch_deadline = std::chrono::steady_clock::now() + options_.batch_interval;
      }
      if (auto r = apply(context, item.op); !r) {
        report.failed.emplace_back(item.seq, r.error());
      }
      if (std::holds_alternative<TaskWrite>(item.op) && std::get<TaskWrite>(item.op).commit_now)
        commit_now = true;
      batch.push_back(item.seq);
      item.op = WriteOp{};  // the payload is in SQLite's pages now
      // Errors such as SQLITE_FULL roll the whole transaction back: fail the batch as one.
      if (!db_.in_transaction()) {
        Error lost{errc::store_failed, "transaction rolled back: " +
                                           (report.failed.empty() ? std::string("unknown")
                                                                  : report.failed.back().second.message)};
        finish_batch(&lost);
      }
    }
    if (!tx) continue;
    bool flush_reached = false;
    if (flush_wanted) {
      std::lock_guard relock(mutex_);
      flush_reached = flush_until_ != 0 && !batch.empty() && batch.back() >= flush_until_;
      if (flush_reached) flush_until_ = 0;
    }
    if (commit_now || batch.size() >= options_.batch_ops ||
        std::chrono::steady_clock::now() >= batch_deadline || flush_reached || (drained && stopping)) {
      finish_batch(nullptr);
    }
  }
}

}  // namespace cartopull::store
