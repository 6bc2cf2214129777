#include "store/blob_store.hpp"

namespace cartopull::store {

result<BlobRef> BlobStore::put(std::span<const std::uint8_t> data, const ContentHash& hash) {
  const std::span<const std::uint8_t> key(hash.data(), hash.size());
  // Insert first: most tiles are new; a duplicate costs one unique-index probe and a lookup.
  if (!insert_) {
    auto prepared =
        db_.prepare("INSERT INTO blobs(hash, size, data) VALUES(?1, ?2, ?3) ON CONFLICT(hash) DO NOTHING");
    if (!prepared) return prepared.error();
    insert_ = std::move(*prepared);
  }
  insert_.bind_blob(1, key).bind(2, static_cast<std::int64_t>(data.size())).bind_blob(3, data);
  if (auto r = insert_.run(); !r) return r.error();
  if (db_.changes() == 1) return BlobRef{db_.last_insert_rowid(), true};
  if (!select_) {
    auto prepared = db_.prepare("SELECT id FROM blobs WHERE hash = ?1");
    if (!prepared) return prepared.error();
    select_ = std::move(*prepared);
  }
  select_.bind_blob(1, key);
  auto row = select_.step();
  if (!row) return row.error();
  if (!*row) return Error{errc::store_failed, "blob vanished after conflict"};
  const auto id = select_.column_int64(0);
  select_.reset();
  return BlobRef{id, false};
}

}  // namespace cartopull::store
