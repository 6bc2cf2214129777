// fake-carto real v1 shape: instantiation, validation, tokens, tiles, static, named maps, auth,
// caching headers and rate limits (carto-maps-api.md sections 2-7), all through real sockets.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <thread>

#include "support/fake_carto/carto_api.hpp"
#include "support/fake_carto/http_date.hpp"
#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"

namespace cartopull::fake {
namespace {

using namespace std::chrono_literals;
using Hdrs = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kConfig =
    R"({"version":"1.3.0","layers":[{"type":"mapnik","options":{"cartocss_version":"2.1.1",
    "cartocss":"#layer { polygon-fill: #FFF; }","sql":"select * from european_countries_e",
    "interactivity":["cartodb_id","iso3"]}},{"type":"mapnik","id":"pts","options":{"sql":"select 1","cartocss":"#p{}","cartocss_version":"2.1.1"}}]})";
constexpr const char* kVectorOnly =
    R"({"version":"1.3.0","layers":[{"type":"mapnik","options":{"sql":"select 1"}}]})";

const Hdrs kJson = {{"Content-Type", "application/json"}};

std::string error_of(const SyncReply& r) {
  return std::string(boost::json::parse(r.body).at("errors").at(0).as_string());
}

std::string encode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

class FakeCartoV1 : public ::testing::Test {
 protected:
  void start(Options o = {}) {
    server = std::make_unique<Server>(std::move(o));
    ASSERT_TRUE(server->start());
    client = std::make_unique<SyncClient>(server->port());
  }
  void SetUp() override { start(); }
  std::string instantiate(const char* config = kConfig) {
    auto r = client->request("POST", "/api/v1/map", config, kJson);
    EXPECT_EQ(r.status, 200) << r.body;
    return std::string(boost::json::parse(r.body).at("layergroupid").as_string());
  }
  std::unique_ptr<Server> server;
  std::unique_ptr<SyncClient> client;
};

TEST_F(FakeCartoV1, post_instantiates_with_token_md5_colon_cache_buster) {
  auto r = client->request("POST", "/api/v1/map", kConfig, kJson);
  ASSERT_EQ(r.status, 200);
  auto j = boost::json::parse(r.body);
  std::string id(j.at("layergroupid").as_string());
  ASSERT_EQ(id.size(), 32u + 1 + 13);
  EXPECT_EQ(id.substr(33), "1700000000000");
  EXPECT_EQ(j.at("last_updated").as_string(), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(r.header("x-layergroup-id"), id);
  EXPECT_EQ(r.header("cache-control"), "");  // POST gets no caching headers (section 7)
  EXPECT_EQ(j.at("metadata").at("layers").at(1).at("id").as_string(), "pts");
  EXPECT_EQ(instantiate(), id);  // same config, same token
}

TEST_F(FakeCartoV1, user_path_form_is_served_and_unknown_user_is_404) {
  auto r = client->request("POST", "/user/demo/api/v1/map", kConfig, kJson);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("/user/demo/api/v1/map/"), std::string::npos);
  EXPECT_EQ(client->request("POST", "/user/other/api/v1/map", kConfig, kJson).status, 404);
}

