#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"

namespace cartopull::carto {

// An inclusive run of tile columns [first, last] in one row.
struct Span {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

// The area a tile pyramid covers: a union of polygons (a bbox is a 4-corner polygon) in Web Mercator
// unit space (x, y in [0, 1], y down). Pure and immutable; row_spans() is the only query, so the
// enumerator never holds more than one row.
class Coverage {
 public:
  // The whole Web Mercator world.
  static Coverage world();
  // A union of WGS84 boxes; an empty list is the world.
  static Coverage from_boxes(const std::vector<config::BBox>& boxes);
  // GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection of those (holes by the even-odd rule).
  static result<Coverage> from_geojson(std::string_view text);

  // The merged, ascending column spans of row y at zoom z whose tiles intersect the coverage.
  void row_spans(std::uint32_t z, std::uint32_t y, std::vector<Span>& out) const;

  // The rows [first, last] at zoom z that may hold covered tiles; empty when first > last.
  Span rows(std::uint32_t z) const;

 private:
  struct Point {
    double x, y;
  };
  using Ring = std::vector<Point>;  // closed implicitly: the last point joins the first
  void add_ring(Ring ring);

  std::vector<std::vector<Ring>> polygons_;
  double min_y_ = 1, max_y_ = 0;
};

}  // namespace cartopull::carto
