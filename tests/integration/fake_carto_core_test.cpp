// fake-carto core: lifecycle, keep-alive, request log, counters, control endpoint (real sockets).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"

namespace cartopull::fake {
namespace {

TEST(FakeCartoCore, binds_an_ephemeral_loopback_port_and_reports_it) {
  Server server;
  ASSERT_TRUE(server.start());
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.base_url(), "http://127.0.0.1:" + std::to_string(server.port()));
  SyncClient client(server.port());
  auto r = client.get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"enabled":false,"ok":true})");
  server.stop();
  SyncClient after(server.port());
  EXPECT_TRUE(after.get("/health").error);
}

TEST(FakeCartoCore, keeps_one_connection_alive_across_requests) {
  Server server;
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client.get("/health").status, 200);
  EXPECT_EQ(client.connects(), 1u);
}

TEST(FakeCartoCore, logs_requests_with_secrets_masked) {
  Server server;
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  auto r =
      client.get("/v1/tiles/1/0/0.png?api_key=master-key", {{"Authorization", "Basic ZGVtbzptYXN0ZXIta2V5"}});
  ASSERT_EQ(r.status, 200);
  auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].target.find("master-key"), std::string::npos);
  EXPECT_NE(log[0].target.find("api_key=REDACTED"), std::string::npos);
  EXPECT_EQ(log[0].route, "seed_tile");
  EXPECT_EQ(log[0].group, "tile");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, r.body.size());
  bool saw_auth = false;
  for (const auto& [k, v] : log[0].headers) {
    if (k == "Authorization") {
      saw_auth = true;
      EXPECT_EQ(v.find("ZGVtbzptYXN0ZXIta2V5"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_auth);
  EXPECT_LE(std::chrono::system_clock::now() - log[0].arrival, std::chrono::seconds(5));
}

TEST(FakeCartoCore, counts_per_route_and_status) {
  Server server;
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  client.get("/v1/metadata?api_key=master-key");
  client.get("/v1/metadata?api_key=master-key");
  client.get("/v1/metadata?api_key=wrong");
  client.get("/nope");
  EXPECT_EQ(server.count("seed_metadata", 200), 2u);
  EXPECT_EQ(server.count("seed_metadata", 401), 1u);
  EXPECT_EQ(server.count("not_found", 404), 1u);
  server.clear_log();
  EXPECT_EQ(server.count("seed_metadata", 200), 0u);
  EXPECT_TRUE(server.requests().empty());
}

TEST(FakeCartoCore, control_endpoint_exposes_log_and_counters_without_logging_itself) {
  Server server;
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  client.get("/health");
  auto log = boost::json::parse(client.get("/_fake/log").body);
  ASSERT_EQ(log.as_array().size(), 1u);
  EXPECT_EQ(log.as_array()[0].at("route").as_string(), "health");
  auto counters = boost::json::parse(client.get("/_fake/counters").body);
  EXPECT_EQ(counters.at("health").at("200").as_int64(), 1);
  EXPECT_EQ(client.request("DELETE", "/_fake/log").status, 200);
  EXPECT_TRUE(boost::json::parse(client.get("/_fake/log").body).as_array().empty());
}

TEST(FakeCartoCore, serves_concurrent_keep_alive_clients_and_counts_every_request) {
  Server server;
  ASSERT_TRUE(server.start());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&server, &ok, t] {
      SyncClient client(server.port());
      for (int i = 0; i < 50; ++i) {
        auto r = client.get("/v1/tiles/3/" + std::to_string(t) + "/" + std::to_string(i % 8) +
                            ".mvt?api_key=master-key");
        if (r.status == 200 || r.status == 204) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(server.count("seed_tile", 200) + server.count("seed_tile", 204), 400u);
  EXPECT_EQ(server.requests().size(), 400u);
}

TEST(FakeCartoCore, answers_unknown_paths_with_404) {
  Server server;
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  EXPECT_EQ(client.get("/nothing/here").status, 404);
  EXPECT_EQ(client.get("/").status, 200);
}

TEST(FakeCartoCore, rejects_request_bodies_over_the_limit_with_413) {
  Options o;
  o.max_request_body_bytes = 1000;
  Server server(o);
  ASSERT_TRUE(server.start());
  SyncClient client(server.port());
  auto r =
      client.request("POST", "/api/v1/map", std::string(5000, 'x'), {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 413);
}

}  // namespace
}  // namespace cartopull::fake
