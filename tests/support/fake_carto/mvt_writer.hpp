#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cartopull::fake {

// One point feature of a Mapbox Vector Tile layer, in tile coordinates (0..extent).
struct MvtPoint {
  std::uint64_t id = 0;  // also written as the "cartodb_id" attribute
  std::uint32_t x = 0;
  std::uint32_t y = 0;
};

// Encodes a minimal, valid MVT 2.1 protobuf: one layer of POINT features with a cartodb_id
// attribute, extent 4096. Pure and thread-safe.
std::string encode_mvt(const std::string& layer_name, const std::vector<MvtPoint>& points,
                       std::uint32_t extent = 4096);

}  // namespace cartopull::fake
