#pragma once

#include <cstdint>
#include <vector>

#include "store/tile_store.hpp"

// Shared by store-crash-writer and its test: the deterministic tile set the child writes, so the
// test can check acknowledged tiles byte for byte without talking to the child.
namespace cartopull::store::crash {

inline constexpr std::uint32_t kZoom = 8;

inline TileKey tile_key(std::uint32_t index) {
  return {kZoom, index % 256, index / 256};
}

// Every tenth tile is the same "blank" bytes, to exercise deduplication under kills.
inline std::vector<std::uint8_t> tile_bytes(std::uint32_t index) {
  if (index % 10 == 0) return std::vector<std::uint8_t>(100, 0xbb);
  const std::size_t size = 64 + (index * 37u) % 256u;
  std::vector<std::uint8_t> bytes(size);
  std::uint64_t state = 0x9e3779b97f4a7c15ULL * (index + 1);
  for (auto& byte : bytes) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    byte = static_cast<std::uint8_t>(state);
  }
  return bytes;
}

inline constexpr const char* kJob = "crash";
inline constexpr const char* kTileset = "crash|tiles|png|1";
inline constexpr std::size_t kMetadataRows = 8;

}  // namespace cartopull::store::crash
