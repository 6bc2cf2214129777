#include "support/fake_carto/tile_content.hpp"

#include <algorithm>

#include "support/fake_carto/jpeg_encoder.hpp"
#include "support/fake_carto/mvt_writer.hpp"
#include "support/fake_carto/png_encoder.hpp"
#include "support/fake_carto/utf_grid.hpp"

namespace cartopull::fake {
namespace {

std::uint64_t mix(std::uint64_t v) {  // splitmix64 finaliser
  v += 0x9e3779b97f4a7c15ULL;
  v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
  v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
  return v ^ (v >> 31);
}

struct Rng {
  std::uint64_t state;
  std::uint64_t next() { return state = mix(state); }
  std::uint32_t below(std::uint32_t n) { return n == 0 ? 0 : static_cast<std::uint32_t>(next() % n); }
};

std::uint64_t place_hash(const TileSpec& s) {
  std::string key = s.map_key + "|" + s.layer + "|" + std::to_string(s.z) + "/" + std::to_string(s.x) + "/" +
                    std::to_string(s.y);
  return fnv1a(key);
}

std::uint64_t content_seed(const TileSpec& s) {
  return mix(place_hash(s) ^ mix(static_cast<std::uint64_t>(s.data_version)) ^ (s.scale * 0x1234567ULL));
}

// An indexed image: a tinted background, a few filled rectangles (the "features") and a scatter of
// noisy pixels whose density sets the compressed size (about 1 to 30 KB for 256 px).
PngImage paint(std::uint64_t seed, std::uint32_t width, std::uint32_t height, bool rgba) {
  Rng rng{seed};
  PngImage img;
  img.width = width;
  img.height = height;
  std::vector<std::array<std::uint8_t, 3>> palette(32);
  for (auto& c : palette)
    c = {static_cast<std::uint8_t>(rng.next()), static_cast<std::uint8_t>(rng.next()),
         static_cast<std::uint8_t>(rng.next())};
  std::vector<std::uint8_t> idx(static_cast<std::size_t>(width) * height, 0);
  const std::uint32_t rects = 3 + rng.below(8);
  for (std::uint32_t r = 0; r < rects; ++r) {
    std::uint32_t x0 = rng.below(width), y0 = rng.below(height);
    std::uint32_t x1 = std::min(width, x0 + 8 + rng.below(width / 2)),
                  y1 = std::min(height, y0 + 8 + rng.below(height / 2));
    auto colour = static_cast<std::uint8_t>(1 + rng.below(7));
    for (std::uint32_t y = y0; y < y1; ++y)
      std::fill(idx.begin() + y * width + x0, idx.begin() + y * width + x1, colour);
  }
  // Density in 1/1024 units: 8..200, i.e. 0.8 %..20 % of the pixels.
  const std::uint32_t density = 8 + rng.below(192);
  for (auto& p : idx) {
    std::uint64_t v = rng.next();
    if ((v & 1023) < density) p = static_cast<std::uint8_t>(8 + ((v >> 10) % 24));
  }
  if (!rgba) {
    img.kind = PngImage::Kind::indexed;
    img.palette = std::move(palette);
    img.pixels = std::move(idx);
    return img;
  }
  img.kind = PngImage::Kind::rgba;
  img.pixels.resize(idx.size() * 4);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    const auto& c = palette[idx[i]];
    img.pixels[i * 4] = c[0];
    img.pixels[i * 4 + 1] = c[1];
    img.pixels[i * 4 + 2] = c[2];
    img.pixels[i * 4 + 3] = 255;
  }
  return img;
}

PngImage blank(std::uint32_t size, bool rgba) {
  PngImage img;
  img.width = img.height = size;
  if (rgba) {
    img.kind = PngImage::Kind::rgba;
    img.pixels.assign(static_cast<std::size_t>(size) * size * 4, 0);  // transparent
  } else {
    img.kind = PngImage::Kind::indexed;
    img.palette = {{0xf2, 0xef, 0xe9}};  // a land colour
    img.pixels.assign(static_cast<std::size_t>(size) * size, 0);
  }
  return img;
}

}  // namespace

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<TileFormat> parse_tile_format(std::string_view e) {
  if (e == "png") return TileFormat::png;
  if (e == "png32") return TileFormat::png32;
  if (e == "mvt") return TileFormat::mvt;
  if (e == "grid.json") return TileFormat::grid_json;
  return std::nullopt;
}

