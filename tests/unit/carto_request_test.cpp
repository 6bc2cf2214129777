#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "carto/layergroup.hpp"
#include "carto/request_spec.hpp"

namespace cfg = cartopull::config;
using namespace cartopull::carto;

namespace {

cfg::SourceConfig source(cfg::ApiShape shape, std::string base, cfg::AuthMode auth = cfg::AuthMode::query) {
  cfg::SourceConfig s;
  s.name = "s";
  s.shape = shape;
  s.base_url = std::move(base);
  s.user = "alice";
  s.api_key = cfg::Secret("K3Y");
  s.auth = auth;
  return s;
}

cfg::ResourceConfig resource(cfg::ResourceKind kind) {
  cfg::ResourceConfig r;
  r.name = "r";
  r.kind = kind;
  return r;
}

}  // namespace

TEST(ExpandPath, substitutes_and_encodes_placeholders) {
  EXPECT_EQ(
      *expand_path("tiles/{z}/{x}/{y}.{format}", {{"z", "3"}, {"x", "1"}, {"y", "2"}, {"format", "png"}}),
      "tiles/3/1/2.png");
  EXPECT_EQ(*expand_path("map/{layergroupid}/0/0/0.png", {{"layergroupid", "abc:123"}}),
            "map/abc:123/0/0/0.png");
  EXPECT_EQ(*expand_path("n/{t}", {{"t", "a b/c"}}), "n/a%20b%2Fc");
  auto missing = expand_path("map/{token}", {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("{token}"), std::string::npos);
  EXPECT_FALSE(expand_path("map/{oops", {}));
}

TEST(PlanRequest, seed_shape_uses_dlt_paths_and_api_key_query) {
  auto src = source(cfg::ApiShape::seed, "https://g.maps.carto.com/v1/");
  auto tiles = resource(cfg::ResourceKind::tiles);
  auto spec = plan_request(src, tiles, {{"z", "2"}, {"x", "1"}, {"y", "3"}, {"format", "png"}});
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->url, "https://g.maps.carto.com/v1/tiles/2/1/3.png");
  EXPECT_EQ(spec->url.find("K3Y"), std::string::npos);  // the client adds the key for this origin
  EXPECT_EQ(spec->group, "tile");
  EXPECT_EQ(spec->method, "GET");
  auto lg = plan_request(src, resource(cfg::ResourceKind::layergroup), {});
  EXPECT_EQ(lg->url, "https://g.maps.carto.com/v1/layergroup");
  auto st = plan_request(src, resource(cfg::ResourceKind::static_image), {});
  EXPECT_EQ(st->url, "https://g.maps.carto.com/v1/static/png?width=600&height=400");
}

TEST(PlanRequest, seed_static_image_asks_for_the_configured_size) {
  auto src = source(cfg::ApiShape::seed, "https://g.maps.carto.com/v1/");
  auto st = resource(cfg::ResourceKind::static_image);
  st.static_image.width = 300;
  st.static_image.height = 200;
  st.static_image.format = "jpg";
  EXPECT_EQ(plan_request(src, st, {})->url, "https://g.maps.carto.com/v1/static/jpg?width=300&height=200");
  st.path = "static/{width}x{height}.{format}";  // a path that carries the size gets no query copy
  EXPECT_EQ(plan_request(src, st, {})->url, "https://g.maps.carto.com/v1/static/300x200.jpg");
}

TEST(PlanRequest, v1_anonymous_map_posts_json_or_gets_config) {
  auto src = source(cfg::ApiShape::v1, "https://alice.carto.com/api/v1/");
  auto r = resource(cfg::ResourceKind::anonymous_map);
  r.map_config = R"({"version":"1.3.0","layers":[]})";
  auto post = plan_request(src, r, {});
  ASSERT_TRUE(post);
  EXPECT_EQ(post->method, "POST");
  EXPECT_EQ(post->url, "https://alice.carto.com/api/v1/map");
  EXPECT_EQ(post->body, r.map_config);
  EXPECT_EQ(post->content_type, "application/json");
  EXPECT_EQ(post->group, "anonymous");
  r.method = "GET";
  auto get = plan_request(src, r, {});
  EXPECT_EQ(get->method, "GET");
  EXPECT_TRUE(get->body.empty());
  // ':' and ',' are legal in a query (RFC 3986 §3.4) and stay readable.
  EXPECT_EQ(get->url,
            "https://alice.carto.com/api/v1/"
            "map?config=%7B%22version%22:%221.3.0%22,%22layers%22:%5B%5D%7D");
}

