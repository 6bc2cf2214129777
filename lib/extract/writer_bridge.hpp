#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>

#include "core/result.hpp"
#include "store/write_op.hpp"
#include "store/writer.hpp"

namespace cartopull::extract {

// The event loop's side of the store's writer thread: submissions that wait (on a timer, never
// blocking the loop) while the byte-bounded queue is full, and calls whose result comes back as
// a coroutine resumption on the loop.
class WriterBridge {
 public:
  explicit WriterBridge(store::Writer& writer) : writer_(writer) {}

  // Queues `op`; while the queue is full, retries every few milliseconds. Fails when the writer is
  // closed.
  boost::asio::awaitable<result<void>> submit(store::WriteOp op);

  // Runs `fn` on the writer connection and resumes the caller after its batch committed.
  boost::asio::awaitable<result<void>> call(std::function<result<void>(store::WriteContext&)> fn);

  store::Writer& writer() { return writer_; }

 private:
  store::Writer& writer_;
};

}  // namespace cartopull::extract
