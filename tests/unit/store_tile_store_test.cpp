#include <gtest/gtest.h>
#include <set>

#include "store/blob_hash.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/tile_store.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;

const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

struct StoreTileStore : ::testing::Test {
  void SetUp() override {
    auto opened = Database::open(":memory:");
    ASSERT_TRUE(opened);
    db = std::make_unique<Database>(std::move(*opened));
    ASSERT_TRUE(migrate(*db));
    tiles = std::make_unique<TileStore>(*db);
    tileset = tiles->ensure_tileset("src|map|all|png|1", "png", kT0).value();
  }
  TileWrite tile(TileKey key, std::string_view data) {
    TileWrite w;
    w.tileset = tileset;
    w.key = key;
    w.data = bytes(data);
    w.freshness.fetched_at = kT0;
    return w;
  }
  std::unique_ptr<Database> db;
  std::unique_ptr<TileStore> tiles;
  TilesetId tileset = 0;
};

TEST(StoreTileMath, tms_row_flips_y) {
  struct Case {
    std::uint32_t z, y, row;
  };
  for (const auto& c :
       {Case{0, 0, 0}, Case{1, 0, 1}, Case{1, 1, 0}, Case{11, 791, 1256}, Case{20, 0, 1048575}}) {
    EXPECT_EQ(tms_row(c.z, c.y), c.row) << c.z << "/" << c.y;
  }
}

TEST(StoreTileMath, carto_formats_map_to_mbtiles_formats) {
  EXPECT_EQ(mbtiles_format("mvt"), "pbf");
  EXPECT_EQ(mbtiles_format("png32"), "png");
  EXPECT_EQ(mbtiles_format("png"), "png");
  EXPECT_EQ(mbtiles_format("jpg"), "jpg");
  EXPECT_EQ(mbtiles_format("grid.json"), "application/json");
}

TEST_F(StoreTileStore, ensure_tileset_is_idempotent_per_key) {
  EXPECT_EQ(tiles->ensure_tileset("src|map|all|png|1", "png", kT0).value(), tileset);
  EXPECT_NE(tiles->ensure_tileset("src|map|all|png|2", "png", kT0).value(), tileset);
  EXPECT_EQ(tiles->find_tileset("src|map|all|png|1").value(), tileset);
  EXPECT_FALSE(tiles->find_tileset("nope").value());
}

TEST_F(StoreTileStore, identical_tiles_share_one_blob) {
  EXPECT_TRUE(tiles->put_tile(tile({3, 1, 2}, "blank")).value());
  EXPECT_FALSE(tiles->put_tile(tile({3, 1, 3}, "blank")).value());
  EXPECT_FALSE(tiles->put_tile(tile({3, 2, 3}, "blank")).value());
  EXPECT_TRUE(tiles->put_tile(tile({3, 2, 2}, "land")).value());
  EXPECT_EQ(tiles->count_tiles(tileset).value(), 4);
  EXPECT_EQ(db->query_int64("SELECT count(*) FROM blobs").value(), 2);
  EXPECT_EQ(tiles->get_tile(tileset, {3, 1, 3}).value(), bytes("blank"));
}

TEST_F(StoreTileStore, has_tiles_tells_an_empty_tileset_from_a_filled_one) {
  const auto other = tiles->ensure_tileset("src|map|all|png|2", "png", kT0).value();
  EXPECT_FALSE(tiles->has_tiles(tileset).value());
  ASSERT_TRUE(tiles->put_tile(tile({0, 0, 0}, "one")));
  EXPECT_TRUE(tiles->has_tiles(tileset).value());
  EXPECT_FALSE(tiles->has_tiles(other).value());  // per tileset, not per database
}

TEST_F(StoreTileStore, rewriting_a_tile_replaces_bytes_and_freshness) {
  auto first = tile({5, 10, 11}, "v1");
  first.freshness.etag = "\"a\"";
  first.run = 1;
  ASSERT_TRUE(tiles->put_tile(first));
  auto second = tile({5, 10, 11}, "v2");
  second.freshness.fetched_at = kT0 + 1h;
  second.freshness.etag = "\"b\"";
  second.freshness.last_modified = "Wed, 25 Nov 2026 01:00:00 GMT";
  second.freshness.token = "lg-123";
  second.run = 2;
  ASSERT_TRUE(tiles->put_tile(second));
  EXPECT_EQ(tiles->count_tiles(tileset).value(), 1);
  EXPECT_EQ(tiles->get_tile(tileset, {5, 10, 11}).value(), bytes("v2"));
  auto state = tiles->tile_state(tileset, {5, 10, 11}).value();
  ASSERT_TRUE(state);
  EXPECT_EQ(state->hash, blob_hash(bytes("v2")));
  EXPECT_EQ(state->size, 2);
  EXPECT_EQ(state->etag, "\"b\"");
  EXPECT_EQ(state->last_modified, "Wed, 25 Nov 2026 01:00:00 GMT");
  EXPECT_EQ(state->token, "lg-123");
  EXPECT_EQ(state->fetched_at, "2026-11-25T01:00:00.000Z");
  EXPECT_EQ(state->run, 2);
}