TEST(PlanRequest, v1_tiles_by_token_with_layer_filter_and_retina) {
  auto src = source(cfg::ApiShape::v1, "https://alice.carto.com/api/v1/");
  auto r = resource(cfg::ResourceKind::tiles);
  auto plain = plan_request(
      src, r,
      {{"layergroupid", "d41d8:1700000000000"}, {"z", "1"}, {"x", "0"}, {"y", "1"}, {"format", "png"}});
  EXPECT_EQ(plain->url, "https://alice.carto.com/api/v1/map/d41d8:1700000000000/1/0/1.png");
  r.tiles.layer = "0,1";
  r.tiles.scale = 2;
  auto filtered =
      plan_request(src, r, {{"layergroupid", "t:1"}, {"z", "1"}, {"x", "0"}, {"y", "1"}, {"format", "mvt"}});
  EXPECT_EQ(filtered->url, "https://alice.carto.com/api/v1/map/t:1/0,1/1/0/1@2x.mvt");
}

TEST(PlanRequest, v1_named_maps_and_static_images) {
  auto src = source(cfg::ApiShape::v1, "https://alice.carto.com/api/v1/");
  auto named = resource(cfg::ResourceKind::named_map);
  named.template_id = "tpl";
  named.template_params = R"({"color":"red"})";
  named.auth_token = cfg::Secret("T0K");
  auto n = plan_request(src, named, {});
  EXPECT_EQ(n->method, "POST");
  EXPECT_EQ(n->url, "https://alice.carto.com/api/v1/map/named/tpl?auth_token=T0K");
  EXPECT_EQ(n->log_url, "https://alice.carto.com/api/v1/map/named/tpl?auth_token=REDACTED");
  EXPECT_EQ(n->body, named.template_params);
  EXPECT_EQ(n->group, "named");

  auto list = plan_request(src, resource(cfg::ResourceKind::named_templates), {});
  EXPECT_EQ(list->url, "https://alice.carto.com/api/v1/map/named");
  EXPECT_EQ(list->group, "named_list");

  auto center = resource(cfg::ResourceKind::static_center);
  center.static_image.lat = 48.85;
  center.static_image.lng = 2.35;
  center.static_image.zoom = 4;
  center.static_image.width = 800;
  center.static_image.height = 600;
  auto c = plan_request(src, center, {{"layergroupid", "t:1"}});
  EXPECT_EQ(c->url, "https://alice.carto.com/api/v1/map/static/center/t:1/4/48.85/2.35/800/600.png");
  EXPECT_EQ(c->group, "static");

  auto bbox = resource(cfg::ResourceKind::static_bbox);
  bbox.static_image.bbox = cfg::BBox{-10, 35, 5.5, 44};
  bbox.static_image.format = "jpg";
  auto b = plan_request(src, bbox, {{"layergroupid", "t:1"}});
  EXPECT_EQ(b->url, "https://alice.carto.com/api/v1/map/static/bbox/t:1/-10,35,5.5,44/600/400.jpg");

  auto sn = resource(cfg::ResourceKind::static_named);
  sn.template_id = "tpl";
  sn.static_image.bbox = cfg::BBox{-10, 35, 5.5, 44};
  auto s = plan_request(src, sn, {});
  EXPECT_EQ(s->url, "https://alice.carto.com/api/v1/map/static/named/tpl/600/400.png?bbox=-10,35,5.5,44");
  EXPECT_EQ(s->group, "static_named");
}

TEST(PlanRequest, configured_path_and_params_override_defaults) {
  auto src = source(cfg::ApiShape::seed, "http://127.0.0.1:8080/v1/");
  auto r = resource(cfg::ResourceKind::tiles);
  r.path = "layers/{layergroupid}/{z}/{x}/{y}.{format}";
  r.params = {{"client", "cartopull"}, {"lg", "{layergroupid}"}};
  auto spec =
      plan_request(src, r, {{"layergroupid", "L"}, {"z", "0"}, {"x", "0"}, {"y", "0"}, {"format", "mvt"}});
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->url, "http://127.0.0.1:8080/v1/layers/L/0/0/0.mvt?client=cartopull&lg=L");
  r.path = "layers/{nothing}";
  EXPECT_FALSE(plan_request(src, r, {}));
}

