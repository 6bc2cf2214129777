#include <gtest/gtest.h>

#include "store/content_hash.hpp"
#include "store/database.hpp"
#include "store/image_store.hpp"
#include "store/migrations.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;
const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

TEST(StoreImageStore, new_version_only_when_bytes_change) {
  auto db = Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(migrate(*db));
  ImageStore images(*db);
  auto image = [&](std::string_view bytes, RunId run) {
    return ImageWrite{"maps", "preview", run,  kT0 + std::chrono::hours(run), {bytes.begin(), bytes.end()},
                      600,    400,       "png"};
  };
  EXPECT_TRUE(images.put(image("A", 1)).value());
  EXPECT_FALSE(images.put(image("A", 2)).value());
  EXPECT_TRUE(images.put(image("B", 3)).value());
  EXPECT_TRUE(images.put(image("A", 4)).value());  // back to A: a change relative to the latest
  auto other = image("A", 4);
  other.resource = "thumb";
  EXPECT_TRUE(images.put(other).value());
  auto versions = images.versions("maps", "preview").value();
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].run, 1);
  EXPECT_EQ(versions[1].run, 3);
  EXPECT_EQ(versions[2].run, 4);
  EXPECT_EQ(versions[0].width, 600u);
  EXPECT_EQ(versions[0].height, 400u);
  EXPECT_EQ(versions[0].format, "png");
  EXPECT_EQ(versions[0].hash, to_hex(content_hash(std::vector<std::uint8_t>{'A'})));
  EXPECT_EQ(versions[0].hash, versions[2].hash);
  EXPECT_EQ(db->query_int64("SELECT count(*) FROM blobs").value(), 2);  // A stored once
}

}  // namespace
}  // namespace cartopull::store
