// Whole-binary tests: spawn `cartopull` with temp configs and read its exit status and output.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>

#include "support/child_process.hpp"

using cartopull::testing::ChildProcess;
using cartopull::testing::read_file;
using cartopull::testing::run_program;
using cartopull::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kBinary = std::string(CARTOPULL_BINARY_DIR) + "/daemon/cartopull";
const std::string kExample = std::string(CARTOPULL_SOURCE_DIR) + "/config/cartopull.example.yaml";
constexpr const char* kKey = "Sup3rS3cretKeyValue";

std::string config_text(const std::string& dir, const std::string& extra = "") {
  return extra + "store: {path: " + dir +
         "/state.db}\n"
         "server: {listen: \"127.0.0.1:0\", shutdown_timeout: 1s}\n"
         "sources:\n"
         "  s:\n"
         "    base_url: http://127.0.0.1:9/v1/\n"
         "    api_key: ${CARTO_API_KEY}\n"
         "jobs:\n"
         "  - name: j\n"
         "    source: s\n"
         "    schedule: {every: 1h}\n"
         "    resources:\n"
         "      - {name: map, kind: map, path: \"map?api_key=${CARTO_API_KEY}\"}\n";
}

}  // namespace

TEST(CliSystem, example_config_checks_ok) {
  // With no key in the environment too: the example is valid as shipped.
  auto bare = run_program({kBinary, "check-config", kExample}, {{"CARTO_API_KEY", ""}});
  EXPECT_EQ(bare.status, 0) << bare.err;
  auto r = run_program({kBinary, "check-config", kExample}, {{"CARTO_API_KEY", kKey}});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(": ok (2 sources, 3 jobs)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(kKey), std::string::npos);
  EXPECT_EQ(r.err.find(kKey), std::string::npos);
}

TEST(CliSystem, config_errors_exit_78_naming_file_line_column_and_key) {
  TempDir dir;
  auto good = read_file(kExample);
  // Each case breaks one line of the example; the error must point at the broken key or value.
  struct Case {
    std::string from, to, at, key_and_message;
  } cases[] = {
      {"    read_timeout: 30s", "    read_timeot: 30s", "read_timeot",
       "defaults.http.read_timeot: unknown key (did you mean 'read_timeout'?)"},
      {"      every: 15m ", "      every: 15mins ", "15mins",
       "jobs[0].schedule.every: invalid duration '15mins': unknown unit 'mins'"},
      {"api_key: ${CARTO_API_KEY:-}   #", "api_key: ${CARTO_MISSING_KEY}   #", "${CARTO_MISSING_KEY}",
       "sources.carto.api_key: environment variable CARTO_MISSING_KEY is not set"},
  };
  for (const auto& c : cases) {
    auto text = good;
    auto pos = text.find(c.from);
    ASSERT_NE(pos, std::string::npos) << c.from;
    text.replace(pos, c.from.size(), c.to);
    auto at = text.find(c.at, pos);
    auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    auto column = at - text.rfind('\n', at);
    auto expect = ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + c.key_and_message;
    auto path = dir.write("bad.yaml", text);
    auto r = run_program({kBinary, "check-config", path}, {{"CARTO_API_KEY", kKey}});
    EXPECT_EQ(r.status, 78) << c.to;
    EXPECT_NE(r.err.find(path + expect), std::string::npos) << expect << "\n" << r.err;
    EXPECT_EQ(r.err.find(kKey), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(kKey), std::string::npos);
  }
}

TEST(CliSystem, serve_with_a_bad_config_exits_78) {
  TempDir dir;
  auto path = dir.write("c.yaml", "sources: {s: {base_url: nowhere}}\n");
  auto r = run_program({kBinary, "serve", "-c", path});
  EXPECT_EQ(r.status, 78);
  EXPECT_NE(r.err.find("sources.s.base_url"), std::string::npos) << r.err;
}

TEST(CliSystem, usage_errors_exit_64_and_help_exits_0) {
  EXPECT_EQ(run_program({kBinary}).status, 64);
  EXPECT_EQ(run_program({kBinary, "bogus"}).status, 64);
  auto help = run_program({kBinary, "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("check-config"), std::string::npos);
  auto run_help = run_program({kBinary, "run", "--help"});
  EXPECT_EQ(run_help.status, 0);
  EXPECT_NE(run_help.out.find("cartopull run"), std::string::npos);
  auto version = run_program({kBinary, "version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_EQ(version.out.rfind("cartopull ", 0), 0u);
}

TEST(CliSystem, run_rejects_an_unknown_job) {
  TempDir dir;
  auto path = dir.write("c.yaml", config_text(dir.path()));
  auto r = run_program({kBinary, "run", "-c", path, "nope"}, {{"CARTO_API_KEY", kKey}});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("no job named 'nope'"), std::string::npos) << r.err;
}

TEST(CliSystem, serve_stops_cleanly_on_sigterm_and_sigint) {
  for (int sig : {SIGTERM, SIGINT}) {
    TempDir dir;
    auto path = dir.write("c.yaml", config_text(dir.path()));
    ChildProcess p({kBinary, "serve", "-c", path}, {{"CARTO_API_KEY", kKey}, {"JOURNAL_STREAM", ""}});
    ASSERT_TRUE(p.wait_for_stderr("serving", 10s)) << p.err();
    p.signal(sig);
    auto status = p.wait(10s);
    ASSERT_TRUE(status.has_value()) << "did not stop on signal " << sig << "\n" << p.err();
    EXPECT_EQ(*status, 0) << p.err();
    EXPECT_NE(p.err().find("stopped"), std::string::npos) << p.err();
    EXPECT_EQ(p.err().find(kKey), std::string::npos) << p.err();
  }
}

TEST(CliSystem, serve_exits_0_on_a_signal_during_startup) {
  // An inline key makes the daemon warn right after loading the config, and the signal follows at
  // once: it lands while the store, the admin server and the event loop are still being set up
  // (always under the sanitizers, whose startup takes about a second).
  for (int sig : {SIGTERM, SIGINT}) {
    TempDir dir;
    auto text = config_text(dir.path());
    text.replace(text.find("${CARTO_API_KEY}\n"), 17, "InlineStartupKey\n");
    auto path = dir.write("c.yaml", text);
    ChildProcess p({kBinary, "serve", "-c", path}, {{"CARTO_API_KEY", kKey}, {"JOURNAL_STREAM", ""}});
    ASSERT_TRUE(p.wait_for_stderr("written inline", 10s)) << p.err();
    p.signal(sig);
    auto status = p.wait(10s);
    ASSERT_TRUE(status.has_value()) << "did not stop on signal " << sig << "\n" << p.err();
    EXPECT_EQ(*status, 0) << p.err();
    EXPECT_NE(p.err().find("stopped"), std::string::npos) << p.err();
  }
}

TEST(CliSystem, sighup_keeps_the_running_config_when_the_new_one_is_invalid) {
  TempDir dir;
  auto path = dir.write("c.yaml", config_text(dir.path()));
  ChildProcess p({kBinary, "serve", "-c", path}, {{"CARTO_API_KEY", kKey}, {"JOURNAL_STREAM", ""}});
  ASSERT_TRUE(p.wait_for_stderr("serving", 10s)) << p.err();
  dir.write("c.yaml", config_text(dir.path(), "log: {level: shouty}\n"));
  p.signal(SIGHUP);
  ASSERT_TRUE(p.wait_for_stderr("reload rejected", 10s)) << p.err();
  EXPECT_NE(p.err().find("log.level"), std::string::npos);
  dir.write("c.yaml", config_text(dir.path()));
  p.signal(SIGHUP);
  ASSERT_TRUE(p.wait_for_stderr("configuration reloaded", 10s)) << p.err();
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(10s), std::optional<int>(0));
}

TEST(CliSystem, log_file_is_reopened_on_sigusr1) {
  TempDir dir;
  auto log = dir.file("cartopull.log");
  auto path = dir.write("c.yaml", config_text(dir.path(), "log: {file: " + log + "}\n"));
  ChildProcess p({kBinary, "serve", "-c", path}, {{"CARTO_API_KEY", kKey}, {"JOURNAL_STREAM", ""}});
  ASSERT_TRUE(p.wait_for_stderr("serving", 10s)) << p.err();
  std::filesystem::rename(log, log + ".1");  // what logrotate does before signalling
  p.signal(SIGUSR1);
  ASSERT_TRUE(p.wait_for_stderr("log file reopened", 10s)) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(10s), std::optional<int>(0));
  EXPECT_NE(read_file(log + ".1").find("serving"), std::string::npos);
  auto fresh = read_file(log);
  EXPECT_NE(fresh.find("log file reopened"), std::string::npos) << fresh;
  EXPECT_NE(fresh.find("stopped"), std::string::npos) << fresh;
}

TEST(CliSystem, journal_stderr_gets_priority_prefixes_and_no_timestamps) {
  TempDir dir;
  auto path = dir.write("c.yaml", config_text(dir.path()));
  // A shell names the child's own stderr file as the journal stream ("device:inode"), as systemd does.
  ChildProcess p({"/bin/sh", "-c",
                  "st=$(stat -L -c '%d:%i' /proc/self/fd/2); JOURNAL_STREAM=$st exec \"$0\" serve -c \"$1\"",
                  kBinary, path},
                 {{"CARTO_API_KEY", kKey}});
  ASSERT_TRUE(p.wait_for_stderr("serving", 10s)) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(10s), std::optional<int>(0));
  auto err = p.err();
  EXPECT_EQ(err.rfind("<6>cartopull", 0), 0u) << err;
  EXPECT_NE(err.find("\n<6>stopped"), std::string::npos) << err;
}
