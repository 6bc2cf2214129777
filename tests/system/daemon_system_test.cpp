// The whole daemon: `cartopull serve` spawned against the fake-carto binary with a temp config and
// database, observed through its admin API, /metrics, sd_notify messages, database and exit status.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <thread>

#include "support/child_process.hpp"
#include "support/fake_carto/sync_client.hpp"

using cartopull::testing::ChildProcess;
using cartopull::testing::read_file;
using cartopull::testing::TempDir;
using namespace std::chrono_literals;

namespace {

const std::string kDaemon = std::string(CARTOPULL_BINARY_DIR) + "/daemon/cartopull";
const std::string kFake = std::string(CARTOPULL_BINARY_DIR) + "/tests/fake-carto";
constexpr const char* kKey = "Daemon-Test-Key-9f3e";

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~NotifySocket() { ::close(fd_); }
  // Every message received until one contains `text` or `limit` passes.
  bool wait_for(const std::string& text, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (all_.find(text) != std::string::npos) return true;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) == 1) {
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n > 0) all_.append(buf, static_cast<std::size_t>(n)).push_back('\n');
      }
    }
    return all_.find(text) != std::string::npos;
  }
  const std::string& all() const { return all_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::string all_;
};

class Daemon : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        kFake, "--port", "0", "--port-file", dir_.file("fake.port"), "--seed-api-key", kKey});
    for (int i = 0; i < 500 && read_file(dir_.file("fake.port")).empty(); ++i)
      std::this_thread::sleep_for(10ms);
    fake_port_ = std::stoi(read_file(dir_.file("fake.port")));
  }

  std::string config(const std::string& schedule = "{}") {
    return "store: {path: " + dir_.file("state/c.db") +
           "}\n"
           "server: {listen: \"127.0.0.1:0\", shutdown_timeout: 5s}\n"
           "defaults: {rate_limits: {tile: {rate: 1000, burst: 100}, anonymous: {rate: 100, burst: 10}}}\n"
           "sources:\n"
           "  s: {shape: seed, base_url: \"http://127.0.0.1:" +
           std::to_string(fake_port_) +
           "/v1/\", api_key: \"${CARTO_API_KEY}\"}\n"
           "jobs:\n"
           "  - name: pyramid\n"
           "    source: s\n"
           "    schedule: " +
           schedule +
           "\n"
           "    resources:\n"
           "      - {name: layergroup, kind: layergroup, data_selector: /layergroupid}\n"
           "      - {name: tiles, kind: tiles, tiles: {min_zoom: 0, max_zoom: 3}}\n";
  }

  // Replaces the fake server with one started with `extra` options (faults).
  void restart_fake(std::vector<std::string> extra) {
    fake_.reset();
    std::filesystem::remove(dir_.file("fake.port"));
    std::vector<std::string> argv{
        kFake, "--port", "0", "--port-file", dir_.file("fake.port"), "--seed-api-key", kKey};
    argv.insert(argv.end(), extra.begin(), extra.end());
    fake_ = std::make_unique<ChildProcess>(argv);
    for (int i = 0; i < 500 && read_file(dir_.file("fake.port")).empty(); ++i)
      std::this_thread::sleep_for(10ms);
    fake_port_ = std::stoi(read_file(dir_.file("fake.port")));
  }

  // Starts the daemon and reads its admin port from the "serving" log line.
  std::unique_ptr<ChildProcess> start(const std::string& config_text,
                                      std::map<std::string, std::string> env = {}) {
    auto path = dir_.write("c.yaml", config_text);
    env["CARTO_API_KEY"] = kKey;
    env["JOURNAL_STREAM"] = "";
    auto p = std::make_unique<ChildProcess>(std::vector<std::string>{kDaemon, "serve", "-c", path}, env);
    EXPECT_TRUE(p->wait_for_stderr("/metrics", 20s)) << p->err();
    std::smatch m;
    auto err = p->err();
    static const std::regex kPort(R"(metrics on http://127\.0\.0\.1:(\d+)/metrics)");
    if (std::regex_search(err, m, kPort)) admin_port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    EXPECT_NE(admin_port_, 0) << err;
    return p;
  }

  cartopull::fake::SyncReply get(const std::string& target) {
    cartopull::fake::SyncClient c(admin_port_);
    return c.get(target);
  }

  // Polls /api/runs until the newest run of the job has finished.
  boost::json::object wait_for_run(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto reply = get("/api/runs?job=pyramid&limit=1");
      if (reply.status == 200) {
        auto runs = boost::json::parse(reply.body).at("runs").as_array();
        if (!runs.empty() && runs[0].at("status").as_string() != "running") return runs[0].as_object();
      }
      std::this_thread::sleep_for(20ms);
    }
    return {};
  }

  TempDir dir_;
  std::unique_ptr<ChildProcess> fake_;
  int fake_port_ = 0;
  std::uint16_t admin_port_ = 0;
};

