#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cartopull::fake {

// A rectangle of one feature inside a UTFGrid, in grid cells.
struct UtfGridFeature {
  std::uint64_t id = 0;                          // the cartodb_id shown in "data"
  std::uint32_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // half-open cell ranges
};

// Encodes UTFGrid 1.2 JSON ({"grid":[...],"keys":[...],"data":{...}}) of size x size cells
// (Windshaft uses resolution 4: 64 cells for a 256 px tile). Later features paint over earlier.
std::string encode_utf_grid(std::uint32_t size, const std::vector<UtfGridFeature>& features);

}  // namespace cartopull::fake
