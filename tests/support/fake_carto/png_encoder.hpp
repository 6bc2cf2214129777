#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cartopull::fake {

// A raster ready for PNG encoding: either palette-indexed (one byte per pixel, as Mapnik's png8
// output that CARTO serves for .png) or RGBA (four bytes per pixel, as .png32).
struct PngImage {
  enum class Kind { indexed, rgba };
  Kind kind = Kind::indexed;
  std::uint32_t width = 0;                           // pixels
  std::uint32_t height = 0;                          // pixels
  std::vector<std::array<std::uint8_t, 3>> palette;  // indexed only, at most 256 entries
  std::vector<std::uint8_t> pixels;                  // row-major, width * height * bytes-per-pixel
};

// Encodes a complete PNG (signature, IHDR, [PLTE], IDAT, IEND; CRCs from zlib's crc32).
// level is zlib's compression level 0..9. Pure and thread-safe.
std::string encode_png(const PngImage& image, int level = 6);

}  // namespace cartopull::fake
