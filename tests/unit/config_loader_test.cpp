#include "config/config_loader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace cfg = cartopull::config;
using namespace std::chrono_literals;

namespace {

cfg::Environment env_of(std::map<std::string, std::string> vars) {
  return {[vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }};
}

const char* kMinimal = R"(sources:
  carto:
    base_url: https://example.carto.com/api/v1/
    shape: v1
    api_key: ${CARTO_API_KEY}
jobs:
  - name: pull
    source: carto
    schedule: {every: 15m}
    resources:
      - name: layergroup
        kind: anonymous_map
        map_config: {version: 1.3.0, layers: [{type: mapnik, options: {sql: "select 1", cartocss_version: 2.1.1, cartocss: "#l{}"}}]}
)";

cfg::LoadOutcome parse(const std::string& text,
                       std::map<std::string, std::string> vars = {{"CARTO_API_KEY", "key-from-env"}}) {
  return cfg::parse_config(text, "test.yaml", env_of(std::move(vars)));
}

// The single error of an outcome, or a failure naming all of them.
cfg::ConfigIssue only_error(const cfg::LoadOutcome& out) {
  EXPECT_EQ(out.errors.size(), 1u) << cfg::to_error(out).message;
  return out.errors.empty() ? cfg::ConfigIssue{} : out.errors.front();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

TEST(ConfigLoader, loads_a_minimal_config_with_defaults) {
  auto out = parse(kMinimal);
  ASSERT_TRUE(out.ok()) << cfg::to_error(out).message;
  const auto& c = out.config;
  ASSERT_EQ(c.sources.size(), 1u);
  const auto& s = c.sources.at("carto");
  EXPECT_EQ(s.shape, cfg::ApiShape::v1);
  EXPECT_EQ(s.api_key.reveal(), "key-from-env");
  EXPECT_EQ(s.http.request_timeout, 60s);
  EXPECT_EQ(s.retry.max_attempts, 5u);
  EXPECT_EQ(s.rate_limits.at("tile").rate, 20.0);
  ASSERT_EQ(c.jobs.size(), 1u);
  EXPECT_EQ(c.jobs[0].schedule.every, std::optional<cfg::Duration>(15min));
  ASSERT_EQ(c.jobs[0].resources.size(), 1u);
  EXPECT_EQ(c.jobs[0].resources[0].kind, cfg::ResourceKind::anonymous_map);
  EXPECT_NE(c.jobs[0].resources[0].map_config.find(R"("version":"1.3.0")"), std::string::npos);
  EXPECT_NE(c.jobs[0].resources[0].map_config.find(R"("sql":"select 1")"), std::string::npos);
  EXPECT_EQ(c.server.listen, "127.0.0.1:9464");
  EXPECT_TRUE(out.warnings.empty());
}

TEST(ConfigLoader, names_file_line_column_and_key_of_a_misspelt_key) {
  auto out = parse(replace(kMinimal, "schedule: {every: 15m}", "schedule: {evry: 15m}"));
  auto e = only_error(out);
  EXPECT_EQ(e.file, "test.yaml");
  EXPECT_EQ(e.line, 9);
  EXPECT_EQ(e.column, 16);
  EXPECT_EQ(e.key, "jobs[0].schedule.evry");
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
  EXPECT_NE(e.message.find("did you mean 'every'"), std::string::npos);
  EXPECT_EQ(e.to_string().rfind("test.yaml:9:16: jobs[0].schedule.evry: unknown key", 0), 0u)
      << e.to_string();
}

TEST(ConfigLoader, rejects_a_bad_duration_at_its_value) {
  auto e = only_error(parse(replace(kMinimal, "every: 15m", "every: 15 minutes")));
  EXPECT_EQ(e.line, 9);
  EXPECT_EQ(e.column, 23);
  EXPECT_EQ(e.key, "jobs[0].schedule.every");
  EXPECT_NE(e.message.find("invalid duration '15 minutes'"), std::string::npos);
}

TEST(ConfigLoader, rejects_a_missing_environment_variable_without_revealing_anything) {
  auto out = parse(kMinimal, {});
  auto e = only_error(out);
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.key, "sources.carto.api_key");
  EXPECT_NE(e.message.find("environment variable CARTO_API_KEY is not set"), std::string::npos);
}

