#pragma once

#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "store/content_hash.hpp"
#include "store/database.hpp"

namespace cartopull::store {

struct BlobRef {
  std::int64_t id = 0;
  bool inserted = false;  // false: the same bytes were already stored
};

// Content-addressed blobs shared by tiles and images: one row per distinct SHA-256.
// Threading: the thread owning `db`; statements are prepared once and reused.
class BlobStore {
 public:
  explicit BlobStore(Database& db) : db_(db) {}
  // `data` must stay alive until the call returns (bound without copying).
  result<BlobRef> put(std::span<const std::uint8_t> data, const ContentHash& hash);

 private:
  Database& db_;
  Statement insert_;
  Statement select_;
};

}  // namespace cartopull::store
