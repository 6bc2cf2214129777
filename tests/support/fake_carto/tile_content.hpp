#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartopull::fake {

// The tile formats a mapnik layer renders (carto-maps-api.md section 2.1, formats per renderer).
enum class TileFormat { png, png32, mvt, grid_json };

std::optional<TileFormat> parse_tile_format(std::string_view extension);  // "png", "grid.json", ...
std::string_view to_string(TileFormat format);
std::string_view content_type(TileFormat format);

// Everything a tile's bytes depend on. map_key is the config md5 (anonymous maps) or the template
// name (named maps); layer is the normalised layer filter ("mapnik", "0,1", ...); x is already wrapped.
struct TileSpec {
  std::string map_key;
  std::string layer = "mapnik";
  std::uint32_t z = 0;
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  TileFormat format = TileFormat::png;
  std::uint32_t scale = 1;        // 1 (256 px) or 2 (512 px)
  std::int64_t data_version = 0;  // from effective_version(): changes the bytes of touched tiles only
};

// About one tile in eight is blank; blank tiles of one format and scale are byte-identical and
// stay blank across data changes (so a client can deduplicate them).
bool tile_is_blank(const TileSpec& spec);

// The data version a tile shows given the map's cache-buster history (oldest first): each change
// touches about a third of the tiles, so an incremental refresh sees some tiles change, not all.
std::int64_t effective_version(const TileSpec& spec, const std::vector<std::int64_t>& cache_busters);

// The exact body served for a tile: PNG (indexed for png, RGBA for png32, 1-30 KB), MVT protobuf
// (empty string when blank: the server answers 204), or UTFGrid JSON. Pure; tests recompute bodies.
std::string render_tile(const TileSpec& spec);

// A static map image of the requested size (PNG) for a map key, view key and data version.
std::string render_static_png(std::string_view map_key, std::string_view view_key, std::uint32_t width,
                              std::uint32_t height, std::int64_t data_version);

// The same picture as a baseline JPEG at quality 85 (CARTO's jpg conversion).
std::string render_static_jpeg(std::string_view map_key, std::string_view view_key, std::uint32_t width,
                               std::uint32_t height, std::int64_t data_version);

// A 64-bit FNV-1a hash, the seed of every deterministic choice in the fake.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace cartopull::fake
