#include "store/blob_store.hpp"

#include <cstring>

#include "store/blob_hash.hpp"

namespace cartopull::store {

result<BlobRef> BlobStore::put(std::span<const std::uint8_t> data, std::optional<std::int64_t> hash) {
  const std::int64_t key = hash ? *hash : blob_hash(data);
  if (!select_) {
    auto prepared = db_.prepare("SELECT id, data FROM blobs WHERE hash = ?1 AND size = ?2");
    if (!prepared) return prepared.error();
    select_ = std::move(*prepared);
  }
  select_.bind(1, key).bind(2, static_cast<std::int64_t>(data.size()));
  for (;;) {
    auto row = select_.step();
    if (!row) return row.error();
    if (!*row) break;
    const auto stored = select_.column_blob_view(1);
    if (stored.size() == data.size() &&
        (data.empty() || std::memcmp(stored.data(), data.data(), data.size()) == 0)) {
      const auto id = select_.column_int64(0);
      select_.reset();
      return BlobRef{id, false};
    }
  }
  select_.reset();
  if (!insert_) {
    auto prepared = db_.prepare("INSERT INTO blobs(hash, size, data) VALUES(?1, ?2, ?3)");
    if (!prepared) return prepared.error();
    insert_ = std::move(*prepared);
  }
  insert_.bind(1, key).bind(2, static_cast<std::int64_t>(data.size())).bind_blob(3, data);
  if (auto r = insert_.run(); !r) return r.error();
  return BlobRef{db_.last_insert_rowid(), true};
}

}  // namespace cartopull::store