TEST_F(Daemon, a_job_triggered_through_the_api_lands_rows_and_metrics) {
  auto daemon = start(config());
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(get("/readyz").status, 200);
  cartopull::fake::SyncClient admin(admin_port_);
  auto trigger = admin.request("POST", "/api/jobs/pyramid/run");
  EXPECT_EQ(trigger.status, 202) << trigger.body;
  auto run = wait_for_run(30s);
  ASSERT_FALSE(run.empty()) << daemon->err();
  EXPECT_EQ(run.at("status").as_string(), "ok");
  EXPECT_EQ(run.at("fetched").as_int64(), 1 + 85);
  EXPECT_TRUE(run.at("error").is_null()) << run.at("error");

  auto metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("cartopull_extract_items_total{job=\"pyramid\",outcome=\"fetched\"} 86"),
            std::string::npos)
      << metrics.substr(0, 2000);
  EXPECT_NE(metrics.find("cartopull_job_runs_total{job=\"pyramid\",outcome=\"succeeded\"} 1"),
            std::string::npos);
  EXPECT_EQ(metrics.find(kKey), std::string::npos);

  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), std::optional<int>(0)) << daemon->err();
  EXPECT_EQ(daemon->err().find(kKey), std::string::npos);
  auto db = dir_.file("state/c.db");
  cartopull::testing::RunResult count = cartopull::testing::run_program(
      {"/usr/bin/sqlite3", db, "SELECT count(*) FROM tiles; PRAGMA integrity_check;"});
  EXPECT_EQ(count.out, "85\nok\n") << count.err;
}

// A job whose tiles all fail leaves one dead letter per tile, shown by its gauge; the next clean
// run fetches them and the gauge drops to zero. Store write errors stay at zero throughout.
TEST_F(Daemon, dead_letter_gauge_follows_failed_tiles_and_their_recovery) {
  auto text = config();
  text.replace(text.find("defaults: {"), 11, "defaults: {retry: {max_attempts: 1}, ");
  auto daemon = start(text);
  cartopull::fake::SyncClient fake(static_cast<std::uint16_t>(fake_port_));
  auto put =
      fake.request("PUT", "/_fake/scenario", R"({"rules":[{"match":"seed_tile","errors":{"500":1.0}}]})");
  ASSERT_EQ(put.status, 200) << put.body;
  cartopull::fake::SyncClient admin(admin_port_);
  ASSERT_EQ(admin.request("POST", "/api/jobs/pyramid/run").status, 202);
  auto run = wait_for_run(30s);
  ASSERT_FALSE(run.empty()) << daemon->err();
  EXPECT_EQ(run.at("status").as_string(), "failed");
  static const std::regex kGauge(R"(cartopull_job_dead_letters\{job="pyramid"\} (\d+))");
  auto gauge = [&] {
    std::smatch m;
    auto body = get("/metrics").body;
    return std::regex_search(body, m, kGauge) ? std::stoi(m[1].str()) : -1;
  };
  // The gauge is set after the run's ledger row is final: poll briefly for it.
  int after_failure = -1;
  for (int i = 0; i < 100 && (after_failure = gauge()) != 85; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(after_failure, 85);  // z0-3: 85 tiles, each failed once

  // A restarted daemon reads the stored dead letters before any run.
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), std::optional<int>(0)) << daemon->err();
  daemon = start(text);
  EXPECT_EQ(gauge(), 85);

  ASSERT_EQ(fake.request("DELETE", "/_fake/scenario").status, 200);
  cartopull::fake::SyncClient admin2(admin_port_);
  ASSERT_EQ(admin2.request("POST", "/api/jobs/pyramid/run").status, 202);
  int after_recovery = -1;
  for (int i = 0; i < 1500 && (after_recovery = gauge()) != 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(after_recovery, 0);
  EXPECT_NE(get("/metrics").body.find("cartopull_store_write_errors_total 0"), std::string::npos);
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(20s), std::optional<int>(0)) << daemon->err();
}

