#include "extract/writer_bridge.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

namespace cartopull::extract {

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<result<void>> WriterBridge::submit(store::WriteOp op) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  auto wait = 1ms;
  for (;;) {
    auto submitted = writer_.try_submit(op);
    if (submitted.admission == store::Admission::accepted) co_return result<void>{};
    if (submitted.admission == store::Admission::closed) {
      co_return Error(errc::store_failed, "the store writer is closed");
    }
    // Full: the writer is behind; wait for it to drain without blocking the loop.
    timer.expires_after(wait);
    co_await timer.async_wait(asio::use_awaitable);
    wait = std::min<std::chrono::milliseconds>(wait * 2, 20ms);
  }
}

namespace {

// Meets the writer's completion and the awaiting coroutine, whichever comes first. Touched only on
// the event loop: the writer thread posts the outcome there, so no handler crosses threads.
struct CallSlot {
  std::optional<result<void>> outcome;
  std::function<void(result<void>)> waiting;
};

}  // namespace

asio::awaitable<result<void>> WriterBridge::call(std::function<result<void>(store::WriteContext&)> fn) {
  auto loop = co_await asio::this_coro::executor;
  auto slot = std::make_shared<CallSlot>();
  store::WriteOp op =
      store::TaskWrite{[fn = std::move(fn), slot, loop](store::WriteContext& context) -> result<void> {
                         auto value = fn(context);
                         context.after_commit.push_back([slot, loop, value](const Error* error) {
                           result<void> outcome = error != nullptr ? result<void>(*error) : value;
                           asio::post(loop, [slot, outcome] {
                             if (slot->waiting) {
                               auto waiting = std::move(slot->waiting);
                               slot->waiting = nullptr;
                               waiting(outcome);
                             } else {
                               slot->outcome = outcome;
                             }
                           });
                         });
                         return value;
                       },
                       true};
  if (auto submitted = co_await submit(std::move(op)); !submitted) co_return submitted.error();
  // A named initiation: g++ 12 mishandles closures created inside a co_await operand.
  auto initiation = [slot, loop](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    if (slot->outcome) {
      asio::post(loop, [shared, outcome = *slot->outcome]() mutable { (*shared)(std::move(outcome)); });
    } else {
      // Tracked work keeps the event loop running while only the writer thread has something to do.
      auto work = asio::prefer(loop, asio::execution::outstanding_work.tracked);
      slot->waiting = [shared, work](result<void> outcome) { (*shared)(std::move(outcome)); };
    }
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(result<void>)>(
      std::move(initiation), asio::use_awaitable);
}

}  // namespace cartopull::extract
