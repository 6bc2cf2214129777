#include "carto/coverage.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <functional>
#include <numbers>

#include "carto/tile.hpp"

namespace cartopull::carto {
namespace {

double merc_x(double lon) {
  return (std::clamp(lon, -180.0, 180.0) + 180.0) / 360.0;
}

double merc_y(double lat) {
  double rad = std::clamp(lat, -kMaxLatitude, kMaxLatitude) * std::numbers::pi / 180.0;
  return (1.0 - std::log(std::tan(rad) + 1.0 / std::cos(rad)) / std::numbers::pi) / 2.0;
}

// Unit-space interval [a, b] -> the columns whose half-open cells [i/n, (i+1)/n) it touches.
Span to_columns(double a, double b, double n) {
  double last = std::floor(b * n);
  if (last == b * n && b > a) last -= 1;  // ending exactly on a cell edge does not enter that cell
  double first = std::floor(a * n);
  first = std::clamp(first, 0.0, n - 1);
  last = std::clamp(last, first, n - 1);
  return {static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(last)};
}

}  // namespace

Coverage Coverage::world() {
  return from_boxes({});
}

void Coverage::add_ring(Ring ring) {
  for (const auto& p : ring) {
    min_y_ = std::min(min_y_, p.y);
    max_y_ = std::max(max_y_, p.y);
  }
  polygons_.back().push_back(std::move(ring));
}

Coverage Coverage::from_boxes(const std::vector<config::BBox>& boxes) {
  Coverage c;
  std::vector<config::BBox> list = boxes;
  if (list.empty()) list.push_back(config::BBox{});
  for (const auto& b : list) {
    double w = merc_x(b.west), e = merc_x(b.east), n = merc_y(b.north), s = merc_y(b.south);
    c.polygons_.emplace_back();
    c.add_ring({{w, n}, {e, n}, {e, s}, {w, s}});
  }
  return c;
}

result<Coverage> Coverage::from_geojson(std::string_view text) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(text, ec);
  if (ec) return Error(errc::config_invalid, "coverage is not JSON: " + ec.message());
  Coverage c;
  std::string problem;
  auto ring_of = [&](const boost::json::value& v, Ring& ring) {
    if (!v.is_array() || v.as_array().size() < 3) return false;
    for (const auto& pos : v.as_array()) {
      if (!pos.is_array() || pos.as_array().size() < 2) return false;
      auto lon = pos.as_array()[0].to_number<double>(ec);
      auto lat = pos.as_array()[1].to_number<double>(ec);
      if (ec) return false;
      ring.push_back({merc_x(lon), merc_y(lat)});
    }
    return true;
  };
  auto polygon = [&](const boost::json::value& coords) {
    if (!coords.is_array() || coords.as_array().empty()) return false;
    c.polygons_.emplace_back();
    for (const auto& r : coords.as_array()) {
      Ring ring;
      if (!ring_of(r, ring)) return false;
      c.add_ring(std::move(ring));
    }
    return true;
  };
  // Walks Feature/FeatureCollection wrappers down to Polygon and MultiPolygon geometries.
  std::function<bool(const boost::json::value&)> geometry = [&](const boost::json::value& v) -> bool {
    if (!v.is_object()) return false;
    const auto& o = v.as_object();
    auto type = o.if_contains("type");
    if (type == nullptr || !type->is_string()) return false;
    std::string_view t = type->as_string();
    if (t == "FeatureCollection") {
      auto f = o.if_contains("features");
      if (f == nullptr || !f->is_array()) return false;
      for (const auto& feature : f->as_array()) {
        if (!geometry(feature)) return false;
      }
      return true;
    }
    if (t == "Feature") {
      auto g = o.if_contains("geometry");
      return g != nullptr && geometry(*g);
    }
    auto coords = o.if_contains("coordinates");
    if (coords == nullptr) return false;
    if (t == "Polygon") return polygon(*coords);
    if (t == "MultiPolygon" && coords->is_array()) {
      for (const auto& p : coords->as_array()) {
        if (!polygon(p)) return false;
      }
      return true;
    }
    problem = "geometry type '" + std::string(t) + "' is not a Polygon or MultiPolygon";
    return false;
  };
  if (!geometry(doc) || c.polygons_.empty()) {
    return Error(errc::config_invalid,
                 problem.empty()
                     ? "coverage is not a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection"
                     : problem);
  }
  return c;
}

Span Coverage::rows(std::uint32_t z) const {
  if (polygons_.empty() || min_y_ > max_y_) return {1, 0};
  return to_columns(min_y_, max_y_, static_cast<double>(tiles_per_side(z)));
}

void Coverage::row_spans(std::uint32_t z, std::uint32_t y, std::vector<Span>& out) const {
  out.clear();
  const double n = static_cast<double>(tiles_per_side(z));
  const double top = y / n, bottom = (y + 1) / n;
  // Intervals of x covered by polygon ∩ band. The projection of each connected piece is the union of
  // (a) the edges clipped to the band and (b) the inside runs along the band's top and bottom lines.
  std::vector<std::pair<double, double>> xs;
  std::vector<double> crossings;
  for (const auto& polygon : polygons_) {
    for (double line : {top, bottom}) {
      crossings.clear();
      for (const auto& ring : polygon) {
        for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
          const auto& a = ring[j];
          const auto& b = ring[i];
          if ((a.y > line) != (b.y > line))
            crossings.push_back(a.x + (line - a.y) * (b.x - a.x) / (b.y - a.y));
        }
      }
      std::sort(crossings.begin(), crossings.end());
      for (std::size_t k = 0; k + 1 < crossings.size(); k += 2)
        xs.emplace_back(crossings[k], crossings[k + 1]);
    }
    for (const auto& ring : polygon) {
      for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
        auto a = ring[j], b = ring[i];
        // Rows are half-open [top, bottom): an edge that only touches a boundary line does not enter.
        if (std::max(a.y, b.y) <= top || std::min(a.y, b.y) >= bottom) continue;
        auto x_at = [&](double line) { return a.x + (line - a.y) * (b.x - a.x) / (b.y - a.y); };
        double x0 = a.x, x1 = b.x;
        if (a.y != b.y) {
          double ya = std::clamp(a.y, top, bottom), yb = std::clamp(b.y, top, bottom);
          x0 = x_at(ya);
          x1 = x_at(yb);
        }
        xs.emplace_back(std::min(x0, x1), std::max(x0, x1));
      }
    }
  }
  if (xs.empty()) return;
  std::vector<Span> spans;
  spans.reserve(xs.size());
  for (auto [a, b] : xs) spans.push_back(to_columns(a, b, n));
  std::sort(spans.begin(), spans.end(), [](const Span& l, const Span& r) { return l.first < r.first; });
  for (const auto& s : spans) {
    if (!out.empty() && s.first <= out.back().last + 1) {
      out.back().last = std::max(out.back().last, s.last);
    } else {
      out.push_back(s);
    }
  }
}

}  // namespace cartopull::carto