TEST(ConfigLoader, expands_variables_with_defaults_and_dollar_escape) {
  auto text = replace(kMinimal, "base_url: https://example.carto.com/api/v1/",
                      "base_url: ${BASE:-http://127.0.0.1:8080/api/v1/}");
  auto out = parse(text);
  ASSERT_TRUE(out.ok()) << cfg::to_error(out).message;
  EXPECT_EQ(out.config.sources.at("carto").base_url, "http://127.0.0.1:8080/api/v1/");
  auto out2 = parse(text, {{"CARTO_API_KEY", "k"}, {"BASE", "https://other/v1"}});
  ASSERT_TRUE(out2.ok());
  EXPECT_EQ(out2.config.sources.at("carto").base_url, "https://other/v1/");
  auto out3 = parse(replace(kMinimal, "\"#l{}\"", "\"#l{} ${NOPE}$$\""));
  ASSERT_TRUE(out3.ok());
  // A MapConfig is sent verbatim: its SQL and CartoCSS may hold '$' of their own.
  EXPECT_NE(out3.config.jobs[0].resources[0].map_config.find("${NOPE}$$"), std::string::npos);
  auto out4 = parse(replace(kMinimal, "shape: v1", "shape: v1\n    user: a$$b"));
  ASSERT_TRUE(out4.ok());
  EXPECT_EQ(out4.config.sources.at("carto").user, "a$b");
}

TEST(ConfigLoader, rejects_wrong_types_and_out_of_range_values) {
  struct Case {
    std::string insert;
    std::string key;
    std::string message;
  } cases[] = {
      {"defaults: {retry: {max_attempts: many}}", "defaults.retry.max_attempts", "expected an integer"},
      {"defaults: {retry: {max_attempts: 0}}", "defaults.retry.max_attempts", "out of range"},
      {"defaults: {concurrency: {max: 5000}}", "defaults.concurrency.max", "out of range"},
      {"defaults: {concurrency: {adaptive: maybe}}", "defaults.concurrency.adaptive",
       "expected true or false"},
      {"defaults: {failure_threshold: 1.5}", "defaults.failure_threshold", "out of range"},
      {"defaults: {http: {max_body_bytes: 64 megs}}", "defaults.http.max_body_bytes", "invalid byte size"},
      {"defaults: {rate_limits: {tiles: {rate: 5}}}", "defaults.rate_limits.tiles", "unknown endpoint group"},
      {"log: {level: loud}", "log.level", "'loud' is not one of"},
      {"log: {format: xml}", "log.format", "is not one of"},
      {"server: {listen: 9464}", "server.listen", "expected host:port"},
      {"server: {listen: \"0.0.0.0:9464\"}", "server.listen", "needs server.bearer_token"},
      {"store: [a, b]", "store", "expected a mapping"},
  };
  for (const auto& c : cases) {
    auto out = parse(c.insert + "\n" + kMinimal);
    ASSERT_EQ(out.errors.size(), 1u) << c.insert << "\n" << cfg::to_error(out).message;
    EXPECT_EQ(out.errors[0].key, c.key) << c.insert;
    EXPECT_NE(out.errors[0].message.find(c.message), std::string::npos)
        << c.insert << ": " << out.errors[0].message;
    EXPECT_EQ(out.errors[0].line, 1) << c.insert;
  }
}

TEST(ConfigLoader, rejects_a_job_naming_an_unknown_source) {
  auto e = only_error(parse(replace(kMinimal, "source: carto", "source: cartoo")));
  EXPECT_EQ(e.key, "jobs[0].source");
  EXPECT_EQ(e.line, 8);
  EXPECT_NE(e.message.find("unknown source 'cartoo'"), std::string::npos);
}

