#include <gtest/gtest.h>

#include <set>

#include "carto/tile.hpp"
#include "carto/tile_enumerator.hpp"

using namespace cartopull::carto;
using cartopull::config::BBox;

namespace {

std::vector<TileId> all(TileEnumerator e) {
  std::vector<TileId> out;
  while (auto t = e.next()) out.push_back(*t);
  return out;
}

}  // namespace

TEST(TileMath, points_to_tiles) {
  EXPECT_EQ(lon_to_x(-180, 0), 0u);
  EXPECT_EQ(lon_to_x(180, 3), 7u);  // the east edge clamps into the last column
  EXPECT_EQ(lon_to_x(0, 1), 1u);
  EXPECT_EQ(lat_to_y(0, 1), 1u);
  EXPECT_EQ(lat_to_y(89.9, 4), 0u);
  EXPECT_EQ(lat_to_y(-89.9, 4), 15u);
  // Paris at zoom 10 is tile 518/352 in the XYZ scheme.
  EXPECT_EQ(lon_to_x(2.3522, 10), 518u);
  EXPECT_EQ(lat_to_y(48.8566, 10), 352u);
}

TEST(TileMath, tms_row_flips_y) {
  EXPECT_EQ(tms_row({0, 0, 0}), 0u);
  EXPECT_EQ(tms_row({1, 0, 0}), 1u);
  EXPECT_EQ(tms_row({3, 2, 1}), 6u);
  EXPECT_EQ(tms_row({10, 518, 352}), 671u);
}

TEST(TileMath, bounds_round_trip_through_the_tile_centre) {
  for (TileId t : {TileId{0, 0, 0}, TileId{5, 17, 11}, TileId{12, 2047, 1361}}) {
    auto b = tile_bounds(t);
    EXPECT_LT(b.west, b.east);
    EXPECT_LT(b.south, b.north);
    EXPECT_EQ(lon_to_x((b.west + b.east) / 2, t.z), t.x);
    EXPECT_EQ(lat_to_y((b.south + b.north) / 2, t.z), t.y);
  }
  auto world = tile_bounds({0, 0, 0});
  EXPECT_NEAR(world.north, kMaxLatitude, 1e-9);
  EXPECT_DOUBLE_EQ(world.west, -180);
}

TEST(TileEnumerator, walks_the_world_zoom_by_zoom_row_by_row) {
  auto tiles = all(TileEnumerator(Coverage::world(), 0, 2));
  ASSERT_EQ(tiles.size(), 21u);
  EXPECT_EQ(tiles[0], (TileId{0, 0, 0}));
  EXPECT_EQ(tiles[1], (TileId{1, 0, 0}));
  EXPECT_EQ(tiles[2], (TileId{1, 1, 0}));
  EXPECT_EQ(tiles[3], (TileId{1, 0, 1}));
  EXPECT_EQ(tiles[20], (TileId{2, 3, 3}));
  EXPECT_TRUE(std::is_sorted(tiles.begin(), tiles.end(), [](const TileId& a, const TileId& b) {
    return std::tie(a.z, a.y, a.x) < std::tie(b.z, b.y, b.x);
  }));
  EXPECT_EQ(TileEnumerator(Coverage::world(), 0, 2).total(), 21u);
}

TEST(TileEnumerator, bbox_selects_exactly_the_intersecting_tiles) {
  // Around Paris: at zoom 10 the box spans columns 517..519 and rows 351..353.
  BBox paris{2.0, 48.6, 2.7, 49.1};
  auto tiles = all(TileEnumerator(Coverage::from_boxes({paris}), 10, 10));
  std::set<TileId> expected;
  for (std::uint32_t y = lat_to_y(paris.north, 10); y <= lat_to_y(paris.south, 10); ++y) {
    for (std::uint32_t x = lon_to_x(paris.west, 10); x <= lon_to_x(paris.east, 10); ++x)
      expected.insert({10, x, y});
  }
  EXPECT_EQ(std::set<TileId>(tiles.begin(), tiles.end()), expected);
  EXPECT_EQ(tiles.size(), expected.size());
}

TEST(TileEnumerator, overlapping_boxes_yield_each_tile_once) {
  auto cov = Coverage::from_boxes({BBox{-10, -10, 10, 10}, BBox{0, 0, 20, 20}});
  auto tiles = all(TileEnumerator(cov, 0, 6));
  std::set<TileId> unique(tiles.begin(), tiles.end());
  EXPECT_EQ(unique.size(), tiles.size());
  EXPECT_EQ(TileEnumerator(cov, 0, 6).total(), tiles.size());
  auto a = all(TileEnumerator(Coverage::from_boxes({BBox{-10, -10, 10, 10}}), 0, 6));
  auto b = all(TileEnumerator(Coverage::from_boxes({BBox{0, 0, 20, 20}}), 0, 6));
  std::set<TileId> both(a.begin(), a.end());
  both.insert(b.begin(), b.end());
  EXPECT_EQ(unique, both);
}

