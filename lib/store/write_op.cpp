#include "store/write_op.hpp"

namespace cartopull::store {
namespace {

constexpr std::size_t kOverhead = sizeof(WriteOp) + 64;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

std::size_t size_of(const std::optional<std::string>& s) {
  return s ? s->size() : 0;
}

}  // namespace

std::size_t op_bytes(const WriteOp& op) noexcept {
  return kOverhead +
         std::visit(
             Overloaded{
                 [](const TileWrite& w) {
                   return w.data.size() + size_of(w.freshness.etag) + size_of(w.freshness.last_modified) +
                          size_of(w.freshness.token);
                 },
                 [](const TileTouch& w) {
                   return size_of(w.freshness.etag) + size_of(w.freshness.last_modified) +
                          size_of(w.freshness.token);
                 },
                 [](const CheckpointWrite& w) { return w.resource.size() + size_of(w.checkpoint); },
                 [](const CountsWrite&) { return std::size_t{0}; },
                 [](const ResourceWrite& w) {
                   return w.json.size() + w.spec.job.size() + w.spec.resource.size();
                 },
                 [](const ImageWrite& w) { return w.data.size() + w.job.size() + w.resource.size(); },
                 [](const DeadLetterWrite& w) { return w.item.size() + w.reason.size() + w.job.size(); },
                 [](const TaskWrite&) { return std::size_t{0}; },
             },
             op);
}

result<void> apply(WriteContext& c, WriteOp& op) {
  return std::visit(Overloaded{
                        [&](TileWrite& w) -> result<void> {
                          auto r = c.tiles.put_tile(w);
                          if (!r) return r.error();
                          return {};
                        },
                        [&](TileTouch& w) -> result<void> {
                          auto r = c.tiles.touch_tile(w.tileset, w.key, w.freshness, w.run);
                          if (!r) return r.error();
                          return {};
                        },
                        [&](CheckpointWrite& w) {
                          return c.ledger.save_progress(w.run, w.resource, w.checkpoint, w.done, w.total,
                                                        w.at);
                        },
                        [&](CountsWrite& w) { return c.ledger.add_counts(w.run, w.delta); },
                        [&](ResourceWrite& w) -> result<void> {
                          auto r = c.resources.write(w.spec, w.run, w.fetched_at, w.json);
                          if (!r) return r.error();
                          return {};
                        },
                        [&](ImageWrite& w) -> result<void> {
                          auto r = c.images.put(w);
                          if (!r) return r.error();
                          return {};
                        },
                        [&](DeadLetterWrite& w) {
                          return c.dead.add(w.job, w.resource, w.item, w.reason, w.attempts, w.run, w.at);
                        },
                        [&](TaskWrite& w) { return w.fn(c); },
                    },
                    op);
}

}  // namespace cartopull::store
