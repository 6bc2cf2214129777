#include <gtest/gtest.h>

#include "store/store_options.hpp"

namespace cartopull::store {
namespace {

using namespace std::chrono_literals;

TEST(StoreOptions, follow_the_store_section_of_the_config) {
  config::StoreConfig c;
  c.path = "/var/lib/x.db";
  c.busy_timeout = 2500ms;
  c.queue_bytes = 1 << 20;
  c.keep_runs = 7;
  c.keep_for = 48h;
  const auto w = writer_options(c);
  EXPECT_EQ(w.path, "/var/lib/x.db");
  EXPECT_EQ(w.open.busy_timeout, 2500ms);
  EXPECT_FALSE(w.open.read_only);
  EXPECT_EQ(w.queue_bytes, 1u << 20);
  const auto r = reader_options(c);
  EXPECT_TRUE(r.read_only);
  EXPECT_EQ(r.busy_timeout, 2500ms);
  const auto p = retention_policy(c);
  EXPECT_EQ(p.keep_runs, 7u);
  EXPECT_EQ(p.keep_for, 48h);
}

TEST(StoreOptions, writer_page_cache_is_smaller_than_a_readers) {
  // The writer's cache mostly holds blob pages it will not read again: 8 MiB keeps peak RSS down
  // (docs/bench.md); readers keep the default for their lookups.
  const config::StoreConfig c;
  EXPECT_EQ(writer_options(c).open.cache_kib, 8192);
  EXPECT_EQ(reader_options(c).cache_kib, OpenOptions{}.cache_kib);
  EXPECT_LT(writer_options(c).open.cache_kib, reader_options(c).cache_kib);
}

}  // namespace
}  // namespace cartopull::store
