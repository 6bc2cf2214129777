// fake-carto misbehaviour: each fault kind through a real socket, scenario control and
// reproducibility of seeded draws.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "support/fake_carto/http_date.hpp"
#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"

namespace cartopull::fake {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr const char* kTile = "/v1/tiles/3/1/2.png?api_key=master-key";  // a non-blank 256 px PNG
constexpr const char* kJsonRoute = "/v1/metadata?api_key=master-key";

FaultRule rule_from(std::string_view flag) {
  FaultRule r;
  auto e = parse_fault_flag(flag, r);
  EXPECT_FALSE(e) << *e;
  return r;
}

class FakeCartoFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.start());
    SyncClient c(server.port());
    clean_tile = c.get(kTile).body;
    clean_json = c.get(kJsonRoute).body;
    ASSERT_GT(clean_tile.size(), 1000u);
    server.clear_log();
  }
  void use(std::string_view flag) {
    FaultSet set;
    set.seed = 7;
    set.rules.push_back(rule_from(flag));
    server.set_faults(set);
  }
  Server server;
  std::string clean_tile, clean_json;
};

TEST_F(FakeCartoFaults, latency_delays_the_response) {
  use("seed_tile:latency_ms=60,jitter_ms=20");
  SyncClient c(server.port());
  auto t0 = Clock::now();
  auto r = c.get(kTile);
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(Clock::now() - t0, 60ms);
  EXPECT_EQ(r.body, clean_tile);
}

TEST_F(FakeCartoFaults, injected_503_carries_retry_after_seconds_and_html) {
  use("tile:error_503=1,retry_after=seconds,retry_after_seconds=7");
  SyncClient c(server.port());
  auto r = c.get(kTile);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "7");
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(server.count("seed_tile", 503), 1u);
  EXPECT_EQ(server.requests().back().fault, "tile");
}

TEST_F(FakeCartoFaults, injected_429_carries_retry_after_http_date_and_the_carto_body) {
  use("*:error_429=1,retry_after=http-date,retry_after_seconds=120");
  SyncClient c(server.port());
  auto r = c.get(kTile);
  EXPECT_EQ(r.status, 429);
  auto when = parse_http_date(r.header("retry-after"));
  ASSERT_TRUE(when);
  EXPECT_GT(*when, std::chrono::system_clock::now() + 100s);
  EXPECT_NE(r.body.find("\"subtype\":\"rate-limit\""), std::string::npos);
}

TEST_F(FakeCartoFaults, injected_500_and_502_without_retry_after) {
  use("*:error_500=0.5,error_502=0.5,retry_after=none");
  SyncClient c(server.port());
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) {
    auto r = c.get(kTile);
    seen.insert(r.status);
    EXPECT_EQ(r.header("retry-after"), "");
  }
  EXPECT_EQ(seen, (std::set<int>{500, 502}));
}

TEST_F(FakeCartoFaults, reset_before_headers_gives_the_client_an_error_and_logs_status_0) {
  use("*:reset_before_headers=1");
  SyncClient c(server.port());
  auto r = c.get(kTile);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(server.count("seed_tile", 0), 1u);
}

TEST_F(FakeCartoFaults, reset_mid_body_sends_half_then_rst) {
  use("*:reset_mid_body=1");
  SyncClient c(server.port());
  auto r = c.get(kTile);
  EXPECT_TRUE(r.error);
  auto log = server.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, clean_tile.size() / 2);
}

TEST_F(FakeCartoFaults, truncate_lies_in_content_length_then_closes) {
  use("*:truncate=1");
  auto raw =
      raw_exchange(server.port(), "GET /v1/tiles/3/1/2.png?api_key=master-key HTTP/1.1\r\nHost: x\r\n\r\n");
  auto head_end = raw.body.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_NE(raw.body.find("Content-Length: " + std::to_string(clean_tile.size())), std::string::npos);
  EXPECT_EQ(raw.body.size() - head_end - 4, clean_tile.size() / 2);
  EXPECT_FALSE(raw.error);  // a clean FIN, not a reset
  SyncClient c(server.port());
  EXPECT_TRUE(c.get(kTile).error);
}