TEST(TileEnumerator, geojson_polygon_skips_tiles_in_its_notch) {
  // A U shape: two prongs joined at the bottom; the notch between them holds no tile at zoom 4.
  const char* u = R"({"type":"Feature","geometry":{"type":"Polygon","coordinates":[[
      [-90,-60],[90,-60],[90,60],[45,60],[45,-30],[-45,-30],[-45,60],[-90,60],[-90,-60]]]}})";
  auto cov = Coverage::from_geojson(u);
  ASSERT_TRUE(cov) << cov.error().message;
  auto tiles = all(TileEnumerator(*cov, 4, 4));
  std::set<TileId> set(tiles.begin(), tiles.end());
  EXPECT_TRUE(set.contains({4, lon_to_x(-60, 4), lat_to_y(30, 4)}));  // left prong
  EXPECT_TRUE(set.contains({4, lon_to_x(60, 4), lat_to_y(30, 4)}));   // right prong
  EXPECT_FALSE(set.contains({4, lon_to_x(0, 4), lat_to_y(30, 4)}));   // the notch
  EXPECT_TRUE(set.contains({4, lon_to_x(0, 4), lat_to_y(-45, 4)}));   // the base
  EXPECT_FALSE(set.contains({4, lon_to_x(150, 4), lat_to_y(0, 4)}));  // outside
  EXPECT_EQ(TileEnumerator(*cov, 4, 4).total(), tiles.size());
}

TEST(TileEnumerator, polygon_holes_are_excluded) {
  const char* holed = R"({"type":"Polygon","coordinates":[
      [[-90,-60],[90,-60],[90,60],[-90,60],[-90,-60]],
      [[-45,-30],[45,-30],[45,30],[-45,30],[-45,-30]]]})";
  auto cov = Coverage::from_geojson(holed);
  ASSERT_TRUE(cov);
  auto tiles = all(TileEnumerator(*cov, 5, 5));
  std::set<TileId> set(tiles.begin(), tiles.end());
  EXPECT_FALSE(set.contains({5, lon_to_x(0, 5), lat_to_y(0, 5)}));
  EXPECT_TRUE(set.contains({5, lon_to_x(-70, 5), lat_to_y(0, 5)}));
}

TEST(TileEnumerator, rejects_non_polygon_geojson) {
  EXPECT_FALSE(Coverage::from_geojson("not json"));
  auto line = Coverage::from_geojson(R"({"type":"LineString","coordinates":[[0,0],[1,1]]})");
  ASSERT_FALSE(line);
  EXPECT_NE(line.error().message.find("LineString"), std::string::npos);
  EXPECT_FALSE(Coverage::from_geojson(R"({"type":"Polygon","coordinates":[[[0,0],[1,1]]]})"));
}

TEST(TileEnumerator, pruned_tiles_lose_all_descendants) {
  TileEnumerator e(Coverage::world(), 0, 3);
  std::vector<TileId> seen;
  while (auto t = e.next()) {
    seen.push_back(*t);
    if (*t == TileId{1, 0, 0}) e.prune(*t);
  }
  // 1 + 4 + (16 - 4) + (64 - 16) tiles: the north-west quarter is gone below zoom 1.
  EXPECT_EQ(seen.size(), 1u + 4u + 12u + 48u);
  for (const auto& t : seen) {
    if (t.z >= 2) {
      EXPECT_FALSE(t.x < (1u << (t.z - 1)) && t.y < (1u << (t.z - 1))) << to_string(t);
    }
  }
}

TEST(TileEnumerator, counts_a_large_pyramid_without_listing_it) {
  // The world from zoom 0 to 10 holds (4^11 - 1) / 3 tiles; enumerating them agrees.
  TileEnumerator e(Coverage::world(), 0, 10);
  EXPECT_EQ(e.total(), 1398101u);
  std::uint64_t n = 0;
  while (e.next()) ++n;
  EXPECT_EQ(n, 1398101u);
}

TEST(TileEnumerator, empty_zoom_range_yields_nothing) {
  TileEnumerator e(Coverage::world(), 3, 2);
  EXPECT_FALSE(e.next());
  EXPECT_EQ(e.total(), 0u);
}
