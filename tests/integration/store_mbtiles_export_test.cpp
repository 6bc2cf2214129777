#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "store/database.hpp"
#include "store/mbtiles_export.hpp"
#include "store/migrations.hpp"
#include "store/tile_store.hpp"

namespace cartopull::store {
namespace {

namespace fs = std::filesystem;

const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

// A real 256x256 RGBA PNG of one colour, so gdalinfo can decode the tiles it samples.
std::vector<std::uint8_t> png_tile(std::uint8_t red) {
  std::vector<std::uint8_t> raw;
  for (int row = 0; row < 256; ++row) {
    raw.push_back(0);  // filter: none
    for (int col = 0; col < 256; ++col) raw.insert(raw.end(), {red, 0x40, 0x80, 0xff});
  }
  uLongf packed_size = compressBound(raw.size());
  std::vector<std::uint8_t> packed(packed_size);
  compress(packed.data(), &packed_size, raw.data(), raw.size());
  packed.resize(packed_size);
  std::vector<std::uint8_t> png{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto chunk = [&](const char* type, const std::vector<std::uint8_t>& data) {
    const auto n = static_cast<std::uint32_t>(data.size());
    png.insert(png.end(),
               {std::uint8_t(n >> 24), std::uint8_t(n >> 16), std::uint8_t(n >> 8), std::uint8_t(n)});
    const auto start = png.size();
    png.insert(png.end(), type, type + 4);
    png.insert(png.end(), data.begin(), data.end());
    const auto crc =
        static_cast<std::uint32_t>(crc32(0, png.data() + start, static_cast<uInt>(png.size() - start)));
    png.insert(png.end(),
               {std::uint8_t(crc >> 24), std::uint8_t(crc >> 16), std::uint8_t(crc >> 8), std::uint8_t(crc)});
  };
  chunk("IHDR", {0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0});
  chunk("IDAT", packed);
  chunk("IEND", {});
  return png;
}

std::string run_command(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return output;
  }
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) output += buffer.data();
  status = ::pclose(pipe);
  return output;
}

bool have_program(const char* name) {
  int status = 0;
  run_command(std::string("command -v ") + name + " >/dev/null 2>&1", status);
  return status == 0;
}

struct StoreMbtilesExport : ::testing::Test {
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cartopull-store-export-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto opened = Database::open((dir / "main.db").string());
    ASSERT_TRUE(opened) << opened.error().what();
    db = std::make_unique<Database>(std::move(*opened));
    ASSERT_TRUE(migrate(*db));
    tiles = std::make_unique<TileStore>(*db);
  }
  void TearDown() override {
    tiles.reset();
    db.reset();
    fs::remove_all(dir);
  }
  void put(TilesetId tileset, TileKey key, std::vector<std::uint8_t> data) {
    TileWrite w;
    w.tileset = tileset;
    w.key = key;
    w.data = std::move(data);
    w.freshness.fetched_at = kT0;
    ASSERT_TRUE(tiles->put_tile(w));
  }
  fs::path dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<TileStore> tiles;
};

