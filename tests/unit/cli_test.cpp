#include "app/cli.hpp"

#include <gtest/gtest.h>

using cartopull::app::Command;
using cartopull::app::parse_cli;

namespace {
auto parse(std::vector<std::string_view> args, std::optional<std::string> env = std::nullopt) {
  return parse_cli(args, std::move(env));
}
}  // namespace

TEST(Cli, parses_each_command) {
  EXPECT_EQ(parse({"serve"})->command, Command::serve);
  EXPECT_EQ(parse({"version"})->command, Command::version);
  EXPECT_EQ(parse({"--version"})->command, Command::version);
  auto run = parse({"run", "a", "b"});
  ASSERT_TRUE(run);
  EXPECT_EQ(run->command, Command::run);
  EXPECT_EQ(run->positional, (std::vector<std::string>{"a", "b"}));
}

TEST(Cli, parses_the_store_commands) {
  EXPECT_EQ(parse({"status"})->command, Command::status);
  auto runs = parse({"runs", "tiles-job"});
  ASSERT_TRUE(runs);
  EXPECT_EQ(runs->command, Command::runs);
  EXPECT_EQ(runs->positional, (std::vector<std::string>{"tiles-job"}));
  auto ex = parse({"export", "mbtiles", "j/tiles/png", "/tmp/out.mbtiles"});
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->command, Command::export_tiles);
  EXPECT_FALSE(parse({"export", "geojson", "a", "b"}));
  EXPECT_FALSE(parse({"export", "mbtiles", "a"}));
  EXPECT_FALSE(parse({"runs", "a", "b"}));
  EXPECT_FALSE(parse({"status", "x"}));
}

TEST(Cli, config_path_comes_from_flag_then_env_then_default) {
  EXPECT_EQ(parse({"serve"})->config_path, "/etc/cartopull/cartopull.yaml");
  EXPECT_EQ(parse({"serve"}, "/env.yaml")->config_path, "/env.yaml");
  EXPECT_EQ(parse({"-c", "/a.yaml", "serve"}, "/env.yaml")->config_path, "/a.yaml");
  EXPECT_EQ(parse({"serve", "--config=/b.yaml"})->config_path, "/b.yaml");
  EXPECT_EQ(parse({"check-config", "/c.yaml"}, "/env.yaml")->config_path, "/c.yaml");
}

TEST(Cli, help_on_a_command_is_not_an_error) {
  auto r = parse({"run", "--help"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->help);
  EXPECT_EQ(r->command, Command::run);
  EXPECT_NE(cartopull::app::help_text(Command::run).find("cartopull run"), std::string::npos);
  EXPECT_NE(cartopull::app::help_text(Command::help).find("check-config"), std::string::npos);
}

TEST(Cli, log_overrides) {
  auto r = parse({"serve", "--log-level", "debug", "--log-format=json"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_EQ(r->log_format, "json");
}

TEST(Cli, usage_errors_say_what_is_wrong) {
  struct Case {
    std::vector<std::string_view> args;
    const char* message;
  } cases[] = {
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"run"}, "run needs at least one JOB"},
      {{"serve", "--bogus"}, "unknown option '--bogus'"},
      {{"serve", "extra"}, "unexpected argument 'extra'"},
      {{"check-config", "a", "b"}, "at most one FILE"},
      {{"serve", "-c"}, "needs a value"},
      {{"serve", "--log-format", "xml"}, "text or json"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    ASSERT_FALSE(r) << c.message;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
}
