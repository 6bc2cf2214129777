// contrib/: alert rules and their unit tests through promtool, the scrape config, the Grafana dashboard's
// PromQL, metric names against the catalogue, and the logrotate snippet against the running daemon.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "support/child_process.hpp"

using cartopull::testing::ChildProcess;
using cartopull::testing::read_file;
using cartopull::testing::run_program;
using cartopull::testing::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kSource = CARTOPULL_SOURCE_DIR;
const std::string kContrib = kSource + "/contrib";
const std::string kBinary = std::string(CARTOPULL_BINARY_DIR) + "/daemon/cartopull";
constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kLogrotate = "/usr/sbin/logrotate";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

void collect_exprs(const boost::json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.get_object()) {
      if (key == "expr" && child.is_string()) out.emplace_back(child.get_string());
      collect_exprs(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.get_array()) collect_exprs(child, out);
  }
}

std::vector<std::string> dashboard_exprs() {
  std::vector<std::string> exprs;
  collect_exprs(boost::json::parse(read_file(kContrib + "/grafana/cartopull.json")), exprs);
  return exprs;
}

std::set<std::string> metric_names_in(const std::string& text) {
  std::set<std::string> names;
  std::regex name(R"(\b((cartopull|process)_[a-z_]+)\b)");
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) names.insert((*it)[1]);
  return names;
}

}  // namespace

TEST(ShipContrib, alert_rules_pass_promtool_check_and_their_unit_tests) {
  ASSERT_TRUE(fs::exists(kPromtool)) << "install the Debian package prometheus (promtool)";
  auto check = run_program({kPromtool, "check", "rules", kContrib + "/prometheus/alerts.yml"});
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("SUCCESS: 10 rules found"), std::string::npos) << check.out;
  auto test = run_program({kPromtool, "test", "rules", kContrib + "/prometheus/alerts_test.yml"});
  EXPECT_EQ(test.status, 0) << test.out << test.err;
  EXPECT_NE(test.out.find("SUCCESS"), std::string::npos) << test.out;
}

TEST(ShipContrib, every_alert_has_a_promtool_unit_test) {
  auto rules = read_file(kContrib + "/prometheus/alerts.yml");
  auto tests = read_file(kContrib + "/prometheus/alerts_test.yml");
  std::regex alert(R"(- alert: (\w+))");
  int count = 0;
  for (std::sregex_iterator it(rules.begin(), rules.end(), alert), end; it != end; ++it, ++count)
    EXPECT_NE(tests.find("alertname: " + (*it)[1].str() + "\n"), std::string::npos) << (*it)[1];
  EXPECT_EQ(count, 10);
}

TEST(ShipContrib, scrape_config_passes_promtool_check) {
  TempDir dir;
  // The example names the rules where an operator installs them; check it against ours.
  auto text = replace_all(read_file(kContrib + "/prometheus/prometheus.yml"),
                          "/etc/prometheus/rules/cartopull-alerts.yml", kContrib + "/prometheus/alerts.yml");
  auto path = dir.write("prometheus.yml", text);
  auto r = run_program({kPromtool, "check", "config", path});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SUCCESS: 10 rules found"), std::string::npos) << r.out;
}

TEST(ShipContrib, dashboard_queries_are_valid_promql) {
  auto exprs = dashboard_exprs();
  ASSERT_GE(exprs.size(), 20u);
  // Each query as a recording rule, Grafana's variables replaced by what Grafana would send.
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  int i = 0;
  for (auto e : exprs) {
    e = replace_all(e, "$__rate_interval", "2m");
    e = replace_all(e, "$instance", ".*");
    e = replace_all(e, "$jobname", ".*");
    EXPECT_EQ(e.find('$'), std::string::npos) << "unknown dashboard variable in " << e;
    rules += "      - record: dashboard:q" + std::to_string(i++) + "\n        expr: '" +
             replace_all(e, "'", "''") + "'\n";
  }
  TempDir dir;
  auto path = dir.write("dashboard-rules.yml", rules);
  auto r = run_program({kPromtool, "check", "rules", path});
  EXPECT_EQ(r.status, 0) << r.out << r.err << rules;
}

TEST(ShipContrib, dashboard_and_alerts_use_only_catalogue_metrics) {
  auto catalogue_cpp = kSource + "/lib/metrics/metrics.cpp";
  ASSERT_TRUE(fs::exists(catalogue_cpp)) << catalogue_cpp;
  std::set<std::string> known;
  auto cpp = read_file(catalogue_cpp);
  std::regex family(R"re(\.Name\("([a-z_]+)"\))re");
  for (std::sregex_iterator it(cpp.begin(), cpp.end(), family), end; it != end; ++it) {
    known.insert((*it)[1]);
    for (const char* suffix : {"_bucket", "_sum", "_count"}) known.insert((*it)[1].str() + suffix);
  }
  ASSERT_GE(known.size(), 20u);
  std::string used_text = read_file(kContrib + "/prometheus/alerts.yml");
  for (const auto& e : dashboard_exprs()) used_text += e + "\n";
  for (const auto& name : metric_names_in(used_text)) EXPECT_TRUE(known.count(name)) << name;
}

TEST(ShipContrib, logrotate_snippet_rotates_and_the_daemon_reopens_its_file) {
  ASSERT_TRUE(fs::exists(kLogrotate)) << "install the Debian package logrotate";
  TempDir dir;
  auto log = dir.file("cartopull.log");
  auto config =
      dir.write("c.yaml", "log: {file: " + log + "}\nstore: {path: " + dir.file("state.db") +
                              "}\n"
                              "server: {listen: \"127.0.0.1:0\", shutdown_timeout: 1s}\n"
                              "sources: {s: {base_url: \"http://127.0.0.1:9/v1/\", auth: none}}\n"
                              "jobs: [{name: j, source: s, resources: [{name: m, kind: map, path: map}]}]\n");
  ChildProcess p({kBinary, "serve", "-c", config}, {{"JOURNAL_STREAM", ""}});
  ASSERT_TRUE(p.wait_for_stderr("serving", 10s)) << p.err();

  // The shipped snippet with the test's directory and pid in place of /var/log and systemctl.
  auto snippet = read_file(kContrib + "/logrotate/cartopull");
  snippet = replace_all(snippet, "/var/log/cartopull/", dir.path() + "/");
  std::regex signal_line(R"(systemctl kill[^\n]*)");
  ASSERT_TRUE(std::regex_search(snippet, signal_line)) << snippet;
  snippet = std::regex_replace(snippet, signal_line, "kill -USR1 " + std::to_string(p.pid()));
  auto conf = dir.write("logrotate.conf", snippet);
  auto r = run_program({kLogrotate, "--force", "--state", dir.file("state"), conf});
  ASSERT_EQ(r.status, 0) << r.out << r.err;

  ASSERT_TRUE(p.wait_for_stderr("log file reopened", 10s)) << p.err();
  p.signal(SIGTERM);
  ASSERT_EQ(p.wait(10s), std::optional<int>(0)) << p.err();
  // delaycompress: the first rotation stays plain text, and holds the lines before the rotation.
  EXPECT_NE(read_file(log + ".1").find("serving"), std::string::npos);
  auto fresh = read_file(log);
  EXPECT_NE(fresh.find("log file reopened"), std::string::npos) << fresh;
  EXPECT_EQ(fresh.find("serving"), std::string::npos) << fresh;
}
