#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/result.hpp"
#include "store/database.hpp"

namespace cartopull::store {

struct BlobRef {
  std::int64_t id = 0;
  bool inserted = false;  // false: the same bytes were already stored
};

// Content-addressed blobs shared by tiles and images: identical bytes are stored once. Lookup is
// by blob_hash (64-bit, indexed) and then by comparing the bytes, so a hash collision can never
// make two different tiles share a blob. Threading: the thread owning `db`; statements are
// prepared once and reused.
class BlobStore {
 public:
  explicit BlobStore(Database& db) : db_(db) {}
  // `data` must stay alive until the call returns (bound without copying). `hash` is
  // blob_hash(data), computed when absent.
  result<BlobRef> put(std::span<const std::uint8_t> data, std::optional<std::int64_t> hash = {});

 private:
  Database& db_;
  Statement insert_;
  Statement select_;
};

}  // namespace cartopull::store
