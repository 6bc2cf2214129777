// Requests/s of small bodies through http::Client (and http::Executor) on ONE event-loop thread, over
// keep-alive HTTP and TLS, against a local scripted server running on a second thread.
//
//   http_client_bench [--requests N] [--concurrency C] [--body-bytes B] [--wrk SECONDS] [--serve SECONDS]
//
// With --serve, it only starts the HTTP and HTTPS servers, prints their URLs, and keeps them up for that
// long, so that `wrk` can be pointed at the very same server for comparison. With --wrk, it runs
// `wrk -t1 -cC -dSECONDS` against both servers first, in the same process run as the client figures.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <thread>

#include "http/client.hpp"
#include "http/executor.hpp"
#include "support/http_test/scripted_server.hpp"
#include "support/http_test/test_pki.hpp"

namespace asio = boost::asio;
using namespace cartopull;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  long requests = 100000;
  int concurrency = 32;
  std::size_t body_bytes = 100;
  int serve_seconds = 0;
  int wrk_seconds = 0;  // > 0: first run wrk (if installed) against the same servers, for comparison
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--requests"))
      a.requests = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--concurrency"))
      a.concurrency = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--body-bytes"))
      a.body_bytes = static_cast<std::size_t>(std::atol(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--serve"))
      a.serve_seconds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--wrk"))
      a.wrk_seconds = std::atoi(argv[i + 1]);
  }
  return a;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Counters {
  long remaining = 0;
  long ok = 0;
  long failed = 0;
};

asio::awaitable<void> worker(http::Client* client, http::Executor* executor, std::string url, Counters* c) {
  while (c->remaining > 0) {
    --c->remaining;
    http::Request r;
    r.url = url;
    // No co_await inside ?: (GCC 12 miscompiles it).
    std::optional<result<http::Response>> res;
    if (executor)
      res.emplace(co_await executor->execute("bench", std::move(r)));
    else
      res.emplace(co_await client->send(std::move(r)));
    if (*res && (*res)->status == 200)
      ++c->ok;
    else
      ++c->failed;
  }
}

void run(const char* label, const std::string& url, const Args& a, const std::string& ca_file,
         bool use_executor) {
  asio::io_context ioc(1);
  http::ClientOptions o;
  o.ca_file = ca_file;
  o.max_connections_per_origin = static_cast<std::uint32_t>(a.concurrency);
  auto client = http::Client::create(ioc.get_executor(), o);
  if (!client) {
    std::fprintf(stderr, "client: %s\n", client.error().what().c_str());
    std::exit(1);
  }
  std::unique_ptr<http::Executor> executor;
  if (use_executor) {
    http::ExecutorOptions eo;
    eo.max_concurrency = static_cast<std::uint32_t>(a.concurrency);
    eo.arc.adaptive = false;
    eo.arc.max = static_cast<std::uint32_t>(a.concurrency);
    executor = std::make_unique<http::Executor>(**client, eo);
  }
  // Warm-up: open the connections (and TLS sessions) before timing.
  Counters warm{a.concurrency * 4L, 0, 0};
  for (int i = 0; i < a.concurrency; ++i)
    asio::co_spawn(ioc, worker(client->get(), executor.get(), url, &warm), asio::detached);
  ioc.run();
  ioc.restart();

  Counters c{a.requests, 0, 0};
  for (int i = 0; i < a.concurrency; ++i)
    asio::co_spawn(ioc, worker(client->get(), executor.get(), url, &c), asio::detached);
  auto t0 = Clock::now();
  double cpu0 = thread_cpu_seconds();
  ioc.run();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = thread_cpu_seconds() - cpu0;
  // Also per client-thread CPU second: on a shared machine, wall time includes other processes' turns.
  std::printf(
      "%-15s requests=%ld ok=%ld failed=%ld concurrency=%d body=%zuB wall=%.2fs rate=%.0f req/s "
      "client_cpu=%.2fs rate_per_client_cpu_second=%.0f connections=%llu\n",
      label, a.requests, c.ok, c.failed, a.concurrency, a.body_bytes, secs, static_cast<double>(c.ok) / secs,
      cpu, static_cast<double>(c.ok) / cpu,
      static_cast<unsigned long long>((*client)->stats().connections_opened));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  test::TestPki pki;
  std::string ca_file = pki.write_ca_file();
  std::string body(a.body_bytes, 'x');

  // The servers get their own thread, so the client's single event loop is all that is measured.
  asio::io_context server_ioc(1);
  auto handler = [&body](const test::ServedRequest&) {
    test::Reply r;
    r.body = body;
    r.headers = {{"Content-Type", "application/octet-stream"}};
    return r;
  };
  test::ScriptedServer plain(server_ioc.get_executor(), handler, std::nullopt, /*record=*/false);
  test::ScriptedServer tls(server_ioc.get_executor(), handler, pki.issue({"IP:127.0.0.1"}), /*record=*/false);
  auto guard = asio::make_work_guard(server_ioc);
  std::thread server_thread([&] { server_ioc.run(); });

  if (a.serve_seconds > 0) {
    std::printf("serving %s and %s for %d s\n", plain.url("/").c_str(), tls.url("/").c_str(),
                a.serve_seconds);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(a.serve_seconds));
  } else {
    if (a.wrk_seconds > 0) {
      for (const auto* server : {&plain, &tls}) {
        std::string cmd = "wrk -t1 -c" + std::to_string(a.concurrency) + " -d" +
                          std::to_string(a.wrk_seconds) + "s " + server->url("/tile.png");
        std::printf("$ %s\n", cmd.c_str());
        std::fflush(stdout);
        if (std::system(cmd.c_str()) != 0) std::printf("(wrk not available)\n");
      }
    }
    run("client http", plain.url("/tile.png"), a, ca_file, false);
    run("client https", tls.url("/tile.png"), a, ca_file, false);
    run("executor http", plain.url("/tile.png"), a, ca_file, true);
    run("executor https", tls.url("/tile.png"), a, ca_file, true);
  }
  guard.reset();
  server_ioc.stop();
  server_thread.join();
  std::remove(ca_file.c_str());
  return 0;
}
