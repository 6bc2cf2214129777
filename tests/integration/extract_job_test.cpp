// Whole extraction runs against fake-carto over real sockets, into a temporary database.
#include <gtest/gtest.h>

#include <cstdio>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "carto/tile_enumerator.hpp"
#include "config/config_loader.hpp"
#include "extract/job_runner.hpp"
#include "extract/source_fetcher.hpp"
#include "store/database.hpp"
#include "store/writer.hpp"
#include "support/child_process.hpp"
#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"

namespace asio = boost::asio;
namespace cfg = cartopull::config;
using namespace cartopull;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSeedKey = "Seed-S3cret-Key-123";
constexpr const char* kMasterKey = "Master-S3cret-Key-456";

fake::Options fake_options() {
  fake::Options o;
  o.seed_api_key = kSeedKey;
  o.master_key = kMasterKey;
  return o;
}

class Extraction : public ::testing::Test {
 protected:
  explicit Extraction(fake::Options options = fake_options()) : fake_(std::move(options)) {}

  void SetUp() override { ASSERT_TRUE(fake_.start()); }

  cfg::Config config(const std::string& jobs_yaml) {
    std::string text =
        "store: {path: " + dir_.file("c.db") +
        "}\n"
        "defaults:\n"
        "  concurrency: {max: 8}\n"
        "  retry: {backoff_base: 5ms, backoff_cap: 20ms}\n"
        "  rate_limits: {tile: {rate: 100000, burst: 1000}, anonymous: {rate: 1000, burst: 100},\n"
        "                static: {rate: 1000, burst: 100}, named: {rate: 1000, burst: 100},\n"
        "                named_list: {rate: 1000, burst: 100}, named_get: {rate: 1000, burst: 100}}\n"
        "sources:\n"
        "  seed: {shape: seed, base_url: \"" +
        fake_.base_url() + "/v1/\", api_key: \"${SEED_KEY}\"}\n" + "  v1: {shape: v1, base_url: \"" +
        fake_.base_url() + "/api/v1/\", api_key: \"${MASTER_KEY}\"}\n" + "jobs:\n" + jobs_yaml;
    auto out =
        cfg::parse_config(text, dir_.file("c.yaml"), {[](std::string_view n) -> std::optional<std::string> {
                            if (n == "SEED_KEY") return kSeedKey;
                            if (n == "MASTER_KEY") return kMasterKey;
                            return std::nullopt;
                          }});
    EXPECT_TRUE(out.ok()) << cfg::to_error(out).message;
    return out.config;
  }

  // Runs one job of `c` to completion on a fresh event loop and store writer.
  extract::RunSummary run(const cfg::Config& c, const std::string& job,
                          std::function<void()> while_running = nullptr) {
    asio::io_context ioc;
    store::WriterOptions wo;
    wo.path = c.store.path;
    auto writer = store::Writer::start(wo);
    EXPECT_TRUE(writer);
    extract::WriterBridge bridge(**writer);
    std::map<std::string, std::unique_ptr<extract::SourceFetcher>> fetchers;
    for (const auto& [name, s] : c.sources)
      fetchers[name] = std::move(*extract::SourceFetcher::create(ioc.get_executor(), s));
    extract::JobRunnerOptions o;
    o.config = &c;
    o.writer = &bridge;
    o.database_path = c.store.path;
    o.fetcher = [&](const std::string& s) -> extract::Fetcher* { return fetchers.at(s).get(); };
    extract::JobRunner runner(o);
    auto future = asio::co_spawn(ioc, runner.run(*c.find_job(job), "test"), asio::use_future);
    std::thread side;
    if (while_running) side = std::thread(while_running);
    ioc.run();
    if (side.joinable()) side.join();
    auto summary = future.get();
    (*writer)->stop();
    return summary;
  }

  store::Database db() { return std::move(*store::Database::open(dir_.file("c.db"), {.read_only = true})); }

  std::int64_t count(const std::string& sql) { return *db().query_int64(sql); }

  // What fake-carto serves for each z0-3 PNG tile of `token`, by "z/x/y".
  std::map<std::string, std::string> pyramid_bodies(const std::string& token) {
    std::map<std::string, std::string> bodies;
    carto::TileEnumerator e(carto::Coverage::world(), 0, 3);
    while (auto t = e.next()) {
      auto body = fake_.expected_tile(token, "mapnik", t->z, t->x, t->y, fake::TileFormat::png);
      EXPECT_TRUE(body) << carto::to_string(*t);
      bodies[carto::to_string(*t)] = body.value_or("");
    }
    return bodies;
  }