TEST_F(FakeCartoV1, post_without_json_content_type_is_400) {
  auto r = client->request("POST", "/api/v1/map", kConfig, {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "POST data must be of type application/json");
}

TEST_F(FakeCartoV1, get_with_config_instantiates_with_cache_headers) {
  auto r = client->get("/api/v1/map?config=" + encode(kConfig));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("cache-control"), "public,max-age=86400,must-revalidate");
  EXPECT_EQ(r.header("last-modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  auto missing = client->get("/api/v1/map");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(error_of(missing), "layergroup GET needs a \"config\" parameter");
}

TEST_F(FakeCartoV1, get_with_callback_is_jsonp_with_status_200_even_on_error) {
  auto r = client->get("/api/v1/map?callback=cb");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(r.body.find("cb({\"errors\""), std::string::npos);
}

TEST_F(FakeCartoV1, mapconfig_validation_uses_the_real_messages) {
  struct Case {
    const char* config;
    const char* message;
  };
  const Case cases[] = {
      {R"({"version":"1.3.0"})", "Missing layers array from layergroup config"},
      {R"({"layers":[{"type":"mapnik"}]})", "Missing options from layer 0 of layergroup config"},
      {R"({"layers":[{"type":"mapnik","options":{"cartocss":"#a{}","cartocss_version":"2.1.1"}}]})",
       "Missing sql for layer 0 options"},
      {R"({"layers":[{"type":"cartodb","options":{"sql":"select 1","cartocss":"#a{}"}}]})",
       "Missing cartocss_version for layer 0 options"},
      {R"({"version":"1.9.0","layers":[]})", "Unsupported layergroup configuration version 1.9.0"},
      {R"({"version":"0.9.9","layers":[]})", "Unsupported layergroup configuration version 0.9.9"},
  };
  for (const auto& c : cases) {
    auto r = client->request("POST", "/api/v1/map", c.config, kJson);
    EXPECT_EQ(r.status, 400) << c.config;
    EXPECT_EQ(error_of(r), c.message);
    auto j = boost::json::parse(r.body);
    EXPECT_EQ(j.at("errors_with_context").at(0).at("message").as_string(), c.message);
  }
}

TEST_F(FakeCartoV1, tile_path_validation_follows_windshaft) {
  const auto t = instantiate();
  struct Case {
    std::string path;
    int status;
    std::string message;  // empty: not checked
  };
  const Case cases[] = {
      {"/a/0/0.png", 400,
       "Invalid zoom value (a). It should be an integer number greather than or equal to 0"},
      {"/-1/0/0.png", 400,
       "Invalid zoom value (-1). It should be an integer number greather than or equal to 0"},
      {"/1/b/0.png", 400, "Invalid coodinate 'x' value (b). It should be an integer number"},
      {"/1/0/-1.png", 400, ""},
      {"/1/0/0@3x.png", 404, "Tile with specified resolution not found"},
      {"/1/0/0.jpg", 400, "Unsupported format jpg"},
      {"/7/1/0/0.png", 400, "Layer '7' not found in layergroup"},
      {"/0,9/1/0/0.png", 400, "Invalid layer filtering"},
      {"/nosuch/1/0/0.png", 400, "Layer 'nosuch' not found in layergroup"},
      {"/pts/1/0/0.grid.json", 400, "Tileset has no interactivity"},
      {"/1/0/0.png", 200, ""},
      {"/all/1/0/0.mvt", 200, ""},
      {"/layer0/1/0/0.grid.json", 200, ""},
      {"/0/1/0/0@2x.png", 200, ""},
  };
  const auto vector_only = instantiate(kVectorOnly);
  auto png = client->get("/api/v1/map/" + vector_only + "/1/0/0.png");
  EXPECT_EQ(png.status, 400);
  EXPECT_EQ(error_of(png), "Unsupported format: 'cartocss' option is missing for png");
  EXPECT_EQ(client->get("/api/v1/map/" + vector_only + "/1/0/0.mvt").status / 100, 2);
  for (const auto& c : cases) {
    auto r = client->get("/api/v1/map/" + t + c.path);
    if (c.status == 200) {
      EXPECT_TRUE(r.status == 200 || r.status == 204) << c.path << " " << r.body;
      continue;
    }
    EXPECT_EQ(r.status, c.status) << c.path;
    if (!c.message.empty()) {
      EXPECT_EQ(error_of(r), c.message) << c.path;
    }
  }
}

TEST_F(FakeCartoV1, x_wraps_modulo_two_to_the_z) {
  const auto t = instantiate();
  auto a = client->get("/api/v1/map/" + t + "/3/1/2.png");
  auto b = client->get("/api/v1/map/" + t + "/3/9/2.png");
  auto c = client->get("/api/v1/map/" + t + "/3/-7/2.png");
  auto d = client->get("/api/v1/map/" + t + "/3/2/2.png");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.body, c.body);
  EXPECT_NE(a.body, d.body);
}

TEST_F(FakeCartoV1, retina_tiles_are_512_pixels) {
  const auto t = instantiate();
  for (int x = 0; x < 8; ++x) {
    auto r = client->get("/api/v1/map/" + t + "/3/" + std::to_string(x) + "/2@2x.png");
    ASSERT_EQ(r.status, 200);
    // IHDR width at bytes 16..19, big-endian.
    const auto* p = reinterpret_cast<const unsigned char*>(r.body.data());
    EXPECT_EQ((p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19], 512);
  }
}

TEST_F(FakeCartoV1, empty_mvt_is_204_without_body) {
  const auto t = instantiate();
  int empties = 0;
  for (int x = 0; x < 64 && empties == 0; ++x) {
    auto r = client->get("/api/v1/map/" + t + "/6/" + std::to_string(x) + "/5.mvt");
    if (r.status == 204) {
      ++empties;
      EXPECT_TRUE(r.body.empty());
      EXPECT_EQ(r.header("content-length"), "");
    } else {
      EXPECT_EQ(r.header("content-type"), "application/x-protobuf");
    }
  }
  EXPECT_EQ(empties, 1);
}

