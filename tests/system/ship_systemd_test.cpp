// The shipped systemd unit: `systemd-analyze verify` must print nothing (it exits 0 on typos) and the
// offline security review must score an exposure of 2.0 or less.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "support/child_process.hpp"

using cartopull::testing::read_file;
using cartopull::testing::run_program;
using cartopull::testing::TempDir;

namespace {

const std::string kBinary = std::string(CARTOPULL_BINARY_DIR) + "/daemon/cartopull";
const std::string kUnit = std::string(CARTOPULL_SOURCE_DIR) + "/systemd/cartopull.service";
constexpr const char* kAnalyze = "/usr/bin/systemd-analyze";

// The unit with /usr/bin/cartopull replaced by the built binary, which verify requires to exist.
std::string unit_for_build(std::string text) {
  const std::string from = "/usr/bin/cartopull";
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + kBinary.size()))
    text.replace(pos, from.size(), kBinary);
  return text;
}

std::string verify_output(const std::string& unit_text) {
  TempDir dir;
  auto path = dir.write("cartopull.service", unit_text);
  auto r = run_program({kAnalyze, "verify", path}, {{"SYSTEMD_LOG_COLOR", "0"}});
  EXPECT_EQ(r.status, 0) << r.err;
  return r.out + r.err;
}

}  // namespace

TEST(ShipSystemd, unit_verifies_without_any_output) {
  ASSERT_TRUE(std::filesystem::exists(kAnalyze)) << "install the Debian package systemd";
  auto text = unit_for_build(read_file(kUnit));
  ASSERT_NE(text.find("ExecStart=" + kBinary + " serve"), std::string::npos) << text;
  EXPECT_EQ(verify_output(text), "");
}

TEST(ShipSystemd, verify_reports_a_misspelt_directive_and_a_bad_value) {
  // Guards the check above: verify prints these but still exits 0, so only "no output" catches them.
  auto text = unit_for_build(read_file(kUnit));
  auto typo = text;
  typo.replace(typo.find("ProtectHome="), 12, "ProtectHme=");
  EXPECT_NE(verify_output(typo).find("Unknown key 'ProtectHme'"), std::string::npos);
  auto bad = text;
  bad.replace(bad.find("Restart=on-failure"), 18, "Restart=on-failur");
  EXPECT_NE(verify_output(bad).find("on-failur"), std::string::npos);
}

TEST(ShipSystemd, offline_security_exposure_is_at_most_2_0) {
  TempDir dir;
  auto path = dir.write("cartopull.service", unit_for_build(read_file(kUnit)));
  auto r =
      run_program({kAnalyze, "security", "--offline=yes", "--no-pager", path}, {{"SYSTEMD_COLORS", "0"}});
  ASSERT_EQ(r.status, 0) << r.err;
  std::smatch m;
  auto all = r.out + r.err;
  ASSERT_TRUE(std::regex_search(all, m, std::regex(R"(Overall exposure level for \S+: (\d+\.\d))"))) << all;
  double score = std::stod(m[1].str());
  EXPECT_LE(score, 2.0) << all;
  RecordProperty("exposure", m[1].str());
}

TEST(ShipSystemd, unit_keeps_the_lifecycle_directives_operators_rely_on) {
  auto text = read_file(kUnit);
  for (const char* line :
       {"Type=notify\n", "Restart=on-failure\n", "RestartPreventExitStatus=78\n",
        "ExecReload=/bin/kill -HUP $MAINPID\n", "DynamicUser=yes\n", "StateDirectory=cartopull\n",
        "ConfigurationDirectory=cartopull\n", "LogsDirectory=cartopull\n",
        "LoadCredential=carto-api-key:/etc/cartopull/carto-api-key\n", "ProtectSystem=strict\n",
        "NoNewPrivileges=yes\n", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n",
        "SystemCallFilter=@system-service\n", "MemoryDenyWriteExecute=yes\n", "CapabilityBoundingSet=\n"}) {
    EXPECT_NE(text.find(std::string("\n") + line), std::string::npos) << "missing " << line;
  }
  // The event loop pings at half of WATCHDOG_USEC (Daemon.notifies_systemd_ready_watchdog_and_stopping).
  EXPECT_NE(text.find("\nWatchdogSec=30s\n"), std::string::npos);
}
