#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cartopull::fake {

// Encodes an RGB image (3 bytes per pixel, row-major) as a baseline JFIF JPEG: YCbCr 4:4:4, the
// example Huffman tables of ITU-T T.81 Annex K, quantisation scaled to quality (1..100; CARTO
// converts static maps to jpg at 85, carto-maps-api.md section 2.1). Pure and thread-safe.
std::string encode_jpeg(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgb,
                        int quality = 85);

}  // namespace cartopull::fake
