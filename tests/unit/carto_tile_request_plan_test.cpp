#include <gtest/gtest.h>

#include <vector>

#include "carto/request_spec.hpp"
#include "carto/tile_request_plan.hpp"

namespace cfg = cartopull::config;
using namespace cartopull::carto;

namespace {

cfg::SourceConfig source(cfg::ApiShape shape, std::string base) {
  cfg::SourceConfig s;
  s.name = "s";
  s.shape = shape;
  s.base_url = std::move(base);
  return s;
}

cfg::ResourceConfig tiles(cfg::ResourceKind kind = cfg::ResourceKind::tiles) {
  cfg::ResourceConfig r;
  r.name = "r";
  r.kind = kind;
  return r;
}

std::string full_url(const cfg::SourceConfig& s, const cfg::ResourceConfig& r, Placeholders values,
                     const TileId& t) {
  values["z"] = std::to_string(t.z);
  values["x"] = std::to_string(t.x);
  values["y"] = std::to_string(t.y);
  return plan_request(s, r, values).value().url;
}

const std::vector<TileId> kTiles = {
    {0, 0, 0}, {1, 1, 0}, {8, 255, 17}, {19, 524287, 300000}, {30, 0, 1u << 29}};

}  // namespace

TEST(TileRequestPlan, every_tile_url_equals_a_full_plan_request) {
  struct Case {
    const char* what;
    cfg::SourceConfig source;
    cfg::ResourceConfig resource;
    Placeholders values;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"seed shape", source(cfg::ApiShape::seed, "http://127.0.0.1:8080/"), tiles(), {{"format", "png"}}});
  {
    auto r = tiles();
    r.tiles.layer = "0,1";
    r.tiles.scale = 2;
    cases.push_back({"token, layer filter, retina",
                     source(cfg::ApiShape::v1, "https://alice.carto.com/api/v1/"),
                     r,
                     {{"layergroupid", "d41d8:1700000000000"}, {"format", "mvt"}}});
  }
  {
    auto r = tiles(cfg::ResourceKind::named_tiles);
    r.template_id = "tpl";
    r.auth_token = cfg::Secret("T0K");
    r.params = {{"zoom_echo", "{z}-{x}"}, {"b", "a b&c"}};
    cases.push_back({"named tiles, auth_token and params repeating slots",
                     source(cfg::ApiShape::v1, "https://alice.carto.com/api/v1/"),
                     r,
                     {{"format", "png"}}});
  }
  {
    auto r = tiles();
    r.path = "t/{y}/{x}/{z}/{y}.{format}";  // slots out of order and repeated
    cases.push_back({"custom path", source(cfg::ApiShape::seed, "https://h/"), r, {{"format", "grid.json"}}});
  }
  {
    auto r = tiles();
    r.path = "t/{z}/{x}/{y}.{format}?q=1";  // a query in the path, params after it
    r.params = {{"k", "v"}};
    cases.push_back({"query in the path", source(cfg::ApiShape::seed, "https://h/"), r, {{"format", "png"}}});
  }
  for (const auto& c : cases) {
    auto plan = TileRequestPlan::make(c.source, c.resource, c.values);
    ASSERT_TRUE(plan) << c.what << ": " << plan.error().message;
    for (const auto& t : kTiles) {
      EXPECT_EQ(plan->url(t), full_url(c.source, c.resource, c.values, t)) << c.what << " " << to_string(t);
    }
    auto one = plan_request(c.source, c.resource, [&] {
      auto v = c.values;
      v["z"] = v["x"] = v["y"] = "0";
      return v;
    }());
    EXPECT_EQ(plan->request().method, one->method) << c.what;
    EXPECT_EQ(plan->request().group, one->group) << c.what;
    EXPECT_EQ(plan->request().body, one->body) << c.what;
    EXPECT_EQ(plan->request().content_type, one->content_type) << c.what;
  }
}

TEST(TileRequestPlan, a_value_holding_the_slot_marker_still_gives_the_exact_url) {
  // The plan finds slots by a marker text; a value that happens to hold it must not move a tile's numbers.
  auto s = source(cfg::ApiShape::v1, "https://alice.carto.com/api/v1/");
  auto r = tiles();
  Placeholders values{{"layergroupid", "~cartopull.slot.x~"}, {"format", "png"}};
  auto plan = TileRequestPlan::make(s, r, values);
  ASSERT_TRUE(plan);
  for (const auto& t : kTiles) EXPECT_EQ(plan->url(t), full_url(s, r, values, t)) << to_string(t);
}

TEST(TileRequestPlan, fails_as_plan_request_does) {
  auto r = tiles();
  r.path = "t/{token}/{z}/{x}/{y}.png";
  auto plan = TileRequestPlan::make(source(cfg::ApiShape::seed, "https://h/"), r, {});
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("{token}"), std::string::npos);
}

TEST(TileRequestPlan, given_coordinates_are_replaced_by_the_tiles) {
  auto s = source(cfg::ApiShape::seed, "https://h/");
  auto plan = TileRequestPlan::make(s, tiles(), {{"z", "9"}, {"x", "9"}, {"y", "9"}, {"format", "png"}});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->url({2, 1, 3}), "https://h/tiles/2/1/3.png");
}
