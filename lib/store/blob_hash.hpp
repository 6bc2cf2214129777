#pragma once

#include <cstdint>
#include <span>

namespace cartopull::store {

// A fast 64-bit hash of a blob (several GB/s, no allocation), used only to find candidate
// duplicates: BlobStore compares the bytes before sharing a blob, so a collision costs a second
// blob, never a wrong tile. SHA-256 (content_hash.hpp) was measured at about the cost of the whole
// SQLite insert of a 11 KB tile, which is why the write path does not use it.
std::int64_t blob_hash(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace cartopull::store