TEST_F(FakeCartoV1, tiles_have_year_cache_control_last_modified_and_304) {
  const auto t = instantiate();
  auto r = client->get("/api/v1/map/" + t + "/2/1/1.png");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("cache-control"), "public,max-age=31536000");
  EXPECT_EQ(r.header("last-modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
  auto same =
      client->get("/api/v1/map/" + t + "/2/1/1.png", {{"If-Modified-Since", r.header("last-modified")}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  auto older = client->get("/api/v1/map/" + t + "/2/1/1.png",
                           {{"If-Modified-Since", "Mon, 13 Nov 2023 00:00:00 GMT"}});
  EXPECT_EQ(older.status, 200);
  EXPECT_EQ(older.body, r.body);
}

TEST_F(FakeCartoV1, unknown_token_is_400_invalid_or_nonexistent) {
  auto r = client->get("/api/v1/map/deadbeef/0/0/0.png");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"errors":["Invalid or nonexistent map configuration token 'deadbeef'"],)"
                    R"("errors_with_context":[{"type":"unknown","message":"Invalid or nonexistent map )"
                    R"(configuration token 'deadbeef'"}]})");
}

TEST(FakeCartoTokens, expire_after_idle_ttl_and_each_use_renews_it) {
  // CartoApi takes time as an argument, so the sliding TTL is tested on explicit instants: with sleeps,
  // a loaded machine (ASan, 2 cores) stretched the gaps past the TTL.
  Options o;
  o.token_ttl = 60ms;
  CartoApi api(o);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  const auto wall = std::chrono::system_clock::now();
  auto call = [&](std::string method, std::string target, std::chrono::milliseconds at,
                  std::string body = {}) {
    ApiRequest q{
        std::move(method), std::move(target), {{"Content-Type", "application/json"}}, std::move(body)};
    return api.handle(q, t0 + at, wall);
  };
  auto r = call("POST", "/api/v1/map?api_key=master-key", 0ms, kConfig);
  ASSERT_EQ(r.status, 200) << *r.body;
  const std::string t(boost::json::parse(*r.body).at("layergroupid").as_string());
  const std::string tile = "/api/v1/map/" + t + "/0/0/0.png?api_key=master-key";
  for (int i = 1; i <= 4; ++i)  // 4 x 50 ms > TTL, but each use renews it
    ASSERT_EQ(call("GET", tile, i * 50ms).status, 200) << i;
  EXPECT_EQ(call("GET", tile, 259ms).status, 200) << "59 ms idle is within the TTL";
  auto gone = call("GET", tile, 320ms);
  EXPECT_EQ(gone.status, 400) << "61 ms idle is past it";
  EXPECT_EQ(std::string(boost::json::parse(*gone.body).at("errors").at(0).as_string()),
            "Invalid or nonexistent map configuration token '" + t.substr(0, 32) + "'");
  // Re-instantiating gives the same token back (same md5) and it works again.
  auto again = call("POST", "/api/v1/map?api_key=master-key", 330ms, kConfig);
  EXPECT_EQ(boost::json::parse(*again.body).at("layergroupid").as_string(), t);
  EXPECT_EQ(call("GET", tile, 340ms).status, 200);
}

TEST_F(FakeCartoV1, static_center_bbox_and_named_images_have_the_requested_size) {
  const auto t = instantiate();
  struct Case {
    std::string target;
    int w, h;
  };
  const Case cases[] = {
      {"/api/v1/map/static/center/" + t + "/3/40.4/-3.7/300/200.png", 300, 200},
      {"/api/v1/map/static/bbox/" + t + "/-10,35,5,45/640/480.png", 640, 480},
      {"/api/v1/map/static/named/demo_open/120/90.png?zoom=2&lat=0&lon=0", 120, 90},
  };
  for (const auto& c : cases) {
    auto r = client->get(c.target);
    ASSERT_EQ(r.status, 200) << c.target << r.body;
    EXPECT_EQ(r.header("content-type"), "image/png");
    const auto* p = reinterpret_cast<const unsigned char*>(r.body.data());
    EXPECT_EQ((p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19], c.w);
    EXPECT_EQ((p[20] << 24) | (p[21] << 16) | (p[22] << 8) | p[23], c.h);
  }
  auto gif = client->get("/api/v1/map/static/center/" + t + "/3/0/0/30/20.gif");
  EXPECT_EQ(gif.status, 400);
  EXPECT_EQ(gif.body,
            R"({"errors":["Unsupported image format \"gif\""],"errors_with_context":[{"type":"unknown",)"
            R"("message":"Unsupported image format \"gif\""}]})");
}

