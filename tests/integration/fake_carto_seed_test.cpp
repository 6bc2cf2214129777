// fake-carto seed (dltHub) shape under the base path (carto-maps-api.md section 9).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"

namespace cartopull::fake {
namespace {

class FakeCartoSeed : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.start()); }
  Server server;
  SyncClient& c() {
    if (!client_) client_ = std::make_unique<SyncClient>(server.port());
    return *client_;
  }
  std::unique_ptr<SyncClient> client_;
};

TEST_F(FakeCartoSeed, map_returns_a_definition) {
  auto r = c().get("/v1/map?api_key=master-key");
  ASSERT_EQ(r.status, 200);
  auto j = boost::json::parse(r.body);
  EXPECT_TRUE(j.at("config").at("layers").is_array());
  EXPECT_EQ(j.at("id").as_string().size(), 32u);
}

TEST_F(FakeCartoSeed, layergroup_has_id_and_metadata) {
  auto r = c().get("/v1/layergroup?api_key=master-key");
  ASSERT_EQ(r.status, 200);
  auto j = boost::json::parse(r.body);
  std::string id(j.at("layergroupid").as_string());
  EXPECT_NE(id.find(':'), std::string::npos);
  EXPECT_EQ(r.header("x-layergroup-id"), id);
  EXPECT_TRUE(j.at("metadata").at("layers").is_array());
}

TEST_F(FakeCartoSeed, tiles_serve_png_mvt_and_grid) {
  auto png = c().get("/v1/tiles/2/1/1.png?api_key=master-key");
  ASSERT_EQ(png.status, 200);
  EXPECT_EQ(png.header("content-type"), "image/png");
  EXPECT_EQ(png.body.substr(0, 8), "\x89PNG\r\n\x1a\n");
  auto grid = c().get("/v1/tiles/2/1/1.grid.json?api_key=master-key");
  ASSERT_EQ(grid.status, 200);
  EXPECT_TRUE(boost::json::parse(grid.body).at("grid").is_array());
  auto mvt = c().get("/v1/tiles/2/1/1.mvt?api_key=master-key");
  EXPECT_TRUE(mvt.status == 200 || mvt.status == 204);
}

TEST_F(FakeCartoSeed, static_and_metadata) {
  auto s = c().get("/v1/static/png?api_key=master-key&width=300&height=200");
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.header("content-type"), "image/png");
  auto m = c().get("/v1/metadata?api_key=master-key");
  ASSERT_EQ(m.status, 200);
  auto j = boost::json::parse(m.body);
  EXPECT_TRUE(j.at("limits").at("tile").is_array());
  EXPECT_EQ(j.at("quota").at("named_maps").as_int64(), 4096);
}

TEST_F(FakeCartoSeed, wrong_or_missing_key_is_401_json) {
  for (const char* target : {"/v1/map?api_key=nope", "/v1/layergroup", "/v1/tiles/0/0/0.png?api_key=x"}) {
    auto r = c().get(target);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(boost::json::parse(r.body).at("errors").at(0).as_string(), "Unauthorized");
  }
}

TEST(FakeCartoSeedBase, base_path_is_configurable) {
  Options o;
  o.seed_base = "/carto/v1/";
  o.seed_api_key = "seed-key";
  Server server(o);
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  EXPECT_EQ(client.get("/carto/v1/metadata?api_key=seed-key").status, 200);
  EXPECT_EQ(client.get("/carto/v1/metadata?api_key=master-key").status, 401);
  EXPECT_EQ(client.get("/v1/metadata?api_key=seed-key").status, 404);
}

}  // namespace
}  // namespace cartopull::fake