TEST(ConfigLoader, rejects_duplicate_job_names) {
  std::string text = kMinimal;
  auto job = text.substr(text.find("  - name: pull"));
  auto e = only_error(parse(text + job));
  EXPECT_EQ(e.key, "jobs[1].name");
  EXPECT_EQ(e.line, 14);
  EXPECT_NE(e.message.find("duplicate job name 'pull'"), std::string::npos);
}

TEST(ConfigLoader, reports_every_error_not_just_the_first) {
  auto text = replace(replace(kMinimal, "every: 15m", "every: soon"), "shape: v1", "shape: v9");
  auto out = parse(text);
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].key, "sources.carto.shape");
  EXPECT_EQ(out.errors[1].key, "jobs[0].schedule.every");
}

TEST(ConfigLoader, reports_yaml_syntax_errors_with_position) {
  auto e = only_error(parse("sources:\n  carto: {base_url: [\n"));
  EXPECT_GE(e.line, 2);
  EXPECT_NE(e.message.find("YAML syntax error"), std::string::npos);
}

TEST(ConfigLoader, rejects_duplicate_keys) {
  auto e = only_error(parse("log: {level: info, level: debug}\n" + std::string(kMinimal)));
  EXPECT_EQ(e.key, "log.level");
  EXPECT_NE(e.message.find("duplicate key"), std::string::npos);
}

TEST(ConfigLoader, checks_schedules) {
  auto both = only_error(parse(replace(kMinimal, "{every: 15m}", "{every: 15m, cron: \"*/5 * * * *\"}")));
  EXPECT_EQ(both.key, "jobs[0].schedule.cron");
  auto cron = only_error(parse(replace(kMinimal, "{every: 15m}", "{cron: \"*/5 * * *\"}")));
  EXPECT_NE(cron.message.find("expected 5 fields"), std::string::npos);
  auto tz =
      only_error(parse(replace(kMinimal, "{every: 15m}", "{cron: \"0 3 * * *\", timezone: Mars/Olympus}")));
  EXPECT_EQ(tz.key, "jobs[0].schedule.timezone");
  auto jitter = only_error(parse(replace(kMinimal, "{every: 15m}", "{every: 1m, jitter: 2m}")));
  EXPECT_EQ(jitter.key, "jobs[0].schedule.jitter");
  auto ok =
      parse(replace(kMinimal, "{every: 15m}", "{cron: \"30 2 * * 1-5\", timezone: UTC, run_at_start: true}"));
  ASSERT_TRUE(ok.ok()) << cfg::to_error(ok).message;
  EXPECT_EQ(ok.config.jobs[0].schedule.cron, "30 2 * * 1-5");
  EXPECT_TRUE(ok.config.jobs[0].schedule.run_at_start);
}

TEST(ConfigLoader, checks_resource_requirements_per_kind) {
  struct Case {
    std::string resource;
    std::string key;
  } cases[] = {
      {"{name: t, kind: named_map}", "jobs[0].resources[0].template_id"},
      {"{name: t, kind: anonymous_map}", "jobs[0].resources[0].map_config"},
      {"{name: t, kind: static_center, static: {lat: 1}}", "jobs[0].resources[0].static"},
      {"{name: t, kind: map, write_disposition: merge}", "jobs[0].resources[0].primary_key"},
      {"{name: t, kind: tiles, tiles: {min_zoom: 5, max_zoom: 2}}", "jobs[0].resources[0].tiles.min_zoom"},
      {"{name: t, kind: tiles, tiles: {formats: [webp]}}", "jobs[0].resources[0].tiles.formats"},
      {"{name: t, kind: tiles, tiles: {bbox: [10, 0, 5, 1]}}", "jobs[0].resources[0].tiles.bbox"},
      {"{name: t, kind: tiles, tiles: {bbox: [0, 0, 5, 89]}}", "jobs[0].resources[0].tiles.bbox"},
      {"{name: t, kind: map, tiles: {max_zoom: 2}}", "jobs[0].resources[0].tiles"},
      {"{name: t, kind: tiles, parent: lg}", "jobs[0].resources[0].parent"},
      {"{name: t, kind: static_bbox, static: {width: 5000}}", "jobs[0].resources[0].static.width"},
      {"{name: t, kind: mapp}", "jobs[0].resources[0].kind"},
      {"{name: t, kind: map, data_selector: layergroupid}", "jobs[0].resources[0].data_selector"},
  };
  const std::string head =
      "sources: {s: {base_url: \"http://127.0.0.1:1/v1/\"}}\njobs:\n  - name: j\n    source: s\n    "
      "resources:\n      - ";
  for (const auto& c : cases) {
    auto out = parse(head + c.resource + "\n");
    ASSERT_GE(out.errors.size(), 1u) << c.resource;
    bool found = false;
    for (const auto& e : out.errors) found |= e.key == c.key;
    EXPECT_TRUE(found) << c.resource << " -> " << cfg::to_error(out).message;
  }
}