TEST_F(FakeCartoV1, named_admin_routes_need_the_master_key) {
  struct Case {
    std::string target;
    int status;
    std::string message;
  };
  const Case cases[] = {
      {"/api/v1/map/named", 403, "Only authenticated users can list templated maps"},
      {"/api/v1/map/named?api_key=regular-key", 403, "Forbidden"},
      {"/api/v1/map/named?api_key=bogus", 401, "Unauthorized"},
      {"/api/v1/map/named/demo_open", 403, "Only authenticated users can get templated maps"},
      {"/api/v1/map/named/missing?api_key=master-key", 404, "Cannot find template 'missing' of user 'demo'"},
  };
  for (const auto& c : cases) {
    auto r = client->get(c.target);
    EXPECT_EQ(r.status, c.status) << c.target;
    EXPECT_EQ(error_of(r), c.message) << c.target;
  }
  auto list = client->get("/api/v1/map/named?api_key=master-key");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body, R"({"template_ids":["demo_open","demo_private"]})");
  auto get = client->get("/api/v1/map/named/demo_open", {{"Authorization", "Basic ZGVtbzptYXN0ZXIta2V5"}});
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(boost::json::parse(get.body).at("template").at("name").as_string(), "demo_open");
}

TEST_F(FakeCartoV1, basic_auth_with_another_username_is_403) {
  // base64("other:master-key")
  auto r = client->get("/api/v1/map/named", {{"Authorization", "Basic b3RoZXI6bWFzdGVyLWtleQ=="}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("api-key-username-mismatch"), std::string::npos);
}

TEST_F(FakeCartoV1, unknown_api_key_or_map_key_is_401_and_known_key_lands_in_urls) {
  EXPECT_EQ(client->request("POST", "/api/v1/map?api_key=nope", kConfig, kJson).status, 401);
  EXPECT_EQ(client->request("POST", "/api/v1/map?map_key=nope", kConfig, kJson).status, 401);
  auto ok = client->request("POST", "/api/v1/map?api_key=regular-key", kConfig, kJson);
  ASSERT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find(".png?api_key=regular-key"), std::string::npos);
}

TEST_F(FakeCartoV1, named_instantiation_checks_auth_token_and_signs_the_token) {
  auto open = client->request("POST", "/api/v1/map/named/demo_open", "{}", kJson);
  ASSERT_EQ(open.status, 200);
  std::string id(boost::json::parse(open.body).at("layergroupid").as_string());
  ASSERT_EQ(id.substr(0, 5), "demo@");
  EXPECT_EQ(id.find('@', 5), 13u);  // demo@{8 hex}@{md5}:{cb}
  EXPECT_EQ(client->get("/api/v1/map/" + id + "/1/0/0.png").status, 200);

  auto denied = client->request("POST", "/api/v1/map/named/demo_private?auth_token=bad", "{}", kJson);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(error_of(denied), "Unauthorized template instantiation");
  auto priv = client->request("POST", "/api/v1/map/named/demo_private?auth_token=demo-token", "{}", kJson);
  ASSERT_EQ(priv.status, 200);
  std::string pid(boost::json::parse(priv.body).at("layergroupid").as_string());
  EXPECT_EQ(client->get("/api/v1/map/" + pid + "/1/0/0.png").status, 403);
  EXPECT_EQ(client->get("/api/v1/map/" + pid + "/1/0/0.png?auth_token=demo-token").status, 200);
  EXPECT_EQ(client->get("/api/v1/map/static/center/" + pid + "/2/0/0/50/50.png").status, 403);
  EXPECT_EQ(client->get("/api/v1/map/static/center/" + pid + "/2/0/0/50/50.png?auth_token=demo-token").status,
            200);

  auto missing = client->request("POST", "/api/v1/map/named/nope", "{}", kJson);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error_of(missing), "Template 'nope' of user 'demo' not found");
}

