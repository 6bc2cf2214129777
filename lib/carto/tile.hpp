#pragma once

#include <cstdint>
#include <string>

namespace cartopull::carto {

// One XYZ tile in the Web Mercator pyramid: x grows east, y grows south (the XYZ/"Google" scheme the
// Maps API uses). MBTiles stores the TMS row instead, see tms_row().
struct TileId {
  std::uint32_t z = 0;
  std::uint32_t x = 0;
  std::uint32_t y = 0;

  friend bool operator==(const TileId&, const TileId&) = default;
  friend auto operator<=>(const TileId&, const TileId&) = default;
};

inline constexpr std::uint32_t kMaxZoom = 30;
inline constexpr double kMaxLatitude = 85.0511287798066;  // Web Mercator's square world

// Tiles per side at zoom z: 2^z.
constexpr std::uint64_t tiles_per_side(std::uint32_t z) noexcept {
  return std::uint64_t{1} << z;
}

// The MBTiles (TMS) row of a tile: 2^z - 1 - y. The most common bug in peer tools is to forget it.
constexpr std::uint32_t tms_row(const TileId& t) noexcept {
  return static_cast<std::uint32_t>(tiles_per_side(t.z) - 1 - t.y);
}

// Column and row containing a WGS84 point at zoom z, clamped into [0, 2^z).
std::uint32_t lon_to_x(double lon, std::uint32_t z) noexcept;
std::uint32_t lat_to_y(double lat, std::uint32_t z) noexcept;

// The WGS84 bounds of a tile.
struct LonLatBounds {
  double west, south, east, north;
};
LonLatBounds tile_bounds(const TileId& t) noexcept;

// The parent one zoom up; the tile itself at z = 0.
constexpr TileId parent(const TileId& t) noexcept {
  return t.z == 0 ? t : TileId{t.z - 1, t.x / 2, t.y / 2};
}

// "z/x/y", for logs and keys.
std::string to_string(const TileId& t);

}  // namespace cartopull::carto