TEST_F(FakeCartoFaults, stall_pauses_mid_body_then_completes) {
  use("*:stall=1,stall_ms=80");
  SyncClient c(server.port());
  auto t0 = Clock::now();
  auto r = c.get(kTile);
  EXPECT_GE(Clock::now() - t0, 80ms);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, clean_tile);
}

TEST_F(FakeCartoFaults, stall_on_a_bodyless_304_stalls_before_the_headers) {
  use("seed_tile:stall=1,stall_ms=400");
  SyncClient c(server.port());
  const std::vector<std::pair<std::string, std::string>> ims{
      {"If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"}};
  auto t0 = Clock::now();
  EXPECT_EQ(c.get(kTile, ims).status, 304);
  EXPECT_GE(Clock::now() - t0, 400ms);  // the answer itself waited
  server.set_faults(FaultSet{});
  auto t1 = Clock::now();
  EXPECT_EQ(c.get(kTile, ims).status, 304);  // the kept-alive connection is not held afterwards
  EXPECT_LT(Clock::now() - t1, 300ms);       // well under the stall, with room for a loaded ASan run
  EXPECT_EQ(c.connects(), 1u);
}

TEST_F(FakeCartoFaults, trickle_sends_small_chunks_slowly) {
  use("*:trickle=1,trickle_chunk_bytes=512,trickle_delay_ms=2");
  SyncClient c(server.port());
  auto t0 = Clock::now();
  auto r = c.get(kTile);
  EXPECT_EQ(r.body, clean_tile);
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(2 * (clean_tile.size() / 512 - 1)));
}

TEST_F(FakeCartoFaults, oversize_pads_the_body_to_the_announced_size) {
  use("*:oversize=1,oversize_bytes=3000000");
  SyncClient c(server.port());
  auto r = c.get(kTile);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 3000000u);
  EXPECT_EQ(r.body.substr(0, clean_tile.size()), clean_tile);
}