  cartopull::testing::TempDir dir_;
  fake::Server fake_;
};

TEST_F(Extraction, seed_shape_job_stores_every_resource) {
  auto c = config(R"(  - name: seed
    source: seed
    resources:
      - {name: map, kind: map}
      - {name: layergroup, kind: layergroup, data_selector: /layergroupid}
      - {name: metadata, kind: metadata, write_disposition: replace}
      - {name: static, kind: static, static: {width: 300, height: 200}}
      - {name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: 2, formats: [png]}}
)");
  auto s = run(c, "seed");
  EXPECT_EQ(s.status, store::RunStatus::ok) << s.error;
  EXPECT_EQ(s.counts.failed, 0);
  EXPECT_EQ(s.counts.fetched, 4 + 21);
  EXPECT_EQ(count("SELECT count(*) FROM res_seed__map"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM res_seed__layergroup"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM res_seed__metadata"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'ok'"), 1);

  // Every stored tile is byte-identical to what the server serves for that URL.
  fake::SyncClient client(fake_.port());
  auto database = db();
  auto tileset = database.query_int64("SELECT id FROM tilesets WHERE key = 'seed/tiles/png'");
  ASSERT_TRUE(tileset) << tileset.error().what();
  store::TileStore tiles(database);
  EXPECT_EQ(*tiles.count_tiles(*tileset), 21);
  carto::TileEnumerator e(carto::Coverage::world(), 0, 2);
  while (auto t = e.next()) {
    auto reply = client.get("/v1/tiles/" + carto::to_string(*t) + ".png?api_key=" + kSeedKey);
    ASSERT_EQ(reply.status, 200);
    auto stored = tiles.get_tile(*tileset, {t->z, t->x, t->y});
    ASSERT_TRUE(stored && *stored) << carto::to_string(*t);
    EXPECT_EQ(std::string((*stored)->begin(), (*stored)->end()), reply.body) << carto::to_string(*t);
  }
}

const char* kV1Job = R"(  - name: city
    source: v1
    resources:
      - name: lg
        kind: anonymous_map
        map_config: {version: 1.3.0, layers: [{type: mapnik, options: {sql: "select * from cities", cartocss: "#l{}", cartocss_version: 2.1.1}}]}
      - {name: tiles, kind: tiles, parent: lg, tiles: {min_zoom: 0, max_zoom: 3, formats: [png, mvt]}}
      - {name: overview, kind: static_center, parent: lg, static: {lat: 40, lng: -3, zoom: 3, width: 320, height: 240}}
)";

TEST_F(Extraction, v1_anonymous_map_feeds_its_token_to_tiles_and_static) {
  auto c = config(kV1Job);
  auto s = run(c, "city");
  EXPECT_EQ(s.status, store::RunStatus::ok) << s.error;
  // 85 tiles per format; empty MVTs answer 204 and count as empty.
  EXPECT_EQ(s.counts.fetched + s.counts.empty, 1 + 85 * 2 + 1);
  EXPECT_EQ(count("SELECT count(*) FROM res_city__lg"), 1);
  auto database = db();
  auto token = *database.query_text("SELECT layergroupid FROM res_city__lg");
  EXPECT_NE(token.find(':'), std::string::npos);
  store::TileStore tiles(database);
  for (std::string format : {"png", "mvt"}) {
    auto tileset = *database.query_int64("SELECT id FROM tilesets WHERE key = 'city/tiles/" + format + "'");
    carto::TileEnumerator e(carto::Coverage::world(), 0, 3);
    int compared = 0;
    while (auto t = e.next()) {
      auto expected = fake_.expected_tile(token, "mapnik", t->z, t->x, t->y,
                                          format == "png" ? fake::TileFormat::png : fake::TileFormat::mvt);
      ASSERT_TRUE(expected);
      auto stored = tiles.get_tile(tileset, {t->z, t->x, t->y});
      ASSERT_TRUE(stored);
      if (expected->empty()) {
        EXPECT_FALSE(*stored) << "an empty tile was stored";
        continue;
      }
      ASSERT_TRUE(*stored) << format << " " << carto::to_string(*t);
      EXPECT_EQ(std::string((*stored)->begin(), (*stored)->end()), *expected);
      ++compared;
    }
    EXPECT_GT(compared, 0);
  }
  EXPECT_EQ(count("SELECT count(*) FROM images"), 1);
}

