#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/write_op.hpp"

namespace cartopull::store {

struct WriterOptions {
  std::string path;                       // the main database file
  OpenOptions open;                       // pragmas of the writer connection
  std::size_t queue_bytes = 64ULL << 20;  // bound of queued op payloads (StoreConfig::queue_bytes)
  std::size_t batch_ops = 512;            // ops per transaction at most
  std::chrono::milliseconds batch_interval{
      1000};  // a batch commits at the latest this long after its first op
};

// What one commit made durable (to the WAL: synchronous=NORMAL survives a process crash; the last
// commits may be lost on power failure). Every sequence in [first, last] not listed in `failed`
// is committed. A whole-batch failure (commit refused, disk full) lists every sequence.
struct CommitReport {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::vector<std::pair<std::uint64_t, Error>> failed;
  std::size_t queued_bytes = 0;  // after this batch: producers held back by `full` may retry
};
using CommitListener = std::function<void(const CommitReport&)>;

enum class Admission { accepted, full, closed };

// The single writer: one connection and one thread that apply queued ops in batches (data and
// checkpoints of a batch commit in the same transaction: a checkpoint never gets ahead of its
// data). Producers on any thread enqueue; nothing they call touches SQLite, so the network event
// loop never waits on disk. The queue is bounded in bytes:
//   - try_submit never blocks: it answers `full` and leaves the op with the caller (the event loop
//     keeps it and retries on its next CommitReport or after a short timer);
//   - submit blocks up to a timeout (other threads), then answers errc::store_busy.
// An op larger than the whole bound is admitted when the queue is empty, so it cannot starve.
// Submitting a TileWrite without a hash computes blob_hash on the caller's thread (~2 us/11 KB).
// Sequences are assigned at admission, increase by one per op, and are committed in order.
// The listener runs on the writer thread: keep it short (post to the event loop).
// Stop/destruction drains: queued ops are committed before the thread exits.
class Writer {
 public:
  // Opens the database, migrates it, marks runs left `running` by a crash as interrupted, then
  // starts the thread.
  static result<std::unique_ptr<Writer>> start(WriterOptions options, CommitListener listener = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  struct Submitted {
    Admission admission = Admission::closed;
    std::uint64_t seq = 0;  // valid when accepted
  };
  // Moves from `op` only when accepted.
  Submitted try_submit(WriteOp& op);
  result<std::uint64_t> submit(WriteOp op, std::chrono::milliseconds timeout);

  // Runs fn on the writer connection; the future is set after its batch commits (or fails), and
  // holds store_busy/cancelled when the op was not admitted within `timeout`. Blocking on the
  // future is for startup and other threads; the event loop uses a TaskWrite whose after_commit
  // hook posts back to it.
  template <class T>
  std::future<result<T>> call(std::function<result<T>(WriteContext&)> fn, std::chrono::milliseconds timeout);

  // Commits everything submitted before the call; fails with store_busy on timeout.
  result<void> flush(std::chrono::milliseconds timeout);
  // Drains and joins; later submissions answer `closed`. Idempotent.
  void stop();

  // Highest sequence whose batch has finished: committed, or reported failed to the listener.
  std::uint64_t committed_seq() const noexcept { return committed_.load(); }
  std::size_t queued_bytes() const;
  std::int64_t interrupted_at_startup() const noexcept { return interrupted_at_startup_; }

 private:
  struct Item {
    std::uint64_t seq;
    std::size_t bytes;
    WriteOp op;
  };
  Writer(WriterOptions options, CommitListener listener, Database db);
  void run();
  Submitted admit(WriteOp& op, std::unique_lock<std::mutex>& lock);

  WriterOptions options_;
  CommitListener listener_;
  Database db_;
  std::int64_t interrupted_at_startup_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable has_work_;
  std::condition_variable has_space_;
  std::condition_variable committed_cv_;
  std::deque<Item> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t flush_until_ = 0;
  bool stopping_ = false;
  std::atomic<std::uint64_t> committed_{0};
  std::thread thread_;
};

namespace detail {
// The promise behind Writer::call: settled once, and with an error if the op is dropped unrun.
template <class T>
struct CallState {
  std::promise<result<T>> promise;
  std::optional<result<T>> value;
  bool settled = false;
  void settle(result<T> r) {
    if (settled) return;
    settled = true;
    promise.set_value(std::move(r));
  }
  ~CallState() {
    if (!settled) promise.set_value(Error{errc::store_failed, "store write dropped before it ran"});
  }
};
}  // namespace detail

template <class T>
std::future<result<T>> Writer::call(std::function<result<T>(WriteContext&)> fn,
                                    std::chrono::milliseconds timeout) {
  auto state = std::make_shared<detail::CallState<T>>();
  auto future = state->promise.get_future();
  WriteOp op = TaskWrite{[state, fn = std::move(fn)](WriteContext& context) -> result<void> {
                           state->value = fn(context);
                           context.after_commit.push_back([state](const Error* error) {
                             if (error != nullptr) {
                               state->settle(*error);
                             } else {
                               state->settle(std::move(*state->value));
                             }
                           });
                           if (!*state->value) return state->value->error();
                           return {};
                         },
                         true};
  if (auto submitted = submit(std::move(op), timeout); !submitted) state->settle(submitted.error());
  return future;
}

}  // namespace cartopull::store