TEST_F(FakeCartoV1, named_params_change_the_instance_and_jsonp_needs_a_callback) {
  auto a = client->request("POST", "/api/v1/map/named/demo_open", R"({"color":"#000000"})", kJson);
  auto b = client->request("POST", "/api/v1/map/named/demo_open", "{}", kJson);
  EXPECT_NE(boost::json::parse(a.body).at("layergroupid"), boost::json::parse(b.body).at("layergroupid"));
  auto no_cb = client->get("/api/v1/map/named/demo_open/jsonp");
  EXPECT_EQ(no_cb.status, 400);
  EXPECT_EQ(error_of(no_cb), "callback parameter should be present and be a function name");
  auto cb = client->get("/api/v1/map/named/demo_open/jsonp?callback=f");
  EXPECT_EQ(cb.status, 200);
  EXPECT_EQ(cb.body.rfind("/**/ typeof f === 'function' && f({\"layergroupid\":\"demo@", 0), 0u);
}

TEST_F(FakeCartoV1, named_tiles_come_straight_from_a_template) {
  auto r = client->get("/api/v1/map/named/demo_open/0/2/1/1.png");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "image/png");
  auto expected = server->expected_tile("demo_open", "0", 2, 1, 1, TileFormat::png);
  ASSERT_TRUE(expected);
  EXPECT_EQ(r.body, *expected);
  EXPECT_EQ(client->get("/api/v1/map/named/demo_private/0/2/1/1.png").status, 403);
  EXPECT_EQ(client->get("/api/v1/map/named/demo_private/0/2/1/1.png?auth_token=demo-token").status, 200);
}

TEST_F(FakeCartoV1, cors_headers_on_every_response_and_options_preflight) {
  auto r = client->request("OPTIONS", "/api/v1/map");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_NE(r.header("access-control-allow-headers").find("Content-Type"), std::string::npos);
  auto e = client->get("/api/v1/map/deadbeef/0/0/0.png");
  EXPECT_EQ(e.header("access-control-allow-origin"), "*");
}

TEST(FakeCartoTemplates, custom_templates_replace_the_built_ins) {
  Options o;
  o.templates.push_back(boost::json::parse(R"({"version":"0.0.1","name":"roads","auth":{"method":"token",
    "valid_tokens":["t1"]},"placeholders":{"w":{"type":"number","default":2}},"layergroup":{"version":"1.3.0",
    "layers":[{"type":"mapnik","options":{"sql":"select * from roads","cartocss_version":"2.1.1",
    "cartocss":"#r { line-width: <%= w %>; }"}}]}})"));
  Server server(o);
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  EXPECT_EQ(client.get("/api/v1/map/named?api_key=master-key").body, R"({"template_ids":["roads"]})");
  auto r = client.request("POST", "/api/v1/map/named/roads?auth_token=t1", R"({"w":5})", kJson);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = boost::json::parse(r.body);
  EXPECT_EQ(j.at("metadata").at("layers").at(0).at("meta").at("cartocss").as_string(),
            "#r { line-width: 5; }");
  EXPECT_EQ(client.request("POST", "/api/v1/map/named/demo_open", "{}", kJson).status, 404);
}