TEST(ConfigLoader, reads_a_full_tile_resource) {
  auto out = parse(R"(sources: {s: {base_url: "http://127.0.0.1:1/v1"}}
jobs:
  - name: j
    source: s
    resources:
      - {name: lg, kind: layergroup, data_selector: /layergroupid}
      - name: tiles
        kind: tiles
        parent: lg
        path: "tiles/{z}/{x}/{y}.{format}"
        params: {layer: all}
        tiles: {min_zoom: 0, max_zoom: 8, bbox: [[-10, 35, 5, 44], [2, 48, 3, 49]], formats: [png, mvt], scale: 2, prune_empty: true}
)");
  ASSERT_TRUE(out.ok()) << cfg::to_error(out).message;
  const auto& src = out.config.sources.at("s");
  EXPECT_EQ(src.base_url, "http://127.0.0.1:1/v1/");
  const auto& r = out.config.jobs[0].resources[1];
  EXPECT_EQ(r.parent, "lg");
  EXPECT_EQ(r.params.at("layer"), "all");
  EXPECT_EQ(r.tiles.max_zoom, 8u);
  ASSERT_EQ(r.tiles.bbox.size(), 2u);
  EXPECT_DOUBLE_EQ(r.tiles.bbox[1].north, 49.0);
  EXPECT_EQ(r.tiles.formats, (std::vector<std::string>{"png", "mvt"}));
  EXPECT_EQ(r.tiles.scale, 2u);
  EXPECT_TRUE(r.tiles.prune_empty);
  EXPECT_TRUE(out.config.jobs[0].schedule.manual());
}

TEST(ConfigLoader, source_overrides_merge_over_defaults) {
  auto out = parse(R"(defaults:
  http: {request_timeout: 2m}
  rate_limits: {tile: {rate: 40, burst: 60}}
sources:
  a: {base_url: "http://127.0.0.1:1/v1/", http: {connect_timeout: 3s}, rate_limits: {static: {rate: 3}}}
  b: {base_url: "http://127.0.0.1:1/v1/"}
)");
  ASSERT_TRUE(out.ok()) << cfg::to_error(out).message;
  const auto& a = out.config.sources.at("a");
  EXPECT_EQ(a.http.request_timeout, 2min);
  EXPECT_EQ(a.http.connect_timeout, 3s);
  EXPECT_EQ(a.rate_limits.at("tile").burst, 60u);
  EXPECT_EQ(a.rate_limits.at("static").rate, 3.0);
  EXPECT_EQ(a.rate_limits.at("static").burst, 3u);
  EXPECT_EQ(out.config.sources.at("b").rate_limits.at("static").rate, 1.0);
  EXPECT_EQ(out.config.sources.at("b").http.connect_timeout, 10s);
}

class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cartopull-cfg-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
};

TEST_F(SecretFiles, reads_the_key_from_a_file_relative_to_the_config) {
  write("key.txt", "file-key-value\n");
  write("c.yaml", "sources: {s: {base_url: \"http://h/v1/\", api_key_file: key.txt}}\n");
  auto out = cfg::load_config_file((dir_ / "c.yaml").string(), env_of({}));
  ASSERT_TRUE(out.ok()) << cfg::to_error(out).message;
  EXPECT_EQ(out.config.sources.at("s").api_key.reveal(), "file-key-value");
}

