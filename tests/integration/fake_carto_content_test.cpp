// fake-carto content: valid PNG/MVT/UTFGrid bodies, realistic sizes, blank tiles, recomputable
// bodies and data changes through the cache buster (through real sockets).
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <set>

#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"

namespace cartopull::fake {
namespace {

constexpr const char* kConfig =
    R"({"version":"1.3.0","layers":[{"type":"mapnik","options":{"cartocss_version":"2.1.1",
    "cartocss":"#layer { polygon-fill: #FFF; }","sql":"select 1","interactivity":"cartodb_id"}}]})";
const std::vector<std::pair<std::string, std::string>> kJson = {{"Content-Type", "application/json"}};

std::uint32_t be32(const std::string& s, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + at);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// Walks every chunk, checks each CRC, inflates IDAT and checks the scanline byte count.
::testing::AssertionResult valid_png(const std::string& png) {
  if (png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return ::testing::AssertionFailure() << "no signature";
  std::size_t pos = 8;
  std::string idat, first, last;
  std::uint32_t width = 0, height = 0, bpp = 0;
  while (pos + 12 <= png.size()) {
    const auto len = be32(png, pos);
    const std::string type = png.substr(pos + 4, 4);
    if (pos + 12 + len > png.size()) return ::testing::AssertionFailure() << "chunk overruns";
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + pos + 4), len + 4);
    if (crc != be32(png, pos + 8 + len)) return ::testing::AssertionFailure() << "bad CRC in " << type;
    if (first.empty()) first = type;
    last = type;
    if (type == "IHDR") {
      width = be32(png, pos + 8);
      height = be32(png, pos + 12);
      bpp = png[pos + 17] == 3 ? 1 : 4;
    }
    if (type == "IDAT") idat += png.substr(pos + 8, len);
    pos += 12 + len;
  }
  if (first != "IHDR" || last != "IEND" || pos != png.size())
    return ::testing::AssertionFailure() << "layout";
  std::string raw(static_cast<std::size_t>(width * bpp + 1) * height + 1, '\0');
  uLongf raw_len = raw.size();
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len, reinterpret_cast<const Bytef*>(idat.data()),
                 idat.size()) != Z_OK)
    return ::testing::AssertionFailure() << "IDAT does not inflate";
  if (raw_len != static_cast<uLongf>(width * bpp + 1) * height)
    return ::testing::AssertionFailure() << "scanline bytes " << raw_len;
  return ::testing::AssertionSuccess();
}

std::uint64_t varint(const std::string& s, std::size_t& pos) {
  std::uint64_t v = 0;
  for (int shift = 0; pos < s.size(); shift += 7) {
    auto b = static_cast<unsigned char>(s[pos++]);
    v |= std::uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}

struct MvtSummary {
  std::uint64_t version = 0, extent = 0, features = 0;
  std::string name;
};

// A minimal protobuf walk of Tile.layers (field 3) -> Layer fields 15, 1, 2, 5.
MvtSummary decode_mvt(const std::string& tile) {
  MvtSummary out;
  std::size_t pos = 0;
  while (pos < tile.size()) {
    auto key = varint(tile, pos);
    EXPECT_EQ(key, (3u << 3) | 2u);
    auto len = varint(tile, pos);
    std::string layer = tile.substr(pos, len);
    pos += len;
    std::size_t lp = 0;
    while (lp < layer.size()) {
      auto k = varint(layer, lp);
      auto field = k >> 3, wire = k & 7;
      if (wire == 0) {
        auto v = varint(layer, lp);
        if (field == 15) out.version = v;
        if (field == 5) out.extent = v;
      } else {
        auto n = varint(layer, lp);
        if (field == 1) out.name = layer.substr(lp, n);
        if (field == 2) ++out.features;
        lp += n;
      }
    }
  }
  return out;
}

class FakeCartoContent : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server.start());
    client = std::make_unique<SyncClient>(server.port());
    auto r = client->request("POST", "/api/v1/map", kConfig, kJson);
    token = std::string(boost::json::parse(r.body).at("layergroupid").as_string());
  }
  std::string tile(int z, int x, int y, const std::string& ext) {
    auto r = client->get("/api/v1/map/" + token + "/" + std::to_string(z) + "/" + std::to_string(x) + "/" +
                         std::to_string(y) + "." + ext);
    EXPECT_TRUE(r.status == 200 || r.status == 204) << r.status;
    return r.body;
  }
  Server server;
  std::unique_ptr<SyncClient> client;
  std::string token;
};

TEST_F(FakeCartoContent, png_tiles_are_valid_realistic_and_distinct_with_identical_blanks) {
  std::set<std::string> distinct;
  std::map<std::string, int> counts;
  std::size_t blanks = 0;
  for (int x = 0; x < 16; ++x) {
    for (int y = 0; y < 4; ++y) {
      auto png = tile(4, x, y, "png");
      ASSERT_TRUE(valid_png(png)) << x << "/" << y;
      ++counts[png];
      distinct.insert(png);
    }
  }
  for (const auto& [body, n] : counts) {
    if (n > 1) {
      blanks += n;
      EXPECT_LT(body.size(), 1024u);  // the one blank tile, repeated
    } else {
      EXPECT_GE(body.size(), 1000u);
      EXPECT_LE(body.size(), 30u * 1024);
    }
  }
  EXPECT_GE(blanks, 2u);  // about one in eight of 64
  EXPECT_LE(blanks, 24u);
  EXPECT_GE(distinct.size(), 40u);
  ASSERT_TRUE(valid_png(tile(4, 3, 3, "png32")));
}

