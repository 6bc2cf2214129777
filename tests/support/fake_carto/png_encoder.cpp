#include "support/fake_carto/png_encoder.hpp"

#include <zlib.h>

#include <cassert>
#include <stdexcept>

namespace cartopull::fake {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

// Length, type, data, then the CRC over type + data (PNG spec section 5.3).
void put_chunk(std::string& out, const char (&type)[5], const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  put_u32(out, static_cast<std::uint32_t>(
                   crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

}  // namespace

std::string encode_png(const PngImage& image, int level) {
  const std::size_t bpp = image.kind == PngImage::Kind::indexed ? 1 : 4;
  const std::size_t row = image.width * bpp;
  assert(image.pixels.size() == row * image.height);

  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_u32(ihdr, image.width);
  put_u32(ihdr, image.height);
  ihdr.push_back(8);                                              // bit depth
  ihdr.push_back(image.kind == PngImage::Kind::indexed ? 3 : 6);  // colour type
  ihdr.append(3, '\0');                                           // deflate, adaptive, no interlace
  put_chunk(out, "IHDR", ihdr);

  if (image.kind == PngImage::Kind::indexed) {
    std::string plte;
    for (const auto& c : image.palette) plte.append(reinterpret_cast<const char*>(c.data()), 3);
    put_chunk(out, "PLTE", plte);
  }

  // Each scanline is prefixed with filter type 0 (None).
  std::string raw;
  raw.reserve((row + 1) * image.height);
  for (std::uint32_t y = 0; y < image.height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.pixels.data() + y * row), row);
  }
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  std::string idat(bound, '\0');
  if (compress2(reinterpret_cast<Bytef*>(idat.data()), &bound, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), level) != Z_OK) {
    throw std::runtime_error("zlib compress2 failed");  // only on out-of-memory: a bug for a test fake
  }
  idat.resize(bound);
  put_chunk(out, "IDAT", idat);
  put_chunk(out, "IEND", std::string());
  return out;
}

}  // namespace cartopull::fake