TEST_F(StoreMbtilesExport, png_tileset_is_valid_mbtiles_with_tms_rows_and_deduplicated_images) {
  const auto ts = tiles->ensure_tileset("src|roads|all|png|1", "png", kT0).value();
  const auto other = tiles->ensure_tileset("src|other|all|png|1", "png", kT0).value();
  const auto ocean = png_tile(0);
  const auto land = png_tile(200);
  put(ts, {1, 0, 0}, ocean);
  put(ts, {1, 0, 1}, land);
  put(ts, {2, 0, 0}, ocean);
  put(ts, {2, 1, 0}, ocean);
  put(other, {0, 0, 0}, land);  // another tileset must not leak into the export
  TilesetMetadata m;
  m.name = "Roads";
  m.format = "png";
  m.extra = {{"attribution", "© CARTO"}};
  ASSERT_TRUE(tiles->set_metadata(ts, m));

  const auto path = (dir / "roads.mbtiles").string();
  auto stats = export_mbtiles(*db, ts, path);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->tiles, 4);
  EXPECT_EQ(stats->unique_blobs, 2);
  EXPECT_FALSE(fs::exists(path + ".tmp-" + std::to_string(::getpid())));

  OpenOptions ro;
  ro.read_only = true;
  auto out = Database::open(path, ro);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->query_int64("PRAGMA application_id").value(), 0x4d504258);
  EXPECT_EQ(out->query_text("PRAGMA journal_mode").value(), "delete");  // one self-contained file
  EXPECT_EQ(out->query_int64("SELECT count(*) FROM tiles").value(), 4);
  EXPECT_EQ(out->query_int64("SELECT count(*) FROM images").value(), 2);
  // XYZ 1/0/0 (north-west) is TMS row 1; XYZ 2/1/0 is TMS row 3.
  EXPECT_EQ(out->query_int64("SELECT count(*) FROM tiles WHERE zoom_level=1 AND tile_column=0 AND tile_row=1")
                .value(),
            1);
  EXPECT_EQ(out->query_int64("SELECT count(*) FROM tiles WHERE zoom_level=2 AND tile_column=1 AND tile_row=3")
                .value(),
            1);
  auto blob = out->prepare("SELECT tile_data FROM tiles WHERE zoom_level=1 AND tile_column=0 AND tile_row=0");
  ASSERT_TRUE(blob && blob->step().value());
  EXPECT_EQ(blob->column_blob(0), land);  // XYZ 1/0/1 is the south-west tile
  auto meta = [&](const char* name) -> std::string {
    auto value = out->query_text(std::string("SELECT value FROM metadata WHERE name='") + name + "'");
    return value ? *value : "<missing>";
  };
  EXPECT_EQ(meta("name"), "Roads");
  EXPECT_EQ(meta("format"), "png");
  EXPECT_EQ(meta("minzoom"), "1");
  EXPECT_EQ(meta("maxzoom"), "2");
  EXPECT_EQ(meta("bounds"), "-180.000000,-85.051129,0.000000,85.051129");
  EXPECT_EQ(meta("center"), "-90.000000,0.000000,1");
  EXPECT_EQ(meta("attribution"), "© CARTO");

  if (have_program("gdalinfo")) {
    int status = 0;
    const auto info = run_command("gdalinfo '" + path + "' 2>&1", status);
    EXPECT_EQ(status, 0) << info;
    EXPECT_NE(info.find("Driver: MBTiles"), std::string::npos) << info;
    EXPECT_NE(info.find("ZOOM_LEVEL=2"), std::string::npos) << info;
  }
}

TEST_F(StoreMbtilesExport, pbf_tiles_are_gzipped_and_json_metadata_is_required) {
  const auto ts = tiles->ensure_tileset("src|roads|all|mvt|1", "mvt", kT0).value();
  put(ts, {0, 0, 0}, {0x1a, 0x02, 0x78, 0x01});  // raw MVT bytes as CARTO serves them
  const auto path = (dir / "roads-mvt.mbtiles").string();
  auto refused = export_mbtiles(*db, ts, path);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("vector_layers"), std::string::npos);
  EXPECT_FALSE(fs::exists(path));

  TilesetMetadata m;
  m.name = "roads";
  m.format = "pbf";
  m.json = R"({"vector_layers":[{"id":"layer0","fields":{"name":"String"}}]})";
  ASSERT_TRUE(tiles->set_metadata(ts, m));
  ASSERT_TRUE(export_mbtiles(*db, ts, path));
  auto out = Database::open(path, {.read_only = true});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->query_text("SELECT value FROM metadata WHERE name='format'").value(), "pbf");
  EXPECT_EQ(
      out->query_int64("SELECT json_array_length(value, '$.vector_layers') FROM metadata WHERE name='json'")
          .value(),
      1);
  EXPECT_EQ(out->query_text("SELECT hex(substr(tile_data, 1, 2)) FROM tiles").value(), "1F8B");
}

TEST_F(StoreMbtilesExport, export_replaces_an_existing_file_atomically) {
  const auto ts = tiles->ensure_tileset("k", "png", kT0).value();
  put(ts, {0, 0, 0}, png_tile(1));
  const auto path = (dir / "k.mbtiles").string();
  {
    std::ofstream old(path);
    old << "previous export";
  }
  ASSERT_TRUE(export_mbtiles(*db, ts, path));
  auto out = Database::open(path, {.read_only = true});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->query_int64("SELECT count(*) FROM tiles").value(), 1);
  // Only the final file remains in the directory: no temp or journal left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 4);  // main.db, main.db-wal, main.db-shm, k.mbtiles
}

TEST_F(StoreMbtilesExport, unknown_tileset_is_an_error_and_writes_nothing) {
  const auto path = (dir / "none.mbtiles").string();
  auto r = export_mbtiles(*db, 999, path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::store_failed));
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace cartopull::store