TEST_F(FakeCartoContent, mvt_tiles_are_valid_protobuf) {
  int decoded = 0;
  for (int x = 0; x < 16; ++x) {
    auto mvt = tile(4, x, 1, "mvt");
    if (mvt.empty()) continue;
    auto s = decode_mvt(mvt);
    EXPECT_EQ(s.version, 2u);
    EXPECT_EQ(s.extent, 4096u);
    EXPECT_EQ(s.name, "layer0");
    EXPECT_GE(s.features, 1u);
    ++decoded;
  }
  EXPECT_GE(decoded, 8);  // about seven in eight are not blank
}

TEST_F(FakeCartoContent, grid_json_is_a_64_by_64_utfgrid_whose_keys_have_data) {
  auto j = boost::json::parse(tile(3, 2, 2, "grid.json"));
  const auto& grid = j.at("grid").as_array();
  ASSERT_EQ(grid.size(), 64u);
  for (const auto& row : grid) EXPECT_EQ(row.as_string().size(), 64u);  // ASCII codepoints for few keys
  const auto& keys = j.at("keys").as_array();
  EXPECT_EQ(keys.at(0).as_string(), "");
  for (std::size_t i = 1; i < keys.size(); ++i)
    EXPECT_TRUE(j.at("data").as_object().contains(keys[i].as_string())) << keys[i];
}

TEST_F(FakeCartoContent, served_bodies_equal_the_recomputed_ones) {
  for (int x = 0; x < 4; ++x) {
    EXPECT_EQ(tile(2, x, 1, "png"), server.expected_tile(token, "mapnik", 2, x, 1, TileFormat::png).value());
    EXPECT_EQ(tile(2, x, 1, "mvt"), server.expected_tile(token, "mapnik", 2, x, 1, TileFormat::mvt).value());
  }
  EXPECT_FALSE(server.expected_tile("0123456789abcdef0123456789abcdef", "mapnik", 0, 0, 0, TileFormat::png));
}

TEST_F(FakeCartoContent, bumping_the_cache_buster_changes_token_last_updated_and_some_tiles) {
  // Each non-blank tile changes with probability 1/3, so a 16-tile sample stayed the same once in ~300
  // runs; 96 tiles (about 84 non-blank) make that about 1e-15.
  std::vector<std::string> before;
  for (int i = 0; i < 96; ++i) before.push_back(tile(4, i % 16, i / 16, "png"));
  const auto md5 = token.substr(0, 32);
  auto bumped = client->request("POST", "/_fake/bump/" + md5);
  ASSERT_EQ(bumped.status, 200);
  const auto cb = boost::json::parse(bumped.body).at("cache_buster").as_int64();
  EXPECT_GE(cb, 1'700'000'001'000);
  auto r = client->request("POST", "/api/v1/map", kConfig, kJson);
  auto j = boost::json::parse(r.body);
  const std::string fresh(j.at("layergroupid").as_string());
  EXPECT_EQ(fresh, md5 + ":" + std::to_string(cb));
  EXPECT_NE(j.at("last_updated").as_string(), "2023-11-14T22:13:20.000Z");
  token = fresh;
  int changed = 0, same = 0;
  for (int i = 0; i < 96; ++i) {
    auto now = tile(4, i % 16, i / 16, "png");
    (now == before[static_cast<std::size_t>(i)] ? same : changed)++;
    EXPECT_EQ(now, server.expected_tile(token, "mapnik", 4, i % 16, i / 16, TileFormat::png).value());
  }
  EXPECT_GT(changed, 0);
  EXPECT_GT(same, 0);
  EXPECT_EQ(server.cache_busters(md5).size(), 2u);
  EXPECT_EQ(server.bump("no-such-map"), -1);
  EXPECT_EQ(client->request("POST", "/_fake/bump/no-such-map").status, 404);
}

TEST_F(FakeCartoContent, static_jpg_is_a_baseline_jpeg_of_the_requested_size) {
  auto r = client->get("/api/v1/map/static/center/" + token + "/3/10/20/123/45.jpg");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "image/jpeg");
  const auto& j = r.body;
  ASSERT_GT(j.size(), 200u);
  EXPECT_EQ(j.substr(0, 2), "\xff\xd8");
  EXPECT_EQ(j.substr(j.size() - 2), "\xff\xd9");
  auto sof = j.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  const auto* p = reinterpret_cast<const unsigned char*>(j.data() + sof);
  EXPECT_EQ((p[5] << 8) | p[6], 45);   // height
  EXPECT_EQ((p[7] << 8) | p[8], 123);  // width
  EXPECT_EQ(p[9], 3);                  // YCbCr
  // Entropy-coded data never holds a bare 0xFF marker byte before EOI (byte stuffing).
  auto sos = j.find("\xff\xda");
  ASSERT_NE(sos, std::string::npos);
  for (std::size_t i = sos + 14; i + 2 < j.size(); ++i) {
    if (static_cast<unsigned char>(j[i]) == 0xff) {
      ASSERT_EQ(j[i + 1], '\0') << i;
    }
  }
}

TEST_F(FakeCartoContent, expire_control_forgets_tokens) {
  EXPECT_EQ(client->request("POST", "/_fake/expire").status, 200);
  auto r = client->get("/api/v1/map/" + token + "/0/0/0.png");
  EXPECT_EQ(r.status, 400);
}

}  // namespace
}  // namespace cartopull::fake