TEST_F(FakeCartoV1, templates_are_created_updated_and_deleted_with_the_master_key) {
  const Hdrs json = {{"Content-Type", "application/json"}};
  const std::string tpl =
      R"({"version":"0.0.1","name":"parks","auth":{"method":"open"},"layergroup":{"version":"1.3.0","layers":[)"
      R"({"type":"mapnik","options":{"sql":"select * from parks","cartocss":"#p{}","cartocss_version":"2.1.1"}}]}})";
  struct Case {
    std::string method, target, body;
    Hdrs headers;
    int status;
    std::string message;  // error text, or the success body
  };
  const Case cases[] = {
      {"POST", "/api/v1/map/named", tpl, json, 403, "Only authenticated users can create templated maps"},
      {"POST", "/api/v1/map/named?api_key=regular-key", tpl, json, 403, "Forbidden"},
      {"POST",
       "/api/v1/map/named?api_key=master-key",
       tpl,
       {{"Content-Type", "text/plain"}},
       400,
       "POST template data must be of type application/json"},
      {"POST", "/api/v1/map/named?api_key=master-key", R"({"version":"0.0.2","name":"x"})", json, 400,
       "Unsupported template version 0.0.2"},
      {"POST", "/api/v1/map/named?api_key=master-key", R"({"version":"0.0.1"})", json, 400,
       "Missing template name"},
      {"POST", "/api/v1/map/named?api_key=master-key", R"({"version":"0.0.1","name":"bad name"})", json, 400,
       "Invalid characters in template name 'bad name'"},
      {"POST", "/api/v1/map/named?api_key=master-key",
       R"({"version":"0.0.1","name":"t","auth":{"method":"token"},"layergroup":{}})", json, 400,
       "Invalid 'token' authentication: missing valid_tokens"},
      {"POST", "/api/v1/map/named?api_key=master-key",
       R"({"version":"0.0.1","name":"t","placeholders":{"p":{"type":"number"}},"layergroup":{}})", json, 400,
       "Missing default for placeholder 'p'"},
      {"POST", "/api/v1/map/named?api_key=master-key", tpl, json, 200, R"({"template_id":"parks"})"},
      {"POST", "/api/v1/map/named?api_key=master-key", tpl, json, 400,
       "Template 'parks' of user 'demo' already exists"},
      {"PUT", "/api/v1/map/named/other?api_key=master-key", tpl, json, 404,
       "Template 'other' of user 'demo' does not exist"},
      {"PUT", "/api/v1/map/named/demo_open?api_key=master-key", tpl, json, 400,
       "Cannot update name of a map template ('demo_open' != 'parks')"},
      {"PUT", "/api/v1/map/named/parks?api_key=master-key", tpl, json, 200, R"({"template_id":"parks"})"},
      {"DELETE",
       "/api/v1/map/named/parks",
       "",
       {},
       403,
       "Only authenticated users can delete templated maps"},
      {"DELETE", "/api/v1/map/named/parks?api_key=master-key", "", {}, 204, ""},
      {"DELETE",
       "/api/v1/map/named/parks?api_key=master-key",
       "",
       {},
       404,
       "Template 'parks' of user 'demo' does not exist"},
  };
  for (const auto& c : cases) {
    auto r = client->request(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    if (c.status >= 400) {
      EXPECT_EQ(error_of(r), c.message) << c.method << " " << c.target;
    } else {
      EXPECT_EQ(r.body, c.message) << c.method << " " << c.target;
    }
  }
  EXPECT_EQ(server->count("named_create", 200), 1u);
  EXPECT_EQ(server->count("named_delete", 204), 1u);
}

TEST_F(FakeCartoV1, host_naming_the_account_resolves_the_user) {
  auto r = client->request("POST", "/api/v1/map", kConfig,
                           {{"Content-Type", "application/json"}, {"Host", "demo.carto.com"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("http://demo.carto.com/api/v1/map/"), std::string::npos);
}

TEST(FakeCartoRateLimit, reports_headers_and_answers_429_with_retry_after) {
  Options o;
  std::vector<GcraTier> tiers;
  ASSERT_TRUE(parse_rate_tiers("1:1/60000", tiers));  // redis-cell (burst 1, 1 per minute): limit 2
  o.rate_limits["tile"] = tiers;
  Server server(o);
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  auto lg = client.request("POST", "/api/v1/map", kConfig, kJson);
  const std::string t(boost::json::parse(lg.body).at("layergroupid").as_string());
  auto first = client.get("/api/v1/map/" + t + "/0/0/0.png");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.header("carto-rate-limit-limit"), "2");
  EXPECT_EQ(first.header("carto-rate-limit-remaining"), "1");
  EXPECT_EQ(first.header("retry-after"), "");
  auto second = client.get("/api/v1/map/" + t + "/0/0/0.png");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.header("carto-rate-limit-remaining"), "0");
  auto third = client.get("/api/v1/map/" + t + "/0/0/0.png");
  EXPECT_EQ(third.status, 429);
  // floor(wait) + 1 with a wait just under 60 s (section 6).
  const int retry = std::stoi(third.header("retry-after"));
  EXPECT_GE(retry, 59);
  EXPECT_LE(retry, 61);
  EXPECT_EQ(third.header("carto-rate-limit-remaining"), "0");
  EXPECT_EQ(error_of(third),
            "You are over platform's limits: too many requests. Please contact us to know more details");
  auto mvt = client.get("/api/v1/map/" + t + "/0/0/0.mvt");
  EXPECT_EQ(mvt.status, 429);
  EXPECT_EQ(mvt.header("content-type"), "application/x-protobuf");
  // Other groups have their own budget.
  EXPECT_EQ(client.request("POST", "/api/v1/map", kConfig, kJson).status, 200);
  EXPECT_EQ(server.count("tile", 429), 2u);
}

}  // namespace
}  // namespace cartopull::fake