TEST_F(StoreTileStore, not_modified_touch_keeps_bytes_and_updates_freshness) {
  auto first = tile({1, 0, 0}, "same");
  first.freshness.etag = "\"e\"";
  ASSERT_TRUE(tiles->put_tile(first));
  TileFreshness fresh{kT0 + 2h, std::nullopt, std::nullopt, "lg-2"};
  EXPECT_TRUE(tiles->touch_tile(tileset, {1, 0, 0}, fresh, 7).value());
  EXPECT_FALSE(tiles->touch_tile(tileset, {1, 1, 0}, fresh, 7).value());
  auto state = tiles->tile_state(tileset, {1, 0, 0}).value();
  EXPECT_EQ(state->etag, "\"e\"");  // a 304 without ETag keeps the old validator
  EXPECT_EQ(state->token, "lg-2");
  EXPECT_EQ(state->fetched_at, "2026-11-25T02:00:00.000Z");
  EXPECT_EQ(state->run, 7);
  EXPECT_EQ(tiles->get_tile(tileset, {1, 0, 0}).value(), bytes("same"));
}

TEST_F(StoreTileStore, mbtiles_view_exposes_tms_rows) {
  ASSERT_TRUE(tiles->put_tile(tile({11, 327, 791}, "t")));
  EXPECT_EQ(db->query_int64("SELECT tile_row FROM mbtiles_tiles WHERE zoom_level = 11 AND tile_column = 327")
                .value(),
            1256);
}

TEST_F(StoreTileStore, tiles_of_run_lists_what_a_resumed_run_can_skip) {
  auto a = tile({2, 0, 0}, "a");
  a.run = 5;
  auto b = tile({2, 1, 0}, "b");
  b.run = 5;
  auto c = tile({2, 1, 1}, "c");
  c.run = 4;
  for (const auto& t : {a, b, c}) ASSERT_TRUE(tiles->put_tile(t));
  EXPECT_EQ(tiles->tiles_of_run(tileset, 5).value(), (std::vector<TileKey>{{2, 0, 0}, {2, 1, 0}}));
}

TEST_F(StoreTileStore, metadata_is_replaced_whole) {
  TilesetMetadata m;
  m.name = "roads";
  m.format = "png";
  m.bounds = "-10,-10,10,10";
  m.center = "0,0,2";
  m.minzoom = 0;
  m.maxzoom = 4;
  m.extra = {{"attribution", "CARTO"}};
  ASSERT_TRUE(tiles->set_metadata(tileset, m));
  EXPECT_EQ(tiles->metadata(tileset).value().size(), 7u);
  m.extra.clear();
  m.bounds.reset();
  ASSERT_TRUE(tiles->set_metadata(tileset, m));
  auto rows = tiles->metadata(tileset).value();
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows.front(), (std::pair<std::string, std::string>{"center", "0,0,2"}));
  m.name.clear();
  EXPECT_FALSE(tiles->set_metadata(tileset, m));
  EXPECT_EQ(tiles->metadata(tileset).value().size(), 5u);  // refused write left the old keys
}

}  // namespace
}  // namespace cartopull::store

namespace cartopull::store {
namespace {

TEST(StoreBlobHash, is_deterministic_and_sensitive_to_every_byte_and_length) {
  std::vector<std::uint8_t> data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  const auto base = blob_hash(data);
  EXPECT_EQ(blob_hash(data), base);
  std::set<std::int64_t> seen{base};
  for (std::size_t i :
       {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{500}, std::size_t{999}}) {
    auto changed = data;
    changed[i] ^= 1;
    EXPECT_TRUE(seen.insert(blob_hash(changed)).second) << i;
  }
  for (std::size_t n = 0; n < 70; ++n) {  // every tail length, and zero padding is not "the same"
    EXPECT_TRUE(seen.insert(blob_hash(std::span(data).first(n))).second) << n;
  }
}

TEST(StoreBlobStore, a_hash_collision_never_shares_a_blob) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  BlobStore blobs(*db);
  const std::vector<std::uint8_t> a{1, 2, 3}, b{4, 5, 6};
  // Force the same hash for different bytes: the store must compare bytes.
  auto first = blobs.put(a, 42).value();
  auto second = blobs.put(b, 42).value();
  auto again = blobs.put(a, 42).value();
  EXPECT_TRUE(first.inserted);
  EXPECT_TRUE(second.inserted);
  EXPECT_NE(first.id, second.id);
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.id, first.id);
}

}  // namespace
}  // namespace cartopull::store
