#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/migrations.hpp"
#include "store/resource_store.hpp"

namespace cartopull::store {
namespace {

const Timestamp kT0 =
    Timestamp{} + std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}.time_since_epoch();

struct StoreResourceStore : ::testing::Test {
  void SetUp() override {
    auto opened = Database::open(":memory:");
    ASSERT_TRUE(opened);
    db = std::make_unique<Database>(std::move(*opened));
    ASSERT_TRUE(migrate(*db));
    resources = std::make_unique<ResourceStore>(*db);
  }
  std::int64_t count(const std::string& sql) {
    auto v = db->query_int64(sql);
    EXPECT_TRUE(v) << (v ? "" : v.error().what());
    return v ? *v : -1;
  }
  std::string text(const std::string& sql) {
    auto v = db->query_text(sql);
    EXPECT_TRUE(v) << (v ? "" : v.error().what());
    return v ? *v : "<error>";
  }
  ResourceSpec spec{"maps", "layergroup", WriteDisposition::append, {}};
  std::unique_ptr<Database> db;
  std::unique_ptr<ResourceStore> resources;
};

TEST_F(StoreResourceStore, top_level_scalars_get_typed_columns_and_nested_stays_json) {
  auto stats = resources->write(spec, 1, kT0,
                                R"({"layergroupid":"abc","last_updated":"2026-01-01","zoom":3,"ratio":1.5,)"
                                R"("ok":true,"gone":null,"metadata":{"layers":[{"id":"l0"}]}})");
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->rows, 1);
  EXPECT_EQ(stats->columns_added, 6);  // null adds nothing
  EXPECT_EQ(resources->table_name("maps", "layergroup").value(), "res_maps__layergroup");
  EXPECT_EQ(text("SELECT layergroupid FROM res_maps__layergroup"), "abc");
  EXPECT_EQ(text("SELECT typeof(zoom) || typeof(ratio) || typeof(ok) FROM res_maps__layergroup"),
            "integerrealinteger");
  EXPECT_EQ(text("SELECT json_extract(metadata, '$.layers[0].id') FROM res_maps__layergroup"), "l0");
  EXPECT_EQ(count("SELECT _run_id FROM res_maps__layergroup"), 1);
  EXPECT_EQ(text("SELECT _fetched_at FROM res_maps__layergroup"), "2026-11-25T00:00:00.000Z");
  EXPECT_EQ(text("SELECT json_extract(_json, '$.layergroupid') FROM res_maps__layergroup"), "abc");
}

TEST_F(StoreResourceStore, a_new_field_adds_a_column_and_is_recorded) {
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"({"a":1})"));
  auto stats = resources->write(spec, 2, kT0, R"({"a":2,"b":"new"})");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->columns_added, 1);
  EXPECT_EQ(count("SELECT count(*) FROM pragma_table_info('res_maps__layergroup') WHERE name = 'b'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__layergroup WHERE b IS NULL"), 1);  // the old row
  EXPECT_EQ(count("SELECT run_id FROM schema_changes WHERE field = 'b' AND change = 'added'"), 2);
}

TEST_F(StoreResourceStore, a_type_change_goes_to_a_variant_column_and_loses_nothing) {
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"({"zoom":3})"));
  auto stats = resources->write(spec, 2, kT0, R"({"zoom":"007"})");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->type_changes, 1);
  // "007" stays text (no affinity coercion into 7), in its own column.
  EXPECT_EQ(text("SELECT zoom__v_text FROM res_maps__layergroup WHERE _run_id = 2"), "007");
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__layergroup WHERE _run_id = 2 AND zoom IS NULL"), 1);
  EXPECT_EQ(text("SELECT old_type || '>' || new_type || ':' || column_name FROM schema_changes "
                 "WHERE change = 'type_changed'"),
            "integer>text:zoom__v_text");
  // Integers widen into a REAL column without a variant.
  ASSERT_TRUE(resources->write(spec, 3, kT0, R"({"ratio":1.5})"));
  EXPECT_EQ(resources->write(spec, 4, kT0, R"({"ratio":2})").value().type_changes, 0);
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__layergroup WHERE ratio = 2.0"), 1);
}

TEST_F(StoreResourceStore, column_cache_survives_a_new_store_instance) {
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"({"zoom":3})"));
  ResourceStore again(*db);
  auto stats = again.write(spec, 2, kT0, R"({"zoom":4})");
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->columns_added, 0);
  EXPECT_EQ(count("SELECT sum(zoom) FROM res_maps__layergroup"), 7);
}

TEST_F(StoreResourceStore, fields_differing_only_in_case_get_distinct_columns) {
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"({"Name":"a","name":"b","_json":"c"})"));
  EXPECT_EQ(text("SELECT group_concat(column_name, ',') FROM (SELECT column_name FROM resource_columns "
                 "ORDER BY column_name)"),
            "Name,_json_2,name_2");
  EXPECT_EQ(text("SELECT \"_json_2\" FROM res_maps__layergroup"), "c");
}

TEST_F(StoreResourceStore, append_keeps_every_run) {
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"([{"id":1},{"id":2}])"));
  ASSERT_TRUE(resources->write(spec, 2, kT0, R"([{"id":1}])"));
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__layergroup"), 3);
}

TEST_F(StoreResourceStore, replace_keeps_only_the_latest_run) {
  spec.disposition = WriteDisposition::replace;
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"([{"id":1},{"id":2}])"));
  ASSERT_TRUE(resources->write(spec, 2, kT0, R"([{"id":3}])"));
  ASSERT_TRUE(resources->write(spec, 2, kT0, R"([{"id":4}])"));  // same run: adds
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__layergroup"), 2);
  EXPECT_EQ(count("SELECT min(id) FROM res_maps__layergroup"), 3);
}

TEST_F(StoreResourceStore, merge_upserts_by_primary_key) {
  spec.disposition = WriteDisposition::merge;
  spec.primary_key = {"template_id", "user"};
  ASSERT_TRUE(resources->write(
      spec, 1, kT0, R"([{"template_id":"t1","user":"u","v":1},{"template_id":"t2","user":"u","v":1}])"));
  ASSERT_TRUE(resources->write(spec, 2, kT0, R"({"template_id":"t1","user":"u","v":2})"));
  EXPECT_EQ(count("SELECT count(*) FROM res_maps__layergroup"), 2);
  EXPECT_EQ(count("SELECT v FROM res_maps__layergroup WHERE template_id = 't1'"), 2);
  EXPECT_EQ(count("SELECT _run_id FROM res_maps__layergroup WHERE template_id = 't1'"), 2);
  EXPECT_EQ(count("SELECT v FROM res_maps__layergroup WHERE template_id = 't2'"), 1);
}

TEST_F(StoreResourceStore, merge_without_key_value_fails_whole_and_writes_nothing) {
  spec.disposition = WriteDisposition::merge;
  spec.primary_key = {"id"};
  auto r = resources->write(spec, 1, kT0, R"([{"id":1,"x":1},{"x":2}])");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::bad_response));
  EXPECT_EQ(count("SELECT count(*) FROM resource_tables"), 0);
  // The rollback also cleared the column cache: a later write recreates what it needs.
  ASSERT_TRUE(resources->write(spec, 1, kT0, R"({"id":1,"x":1})"));
  EXPECT_EQ(count("SELECT x FROM res_maps__layergroup"), 1);
}

TEST_F(StoreResourceStore, invalid_json_is_bad_response) {
  auto r = resources->write(spec, 1, kT0, "{not json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::bad_response));
}

}  // namespace
}  // namespace cartopull::store