TEST_F(Daemon, notifies_systemd_ready_watchdog_and_stopping) {
  NotifySocket notify(dir_.file("notify.sock"));
  auto daemon = start(config(), {{"NOTIFY_SOCKET", dir_.file("notify.sock")}, {"WATCHDOG_USEC", "200000"}});
  EXPECT_TRUE(notify.wait_for("READY=1", 10s)) << notify.all();
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 5s)) << notify.all();
  daemon->signal(SIGHUP);
  EXPECT_TRUE(notify.wait_for("RELOADING=1", 10s)) << notify.all();
  daemon->signal(SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 10s)) << notify.all();
  EXPECT_EQ(daemon->wait(20s), std::optional<int>(0)) << daemon->err();
}

TEST_F(Daemon, run_at_start_runs_once_and_a_second_signal_exits_at_once) {
  auto daemon = start(config("{every: 1h, run_at_start: true}"));
  auto run = wait_for_run(30s);
  ASSERT_FALSE(run.empty()) << daemon->err();
  EXPECT_EQ(run.at("trigger").as_string(), "at_start");
  daemon->signal(SIGTERM);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(10s), std::optional<int>(0)) << daemon->err();
  auto check = cartopull::testing::run_program(
      {"/usr/bin/sqlite3", dir_.file("state/c.db"), "PRAGMA integrity_check;"});
  EXPECT_EQ(check.out, "ok\n");
}

TEST_F(Daemon, a_second_signal_ends_a_slow_drain_at_once) {
  restart_fake({"--fault", "tile:latency_ms=3000"});  // every tile takes 3 s: the run cannot drain fast
  auto daemon = start(config("{every: 1h, run_at_start: true}"));  // shutdown_timeout: 5s
  bool running = false;
  for (int i = 0; i < 500 && !running; ++i) {
    running = get("/api/jobs").body.find("\"running\"") != std::string::npos;
    if (!running) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(running) << daemon->err();
  daemon->signal(SIGTERM);
  ASSERT_TRUE(daemon->wait_for_stderr("draining runs", 10s)) << daemon->err();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(10s), std::optional<int>(0)) << daemon->err();
  EXPECT_NE(daemon->err().find("second signal: exiting now"), std::string::npos) << daemon->err();
  EXPECT_EQ(daemon->err().find("runs drained"), std::string::npos) << daemon->err();
  auto check = cartopull::testing::run_program(
      {"/usr/bin/sqlite3", dir_.file("state/c.db"), "PRAGMA integrity_check;"});
  EXPECT_EQ(check.out, "ok\n");
}

TEST_F(Daemon, metrics_output_passes_promtool) {
  auto daemon = start(config());
  auto metrics = get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  auto file = dir_.write("metrics.txt", metrics.body);
  auto lint = cartopull::testing::run_program({"/bin/sh", "-c", "promtool check metrics < " + file});
  EXPECT_EQ(lint.status, 0) << lint.out << lint.err;
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), std::optional<int>(0));
}