TEST(Layergroup, parses_token_layers_and_redacts_urls) {
  const char* body = R"({"layergroupid":"b1946ac92492d2347c6235b4d2611184:1700000000123",
    "last_updated":"2023-11-14T22:13:20.123Z",
    "metadata":{"layers":[{"type":"mapnik","id":"layer0"},{"type":"http","id":"base"}],
      "url":{"vector":{"urlTemplate":"https://a.carto.com/map/x/{z}/{x}/{y}.mvt?api_key=LEAKED"}}},
    "cdn_url":{"http":"ashbu.cartocdn.com"}})";
  auto lg = parse_layergroup(body);
  ASSERT_TRUE(lg) << lg.error().message;
  EXPECT_EQ(lg->token.id, "b1946ac92492d2347c6235b4d2611184");
  EXPECT_EQ(lg->token.cache_buster, "1700000000123");
  EXPECT_EQ(lg->token.data_version_ms(), std::optional<std::int64_t>(1700000000123));
  EXPECT_EQ(lg->last_updated, "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(lg->layer_ids, (std::vector<std::string>{"layer0", "base"}));
  EXPECT_EQ(lg->layer_types, (std::vector<std::string>{"mapnik", "http"}));
  EXPECT_EQ(lg->json_redacted.find("LEAKED"), std::string::npos);
  EXPECT_NE(lg->json_redacted.find("api_key=REDACTED"), std::string::npos);
}

// Found by fuzz/layergroup_fuzzer: redacting the serialized text broke the stored JSON.
TEST(Layergroup, redacted_response_stays_json_and_masks_credential_members) {
  const char* body = R"({"layergroupid":"abc:0","metadata":{"layers":[{"id":"l0","meta":
    {"api_key:":"s3cret","api_key":"LEAKED1","auth_token":42,"note":"see https://u:LEAKED2@h/ x?api_key=LEAKED3",
     "q":"a \"api_key\": LEAKED4","https://h/t?api_key=LEAKED5":1}}]}})";
  auto lg = parse_layergroup(body);
  ASSERT_TRUE(lg) << lg.error().message;
  boost::system::error_code ec;
  auto doc = boost::json::parse(lg->json_redacted, ec);
  ASSERT_FALSE(ec) << lg->json_redacted;
  for (const char* leaked : {"s3cret", "LEAKED1", "42", "LEAKED2", "LEAKED3", "LEAKED4", "LEAKED5"})
    EXPECT_EQ(lg->json_redacted.find(leaked), std::string::npos) << leaked << " in " << lg->json_redacted;
  EXPECT_EQ(doc.at_pointer("/metadata/layers/0/meta/api_key"), "REDACTED");
  EXPECT_EQ(doc.at_pointer("/metadata/layers/0/id"), "l0");
  EXPECT_EQ(doc.at_pointer("/layergroupid"), "abc:0");
}

TEST(Layergroup, rejects_error_bodies_and_missing_tokens) {
  auto err =
      parse_layergroup(R"({"errors":["Missing cartocss for layer 0 options"],"errors_with_context":[]})");
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message.find("Missing cartocss for layer 0 options"), std::string::npos);
  EXPECT_FALSE(parse_layergroup("callback({\"layergroupid\":\"x\"})"));
  EXPECT_FALSE(parse_layergroup(R"({"metadata":{}})"));
  auto custom = parse_layergroup(R"({"data":{"lg":"abc"}})", "/data/lg");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->token.text, "abc");
  EXPECT_FALSE(custom->token.data_version_ms());
}

TEST(Layergroup, recognises_the_expired_token_error) {
  EXPECT_TRUE(
      is_expired_token_error(400, R"({"errors":["Invalid or nonexistent map configuration token 'abc'"]})"));
  EXPECT_FALSE(
      is_expired_token_error(404, R"({"errors":["Invalid or nonexistent map configuration token 'abc'"]})"));
  EXPECT_FALSE(is_expired_token_error(400, R"x({"errors":["Invalid zoom value (z)"]})x"));
}
