#include "carto/tile.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cartopull::carto {
namespace {

std::uint32_t clamp_index(double v, std::uint32_t z) noexcept {
  double n = static_cast<double>(tiles_per_side(z));
  double f = std::floor(v * n);
  return static_cast<std::uint32_t>(std::clamp(f, 0.0, n - 1));
}

}  // namespace

std::uint32_t lon_to_x(double lon, std::uint32_t z) noexcept {
  return clamp_index((lon + 180.0) / 360.0, z);
}

std::uint32_t lat_to_y(double lat, std::uint32_t z) noexcept {
  double clamped = std::clamp(lat, -kMaxLatitude, kMaxLatitude);
  double rad = clamped * std::numbers::pi / 180.0;
  double merc = std::log(std::tan(rad) + 1.0 / std::cos(rad));
  return clamp_index((1.0 - merc / std::numbers::pi) / 2.0, z);
}

LonLatBounds tile_bounds(const TileId& t) noexcept {
  double n = static_cast<double>(tiles_per_side(t.z));
  auto lon = [&](double x) { return x / n * 360.0 - 180.0; };
  auto lat = [&](double y) {
    return std::atan(std::sinh(std::numbers::pi * (1.0 - 2.0 * y / n))) * 180.0 / std::numbers::pi;
  };
  return {lon(t.x), lat(t.y + 1.0), lon(t.x + 1.0), lat(t.y)};
}

std::string to_string(const TileId& t) {
  return std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
}

}  // namespace cartopull::carto