TEST_F(Daemon, run_in_the_foreground_then_runs_status_and_an_mbtiles_export) {
  auto path = dir_.write("c.yaml", config());
  std::map<std::string, std::string> env{{"CARTO_API_KEY", kKey}};
  auto run = cartopull::testing::run_program({kDaemon, "run", "-c", path, "pyramid"}, env);
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("job pyramid run 1: ok"), std::string::npos) << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(fetched +86\n)"))) << run.out;

  auto runs = cartopull::testing::run_program({kDaemon, "runs", "-c", path}, env);
  EXPECT_EQ(runs.status, 0) << runs.err;
  EXPECT_NE(runs.out.find("pyramid"), std::string::npos) << runs.out;
  auto status = cartopull::testing::run_program({kDaemon, "status", "-c", path}, env);
  EXPECT_EQ(status.status, 0) << status.err;
  EXPECT_NE(status.out.find("pyramid/tiles/png"), std::string::npos) << status.out;

  auto out = dir_.file("pyramid.mbtiles");
  auto ex = cartopull::testing::run_program(
      {kDaemon, "export", "-c", path, "mbtiles", "pyramid/tiles/png", out}, env);
  ASSERT_EQ(ex.status, 0) << ex.err;
  // MBTiles rows are TMS: tile 1/0/0 (XYZ, north-west) is stored at tile_row 1.
  auto check = cartopull::testing::run_program(
      {"/usr/bin/sqlite3", out,
       "SELECT count(*) FROM tiles; SELECT value FROM metadata WHERE name = 'format';"
       "SELECT count(*) FROM tiles WHERE zoom_level = 1 AND tile_column = 0 AND tile_row = 1;"});
  EXPECT_EQ(check.out, "85\npng\n1\n") << check.err;
  auto missing =
      cartopull::testing::run_program({kDaemon, "export", "-c", path, "mbtiles", "nope", out}, env);
  EXPECT_EQ(missing.status, 64);
}

TEST_F(Daemon, admin_floods_and_a_slowloris_never_stall_a_running_pyramid) {
  auto daemon = start(config());
  // A slowloris trickles one header byte every 100 ms; the server must cut it at its header deadline.
  std::atomic<bool> slowloris_cut{false};
  std::thread slowloris([this, &slowloris_cut] {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    boost::system::error_code ec;
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), admin_port_}, ec);
    std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    boost::asio::write(sock, boost::asio::buffer(header), ec);
    for (int i = 0; i < 150 && !ec; ++i) {
      boost::asio::write(sock, boost::asio::buffer("a", 1), ec);
      std::this_thread::sleep_for(100ms);
    }
    slowloris_cut = static_cast<bool>(ec);
  });
  cartopull::fake::SyncClient admin(admin_port_);
  ASSERT_EQ(admin.request("POST", "/api/jobs/pyramid/run").status, 202);
  // 200 clients at once against a connection cap of 64, while the pyramid runs.
  std::vector<std::thread> clients;
  std::atomic<int> served{0};
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([this, &served] {
      cartopull::fake::SyncClient c(admin_port_);
      if (c.get("/healthz").status == 200) ++served;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(served.load(), 200);
  auto run = wait_for_run(60s);
  ASSERT_FALSE(run.empty()) << daemon->err();
  EXPECT_EQ(run.at("status").as_string(), "ok");
  EXPECT_EQ(run.at("fetched").as_int64(), 1 + 85);
  slowloris.join();
  EXPECT_TRUE(slowloris_cut.load()) << "the slowloris connection was never closed";
  EXPECT_EQ(get("/healthz").status, 200);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), std::optional<int>(0)) << daemon->err();
}