TEST_F(Extraction, expired_token_mid_pyramid_is_renewed_without_refetching_stored_tiles) {
  auto c = config(kV1Job);
  fake::FaultSet slow;
  fake::FaultRule rule;
  rule.match = "tile";
  rule.latency = 2ms;
  slow.rules.push_back(rule);
  fake_.set_faults(slow);
  auto s = run(c, "city", [this] {
    for (int i = 0; i < 2000 && fake_.count("tile", 200) < 40; ++i) std::this_thread::sleep_for(1ms);
    fake_.expire_tokens();
  });
  EXPECT_EQ(s.status, store::RunStatus::ok) << s.error;
  EXPECT_GE(fake_.count("map_post", 200), 2u) << "the map was re-instantiated";
  EXPECT_GE(fake_.count("tile", 400), 1u) << "some tile met the expired token";
  // No tile was fetched twice: 200s + 204s equal the pyramid.
  EXPECT_EQ(fake_.count("tile", 200) + fake_.count("tile", 204), 85u * 2);
  EXPECT_EQ(s.counts.failed, 0);
}

// An anonymous map and its z0-3 PNG pyramid (85 tiles).
const char* kCityPngJob = R"(  - name: city
    source: v1
    resources:
      - name: lg
        kind: anonymous_map
        map_config: {version: 1.3.0, layers: [{type: mapnik, options: {sql: "select * from cities", cartocss: "#l{}", cartocss_version: 2.1.1}}]}
      - {name: tiles, kind: tiles, parent: lg, tiles: {min_zoom: 0, max_zoom: 3, formats: [png]}}
)";

TEST_F(Extraction, a_second_run_revalidates_and_a_bump_refetches_only_changed_tiles) {
  auto c = config(kCityPngJob);
  auto first = run(c, "city");
  ASSERT_EQ(first.status, store::RunStatus::ok) << first.error;
  EXPECT_EQ(first.counts.fetched, 1 + 85);

  auto second = run(c, "city");
  EXPECT_EQ(second.status, store::RunStatus::ok) << second.error;
  EXPECT_EQ(second.counts.unchanged, 85) << "304 Not Modified for every tile";
  EXPECT_EQ(second.counts.fetched, 1);

  auto token = *db().query_text("SELECT layergroupid FROM res_city__lg ORDER BY _id LIMIT 1");
  auto md5 = token.substr(0, token.find(':'));
  auto before = pyramid_bodies(token);
  fake_.bump(md5);
  auto third = run(c, "city");
  EXPECT_EQ(third.status, store::RunStatus::ok) << third.error;
  auto new_token = *db().query_text("SELECT layergroupid FROM res_city__lg ORDER BY _id DESC LIMIT 1");
  ASSERT_NE(new_token, token);
  int changed = 0;
  for (const auto& [tile, body] : pyramid_bodies(new_token)) changed += body != before.at(tile);
  ASSERT_GT(changed, 0);
  EXPECT_EQ(third.counts.fetched, 1 + changed) << "exactly the changed tiles are rewritten";
  EXPECT_EQ(third.counts.unchanged, 85 - changed);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : bytes) out += {kDigits[b >> 4], kDigits[b & 15]};
  return out;
}

TEST_F(Extraction, a_resume_after_a_data_bump_revalidates_tiles_of_the_old_version) {
  auto c = config(kCityPngJob);
  auto first = run(c, "city");
  ASSERT_EQ(first.status, store::RunStatus::ok) << first.error;
  auto token = *db().query_text("SELECT layergroupid FROM res_city__lg ORDER BY _id LIMIT 1");
  EXPECT_EQ(count("SELECT count(*) FROM tiles WHERE token = '" + token + "'"), 85)
      << "the whole token is kept";
  {
    // As if the process died just before marking the run done: every tile is stored, the run resumable.
    auto rw = std::move(*store::Database::open(dir_.file("c.db"), {}));
    ASSERT_TRUE(rw.exec("UPDATE runs SET status = 'interrupted', finished_at = NULL WHERE id = " +
                        std::to_string(first.run)));
  }
  auto before = pyramid_bodies(token);
  fake_.bump(token.substr(0, token.find(':')));

  auto resumed = run(c, "city");
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.run, first.run);
  EXPECT_EQ(resumed.status, store::RunStatus::ok) << resumed.error;
  auto new_token = *db().query_text("SELECT layergroupid FROM res_city__lg ORDER BY _id DESC LIMIT 1");
  ASSERT_NE(new_token, token);
  int changed = 0;
  auto database = db();
  for (const auto& [tile, now] : pyramid_bodies(new_token)) {
    changed += now != before.at(tile);
    unsigned z = 0, x = 0, y = 0;
    ASSERT_EQ(std::sscanf(tile.c_str(), "%u/%u/%u", &z, &x, &y), 3) << tile;
    auto stored = database.query_text(
        "SELECT hex(b.data) FROM tiles t JOIN blobs b ON b.id = t.blob_id WHERE t.z = " + std::to_string(z) +
        " AND t.x = " + std::to_string(x) + " AND t.y = " + std::to_string(y));
    ASSERT_TRUE(stored) << tile;
    EXPECT_TRUE(*stored == hex(now)) << tile << " is one data version old";
  }
  ASSERT_GT(changed, 0);
  EXPECT_EQ(resumed.counts.fetched, 1 + changed) << "the changed tiles are rewritten";
  EXPECT_EQ(resumed.counts.unchanged, 85 - changed) << "the rest revalidated, not skipped";
  EXPECT_EQ(count("SELECT count(*) FROM tiles WHERE token = '" + new_token + "'"), 85);
}