TEST_F(FakeCartoFaults, malformed_json_and_wrong_content_type) {
  use("seed_metadata:malformed_json=1,wrong_content_type=1");
  SyncClient c(server.port());
  auto r = c.get(kJsonRoute);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  boost::system::error_code ec;
  boost::json::parse(r.body, ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(r.body, clean_json.substr(0, clean_json.size() / 2));
  EXPECT_EQ(c.get(kTile).body, clean_tile);  // other routes untouched
}

TEST_F(FakeCartoFaults, count_retires_a_rule) {
  use("*:error_500=1,count=2");
  SyncClient c(server.port());
  EXPECT_EQ(c.get(kTile).status, 500);
  EXPECT_EQ(c.get(kTile).status, 500);
  EXPECT_EQ(c.get(kTile).status, 200);
}

TEST_F(FakeCartoFaults, scenario_is_set_read_and_cleared_over_the_control_endpoint) {
  SyncClient c(server.port());
  auto put =
      c.request("PUT", "/_fake/scenario",
                R"({"seed":3,"rules":[{"match":"seed_tile","errors":{"503":1.0},"retry_after":"none"}]})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(c.get(kTile).status, 503);
  auto got = boost::json::parse(c.get("/_fake/scenario").body);
  EXPECT_EQ(got.at("seed").as_int64(), 3);
  EXPECT_EQ(got.at("rules").at(0).at("match").as_string(), "seed_tile");
  EXPECT_EQ(c.request("PUT", "/_fake/scenario", R"({"rules":[{"bogus":1}]})").status, 400);
  EXPECT_EQ(c.request("DELETE", "/_fake/scenario").status, 200);
  EXPECT_EQ(c.get(kTile).status, 200);
}

TEST(FakeCartoShutdown, stop_during_a_stalled_response_closes_the_connection) {
  Options o;
  o.faults.rules.push_back(rule_from("*:stall=1,stall_ms=10000"));
  auto server = std::make_unique<Server>(o);
  ASSERT_TRUE(server->start());
  const auto port = server->port();
  std::thread client([port] {
    SyncClient c(port);
    auto r = c.get("/health");
    EXPECT_TRUE(r.error);  // the stall never finishes: the server went away
  });
  for (int i = 0; i < 100 && server->requests().empty(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(server->requests().size(), 1u);
  const auto t0 = Clock::now();
  server.reset();  // stop() + destroy while the session is suspended in its stall
  client.join();
  EXPECT_LT(Clock::now() - t0, 2s);
}

std::vector<int> statuses(std::uint64_t seed) {
  Options o;
  o.faults.seed = seed;
  o.faults.rules.push_back(rule_from("*:error_503=0.3,error_500=0.2"));
  Server server(o);
  EXPECT_TRUE(server.start());
  SyncClient c(server.port());
  std::vector<int> out;
  for (int i = 0; i < 40; ++i) out.push_back(c.get("/health").status);
  return out;
}

TEST(FakeCartoFaultSeed, same_seed_replays_the_same_decisions) {
  auto a = statuses(42), b = statuses(42), other = statuses(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
  EXPECT_GT(std::count(a.begin(), a.end(), 200), 10);
  EXPECT_GT(std::count(a.begin(), a.end(), 503), 4);
}

TEST(FakeCartoFaultFlags, parse_the_command_line_form) {
  FaultRule r;
  EXPECT_FALSE(
      parse_fault_flag("tile:latency_ms=20,jitter_ms=5,error_503=0.1,retry_after=http-date,count=3", r));
  EXPECT_EQ(r.match, "tile");
  EXPECT_EQ(r.latency, 20ms);
  EXPECT_EQ(r.jitter, 5ms);
  EXPECT_DOUBLE_EQ(r.errors.at(503), 0.1);
  EXPECT_EQ(r.retry_after, RetryAfterMode::http_date);
  EXPECT_EQ(r.count, 3);
  EXPECT_TRUE(parse_fault_flag("no-colon", r));
  EXPECT_TRUE(parse_fault_flag("tile:error_200=1", r));
  EXPECT_TRUE(parse_fault_flag("tile:unknown=1", r));
}

TEST_F(FakeCartoFaults, log_names_the_fault_kind_actually_applied) {
  FaultSet set;
  set.seed = 7;
  set.rules.push_back(rule_from("seed_metadata:malformed_json=1"));
  set.rules.push_back(rule_from("seed_tile:error_429=1,retry_after=http-date,count=1"));
  set.rules.push_back(rule_from("seed_tile:reset_before_headers=1,count=1"));
  set.rules.push_back(rule_from("seed_tile:malformed_json=1"));  // matches, but a PNG is not JSON
  server.set_faults(set);
  SyncClient c(server.port());
  EXPECT_EQ(c.get(kJsonRoute).status, 200);
  EXPECT_EQ(c.get(kTile).status, 429);
  SyncClient fresh(server.port());
  EXPECT_TRUE(fresh.get(kTile).error);
  SyncClient third(server.port());
  EXPECT_EQ(third.get(kTile).body, clean_tile);
  auto log = server.requests();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].fault_kind, "malformed_json");
  EXPECT_EQ(log[1].fault_kind, "error_429_retry_after_http-date");
  EXPECT_EQ(log[2].fault_kind, "reset_before_headers");
  EXPECT_EQ(log[3].fault, "seed_tile");
  EXPECT_EQ(log[3].fault_kind, "");
}

TEST(FakeCartoFaultKind, names_every_part_of_a_decision) {
  FaultDecision d;
  EXPECT_EQ(fault_kind(d, true), "");
  d.delay = std::chrono::milliseconds(5);
  d.error_status = 503;
  d.retry_after = RetryAfterMode::seconds;
  d.body = BodyFault::truncate;
  d.malformed_json = true;
  d.wrong_content_type = true;
  EXPECT_EQ(fault_kind(d, true),
            "latency+error_503_retry_after_seconds+truncate+malformed_json+wrong_content_type");
  EXPECT_EQ(fault_kind(d, false), "latency+error_503_retry_after_seconds+truncate+wrong_content_type");
}

}  // namespace
}  // namespace cartopull::fake