TEST_F(SecretFiles, reads_the_key_from_a_systemd_credential) {
  write("carto-key", "cred-key-value");
  auto text = "sources: {s: {base_url: \"http://h/v1/\", api_key_credential: carto-key}}\n";
  auto out = cfg::parse_config(text, "c.yaml", env_of({{"CREDENTIALS_DIRECTORY", dir_.string()}}));
  ASSERT_TRUE(out.ok()) << cfg::to_error(out).message;
  EXPECT_EQ(out.config.sources.at("s").api_key.reveal(), "cred-key-value");
  auto missing = cfg::parse_config(text, "c.yaml", env_of({}));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].key, "sources.s.api_key_credential");
  EXPECT_NE(missing.errors[0].message.find("CREDENTIALS_DIRECTORY"), std::string::npos);
}

TEST_F(SecretFiles, rejects_two_key_sources_and_missing_files) {
  auto both = parse("sources: {s: {base_url: \"http://h/v1/\", api_key: x, api_key_file: k}}\n");
  ASSERT_EQ(both.errors.size(), 1u);
  EXPECT_NE(both.errors[0].message.find("give only one of"), std::string::npos);
  write("c.yaml", "sources: {s: {base_url: \"http://h/v1/\", api_key_file: nope.txt}}\n");
  auto out = cfg::load_config_file((dir_ / "c.yaml").string(), env_of({}));
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_EQ(out.errors[0].key, "sources.s.api_key_file");
  EXPECT_NE(out.errors[0].message.find("cannot read"), std::string::npos);
}

TEST(ConfigLoader, warns_about_inline_secrets_without_echoing_them) {
  auto out = parse("sources: {s: {base_url: \"http://h/v1/\", api_key: inline-secret-value}}\n");
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out.warnings.size(), 1u);
  EXPECT_EQ(out.warnings[0].key, "sources.s.api_key");
  EXPECT_EQ(out.warnings[0].to_string().find("inline-secret-value"), std::string::npos);
}

TEST(ConfigLoader, never_puts_a_secret_value_in_an_error) {
  // The key is valid, but errors elsewhere on the same lines must not echo it.
  auto out =
      parse("sources: {s: {base_url: \"ftp://h/\", api_key: ${K}, auth: magic}}\n", {{"K", "TOPSECRETKEY"}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(cfg::to_error(out).message.find("TOPSECRETKEY"), std::string::npos);
}

TEST(ConfigLoader, requires_sources_and_reports_unreadable_files) {
  auto none = parse("jobs: []\n");
  ASSERT_EQ(none.errors.size(), 1u);
  EXPECT_EQ(none.errors[0].key, "sources");
  EXPECT_EQ(none.errors[0].line, 1) << "an absent section is reported at the document's start";
  auto empty = parse("store: {path: /tmp/x.db}\nsources: {}\n");
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_EQ(empty.errors[0].key, "sources");
  EXPECT_EQ(empty.errors[0].line, 2);
  auto missing = cfg::load_config_file("/nonexistent/cartopull.yaml", env_of({}));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].to_string().find("/nonexistent/cartopull.yaml: cannot read"),
            std::string::npos);
}

TEST(ConfigLoader, shipped_configs_are_valid) {
  for (const char* name : {"config/cartopull.example.yaml", "config/demo.yaml"}) {
    auto out = cfg::load_config_file(std::string(CARTOPULL_SOURCE_DIR) + "/" + name,
                                     env_of({{"CARTO_API_KEY", "k"}, {"CARTOPULL_ADMIN_TOKEN", "t"}}));
    EXPECT_TRUE(out.ok()) << name << "\n" << cfg::to_error(out).message;
    EXPECT_FALSE(out.config.jobs.empty()) << name;
  }
}