TEST_F(Daemon, sighup_adds_reschedules_and_removes_jobs_and_keeps_the_old_config_when_invalid) {
  auto daemon = start(config("{every: 1h}"));
  auto jobs = [this] { return get("/api/jobs").body; };
  EXPECT_NE(jobs().find("\"pyramid\""), std::string::npos);
  // Changed schedule for pyramid, plus a new job.
  auto changed =
      config("{every: 2h}") + "  - {name: extra, source: s, resources: [{name: map, kind: map}]}\n";
  dir_.write("c.yaml", changed);
  daemon->signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_stderr("1 added, 1 rescheduled, 0 removed", 10s)) << daemon->err();
  EXPECT_NE(jobs().find("\"extra\""), std::string::npos) << jobs();
  // An invalid file is rejected whole: both jobs stay.
  dir_.write("c.yaml", changed + "bogus_key: 1\n");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_stderr("reload rejected", 10s)) << daemon->err();
  EXPECT_NE(jobs().find("\"extra\""), std::string::npos);
  // Back to one job: extra is removed; pyramid's schedule did not change, so it is not rescheduled.
  dir_.write("c.yaml", config("{every: 2h}"));
  daemon->signal(SIGHUP);
  ASSERT_TRUE(daemon->wait_for_stderr("0 added, 0 rescheduled, 1 removed", 10s)) << daemon->err();
  EXPECT_EQ(jobs().find("\"extra\""), std::string::npos) << jobs();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(20s), std::optional<int>(0)) << daemon->err();
}

TEST(DaemonResume, a_run_killed_mid_pyramid_is_resumed_without_refetching_stored_tiles) {
  TempDir dir;
  // Every tile takes 20 ms (two at a time), so the kill lands in the middle of the 341-tile pyramid.
  ChildProcess fake({kFake, "--port", "0", "--port-file", dir.file("fake.port"), "--seed-api-key", kKey,
                     "--fault", "seed_tile:latency_ms=20"});
  for (int i = 0; i < 500 && read_file(dir.file("fake.port")).empty(); ++i) std::this_thread::sleep_for(10ms);
  auto port_text = read_file(dir.file("fake.port"));
  ASSERT_FALSE(port_text.empty());
  auto port = std::to_string(std::stoi(port_text));
  auto path = dir.write(
      "c.yaml", "store: {path: " + dir.file("c.db") +
                    "}\n"
                    "defaults: {concurrency: {max: 2}, rate_limits: {tile: {rate: 10000, burst: 100}}}\n"
                    "sources: {s: {shape: seed, base_url: \"http://127.0.0.1:" +
                    port +
                    "/v1/\", api_key: \"${CARTO_API_KEY}\"}}\n"
                    "jobs: [{name: pyramid, source: s, resources: [{name: tiles, kind: tiles, "
                    "tiles: {min_zoom: 0, max_zoom: 4}}]}]\n");
  std::map<std::string, std::string> env{{"CARTO_API_KEY", kKey}, {"JOURNAL_STREAM", ""}};
  auto tiles = [&] {
    auto r = cartopull::testing::run_program(
        {"/usr/bin/sqlite3", dir.file("c.db"), "SELECT count(*) FROM tiles;"});
    return r.out.empty() ? 0 : std::stoi(r.out);
  };
  {
    ChildProcess first({kDaemon, "run", "-c", path, "pyramid"}, env);
    for (int i = 0; i < 2000 && tiles() < 50; ++i) std::this_thread::sleep_for(5ms);
    first.signal(SIGKILL);
    ASSERT_EQ(first.wait(10s), std::optional<int>(128 + SIGKILL));
  }
  int stored = tiles();
  ASSERT_GE(stored, 50);
  ASSERT_LT(stored, 341) << "the kill came too late to test a resume";

  auto second = cartopull::testing::run_program({kDaemon, "run", "-c", path, "pyramid"}, env);
  EXPECT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("job pyramid run 1 (resumed): ok"), std::string::npos) << second.out;
  EXPECT_NE(second.err.find("resuming, " + std::to_string(stored) + " tiles already stored"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(tiles(), 341);
  auto check = cartopull::testing::run_program(
      {"/usr/bin/sqlite3", dir.file("c.db"), "PRAGMA integrity_check; SELECT status, resumes FROM runs;"});
  EXPECT_EQ(check.out, "ok\nok|1\n");
}

}  // namespace