TEST_F(Extraction, failures_over_the_threshold_fail_the_run_and_the_next_run_clears_them) {
  auto c = config(R"(  - name: seed
    source: seed
    resources:
      - {name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: 1}}
)");
  fake::FaultSet broken;
  fake::FaultRule rule;
  rule.match = "seed_tile";
  rule.errors = {{500, 1.0}};
  broken.rules.push_back(rule);
  fake_.set_faults(broken);
  auto s = run(c, "seed");
  EXPECT_EQ(s.status, store::RunStatus::failed);
  EXPECT_EQ(s.counts.failed, 5);
  EXPECT_NE(s.error.find("HTTP 500"), std::string::npos) << s.error;
  EXPECT_EQ(count("SELECT count(*) FROM dead_letters"), 5);
  EXPECT_EQ(count("SELECT count(*) FROM runs WHERE status = 'failed'"), 1);

  // The next run retries them; once they succeed, no dead letter is left.
  fake_.set_faults({});
  auto again = run(c, "seed");
  EXPECT_EQ(again.status, store::RunStatus::ok) << again.error;
  EXPECT_EQ(again.counts.fetched, 5);
  EXPECT_EQ(count("SELECT count(*) FROM dead_letters"), 0);
}

TEST_F(Extraction, named_map_flows_work_and_no_api_key_reaches_the_database) {
  auto c = config(R"(  - name: seed
    source: seed
    resources:
      - {name: map, kind: map}
      - {name: layergroup, kind: layergroup, data_selector: /layergroupid}
      - {name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: 1}}
  - name: named
    source: v1
    resources:
      - {name: templates, kind: named_templates}
      - {name: tpl, kind: named_template, template_id: demo_open}
      - {name: inst, kind: named_map, template_id: demo_open, template_params: {color: blue}}
      - {name: inst-tiles, kind: tiles, parent: inst, tiles: {min_zoom: 0, max_zoom: 1, formats: [png, grid.json], layer: "0"}}
      - {name: tpl-tiles, kind: named_tiles, template_id: demo_open, tiles: {min_zoom: 0, max_zoom: 1, scale: 2}}
      - {name: tpl-static, kind: static_named, template_id: demo_open, static: {bbox: [-10, 35, 5, 44], width: 200, height: 100}}
)");
  EXPECT_EQ(run(c, "seed").status, store::RunStatus::ok);
  auto named = run(c, "named");
  EXPECT_EQ(named.status, store::RunStatus::ok) << named.error;
  // Named maps: the list, the definition, an instance whose token feeds layer-filtered tiles (PNG and
  // UTFGrid), @2x tiles straight from the template and a static image of it.
  EXPECT_EQ(named.counts.failed, 0);
  EXPECT_EQ(named.counts.fetched + named.counts.empty, 3 + 5 * 2 + 5 + 1);
  EXPECT_EQ(count("SELECT count(*) FROM tilesets WHERE key IN ('named/inst-tiles/png', "
                  "'named/inst-tiles/grid.json', 'named/tpl-tiles/png@2x')"),
            3);
  EXPECT_EQ(count("SELECT count(*) FROM images WHERE resource = 'tpl-static'"), 1);
  EXPECT_EQ(fake_.count("named_tile", 200), 5u);
  for (const auto& suffix : {"", "-wal"}) {
    std::ifstream in(dir_.file("c.db") + suffix, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(kSeedKey), std::string::npos) << suffix;
    EXPECT_EQ(bytes.str().find(kMasterKey), std::string::npos) << suffix;
  }
}

}  // namespace