std::string_view to_string(TileFormat f) {
  switch (f) {
    case TileFormat::png: return "png";
    case TileFormat::png32: return "png32";
    case TileFormat::mvt: return "mvt";
    case TileFormat::grid_json: return "grid.json";
  }
  return "png";
}

std::string_view content_type(TileFormat f) {
  switch (f) {
    case TileFormat::png:
    case TileFormat::png32: return "image/png";
    case TileFormat::mvt: return "application/x-protobuf";
    case TileFormat::grid_json: return "application/json; charset=utf-8";
  }
  return "application/octet-stream";
}

bool tile_is_blank(const TileSpec& spec) {
  return mix(place_hash(spec)) % 8 == 0;
}

std::int64_t effective_version(const TileSpec& spec, const std::vector<std::int64_t>& cache_busters) {
  const std::uint64_t place = place_hash(spec);
  for (auto it = cache_busters.rbegin(); it != cache_busters.rend(); ++it) {
    if (std::next(it) == cache_busters.rend()) return *it;  // the first version covers every tile
    if (mix(place ^ static_cast<std::uint64_t>(*it)) % 3 == 0) return *it;
  }
  return 0;
}

std::string render_tile(const TileSpec& spec) {
  const std::uint32_t size = 256 * spec.scale;
  const bool is_blank = tile_is_blank(spec);
  switch (spec.format) {
    case TileFormat::png:
    case TileFormat::png32: {
      const bool rgba = spec.format == TileFormat::png32;
      return encode_png(is_blank ? blank(size, rgba) : paint(content_seed(spec), size, size, rgba));
    }
    case TileFormat::mvt: {
      if (is_blank) return {};
      Rng rng{content_seed(spec)};
      std::vector<MvtPoint> points(1 + rng.below(64));
      for (std::size_t i = 0; i < points.size(); ++i)
        points[i] = {i + 1 + rng.below(100000), rng.below(4096), rng.below(4096)};
      return encode_mvt("layer0", points);
    }
    case TileFormat::grid_json: {
      const std::uint32_t cells = size / 4;  // resolution 4
      std::vector<UtfGridFeature> features;
      if (!is_blank) {
        Rng rng{content_seed(spec)};
        features.resize(1 + rng.below(6));
        for (auto& f : features) {
          f.id = 1 + rng.below(100000);
          f.x0 = rng.below(cells);
          f.y0 = rng.below(cells);
          f.x1 = f.x0 + 1 + rng.below(cells / 2);
          f.y1 = f.y0 + 1 + rng.below(cells / 2);
        }
      }
      return encode_utf_grid(cells, features);
    }
  }
  return {};
}

std::string render_static_png(std::string_view map_key, std::string_view view_key, std::uint32_t width,
                              std::uint32_t height, std::int64_t data_version) {
  std::uint64_t seed = mix(fnv1a(view_key, fnv1a(map_key)) ^ static_cast<std::uint64_t>(data_version));
  // Large images get a faster zlib level so a 4000x4000 request stays well under a second.
  const int level = static_cast<std::uint64_t>(width) * height > 1'000'000 ? 1 : 6;
  return encode_png(paint(seed, width, height, false), level);
}

std::string render_static_jpeg(std::string_view map_key, std::string_view view_key, std::uint32_t width,
                               std::uint32_t height, std::int64_t data_version) {
  std::uint64_t seed = mix(fnv1a(view_key, fnv1a(map_key)) ^ static_cast<std::uint64_t>(data_version));
  auto img = paint(seed, width, height, false);
  std::vector<std::uint8_t> rgb(img.pixels.size() * 3);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) {
    const auto& c = img.palette[img.pixels[i]];
    std::copy(c.begin(), c.end(), rgb.begin() + static_cast<std::ptrdiff_t>(i * 3));
  }
  return encode_jpeg(width, height, rgb, 85);
}

}  // namespace cartopull::fake
