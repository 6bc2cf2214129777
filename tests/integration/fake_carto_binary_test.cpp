// The standalone fake-carto binary: --help, flags, scenario file, port file, clean exit on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/fake_carto/sync_client.hpp"

extern char** environ;

namespace cartopull::fake {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kBinary = fs::path(CARTOPULL_BINARY_DIR) / "tests" / "fake-carto";

struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

pid_t spawn(const std::vector<std::string>& args, const fs::path& out) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kBinary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, kBinary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class FakeCartoBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test build makes integration_tests depend on fake-carto, so a missing binary is a failure.
    ASSERT_TRUE(fs::exists(kBinary)) << "build the fake-carto target first: " << kBinary;
    dir = fs::temp_directory_path() / ("fake-carto-bin-" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path dir;
};

TEST_F(FakeCartoBinary, help_documents_routes_and_knobs) {
  Child c;
  c.pid = spawn({"--help"}, dir / "help.txt");
  EXPECT_EQ(wait_exit(c.pid), 0);
  c.pid = -1;
  const auto help = slurp(dir / "help.txt");
  for (const char* needle : {"--fault", "--scenario", "--seed", "--tls", "--ca-out", "--plan", "--rate-limit",
                             "--token-ttl-ms", "--seed-base", "/api/v1/map", "/user/{user}/api/v1/map",
                             "static/center", "static/bbox", "static/named", "/_fake/bump", "reset_mid_body",
                             "trickle", "oversize", "retry_after=none|seconds|http-date"}) {
    EXPECT_NE(help.find(needle), std::string::npos) << needle;
  }
}

TEST_F(FakeCartoBinary, bad_options_exit_78) {
  Child c;
  c.pid = spawn({"--fault", "no-colon"}, dir / "out.txt");
  EXPECT_EQ(wait_exit(c.pid), 78);
  c.pid = -1;
}

TEST_F(FakeCartoBinary, serves_with_flags_and_a_scenario_then_exits_0_on_sigterm) {
  const auto scenario = dir / "scenario.json";
  std::ofstream(scenario)
      << R"({"seed":5,"rules":[{"match":"seed_metadata","errors":{"503":1},"retry_after":"none"}]})";
  const auto port_file = dir / "port";
  Child c;
  c.pid = spawn({"--port-file", port_file.string(), "--scenario", scenario.string(), "--fault",
                 "health:error_500=1,count=1", "--master-key", "mk", "--token-ttl-ms", "1000"},
                dir / "out.txt");
  for (int i = 0; i < 100 && (!fs::exists(port_file) || fs::file_size(port_file) == 0); ++i)
    std::this_thread::sleep_for(20ms);
  const auto port = static_cast<std::uint16_t>(std::stoi(slurp(port_file)));
  SyncClient client(port);
  EXPECT_EQ(client.get("/health").status, 500);  // the flag rule, once
  EXPECT_EQ(client.get("/health").status, 200);
  EXPECT_EQ(client.get("/v1/metadata?api_key=mk").status, 503);  // the scenario rule
  EXPECT_EQ(client.get("/v1/map?api_key=mk").status, 200);
  auto scenario_json = boost::json::parse(client.get("/_fake/scenario").body);
  EXPECT_EQ(scenario_json.at("seed").as_int64(), 5);
  ::kill(c.pid, SIGTERM);
  EXPECT_EQ(wait_exit(c.pid), 0);
  c.pid = -1;
  EXPECT_NE(slurp(dir / "out.txt").find("fake-carto listening on http://127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace cartopull::fake
