// Writes a deterministic z0..MAX_ZOOM pyramid of distinct PNG tiles (2-20 KB each) as
// OUT_DIR/{z}/{x}/{y}.png: the source tiles of bench/peers.sh.
//   tile_pyramid_gen OUT_DIR [MAX_ZOOM=8]
// Prints the tile count and total bytes. Each tile is a 256x256 palette PNG whose first pixels are
// noise (incompressible, so the file size follows the noise length) seeded by z/x/y: every tile differs.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/fake_carto/png_encoder.hpp"

namespace {

constexpr std::size_t kMinBytes = 2 * 1024;
constexpr std::size_t kMaxBytes = 20 * 1024;
constexpr std::size_t kOverhead = 1300;  // signature, IHDR, PLTE, IEND, deflate of the zero rows

// splitmix64: a small deterministic generator, good enough for noise.
std::uint64_t next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string tile_png(std::uint32_t z, std::uint32_t x, std::uint32_t y) {
  std::uint64_t state = (std::uint64_t{z} << 58) ^ (std::uint64_t{x} << 29) ^ y;
  cartopull::fake::PngImage image;
  image.width = 256;
  image.height = 256;
  image.palette.resize(256);
  for (std::size_t i = 0; i < 256; ++i) {
    auto v = static_cast<std::uint8_t>(i);
    image.palette[i] = {v, static_cast<std::uint8_t>(255 - v), static_cast<std::uint8_t>(v ^ 0x5a)};
  }
  image.pixels.assign(256 * 256, 0);
  std::size_t target = kMinBytes + 256 + next(state) % (kMaxBytes - kMinBytes - 512);
  std::size_t noise = target - kOverhead;
  for (std::size_t i = 0; i < noise; ++i) image.pixels[i] = static_cast<std::uint8_t>(next(state));
  return cartopull::fake::encode_png(image, 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR [MAX_ZOOM=8]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const auto max_zoom = static_cast<std::uint32_t>(argc > 2 ? std::atoi(argv[2]) : 8);
  std::uint64_t count = 0, bytes = 0;
  std::size_t smallest = SIZE_MAX, largest = 0;
  for (std::uint32_t z = 0; z <= max_zoom; ++z) {
    const std::uint32_t n = 1u << z;
    for (std::uint32_t x = 0; x < n; ++x) {
      auto dir = out / std::to_string(z) / std::to_string(x);
      std::filesystem::create_directories(dir);
      for (std::uint32_t y = 0; y < n; ++y) {
        auto png = tile_png(z, x, y);
        std::ofstream(dir / (std::to_string(y) + ".png"), std::ios::binary).write(png.data(), png.size());
        ++count;
        bytes += png.size();
        smallest = std::min(smallest, png.size());
        largest = std::max(largest, png.size());
      }
    }
  }
  std::printf("%llu tiles, %llu bytes, %zu..%zu bytes each\n", static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(bytes), smallest, largest);
  if (smallest < kMinBytes || largest > kMaxBytes) {
    std::fprintf(stderr, "tile sizes left the 2-20 KB range\n");
    return 1;
  }
  return 0;
}
