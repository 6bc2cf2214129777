// Cost of fake-carto's request handling without sockets: CartoApi::handle() for a cached 10 KB tile,
// a tile miss (PNG render), and an instantiation. Prints ns per request; the socket figure comes
// from scripts/fake-carto-bench.sh (wrk).
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>

#include "support/fake_carto/carto_api.hpp"

namespace {

using cartopull::fake::ApiRequest;
using cartopull::fake::CartoApi;
using Clock = std::chrono::steady_clock;

constexpr const char* kConfig =
    R"({"version":"1.3.0","layers":[{"type":"mapnik","options":{"cartocss_version":"2.1.1","cartocss":"#l{}",)"
    R"("sql":"select 1","interactivity":"cartodb_id"}}]})";

template <class F>
void measure(const char* name, int n, F&& f) {
  const auto t0 = Clock::now();
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) bytes += f(i);
  const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
  std::printf("%-34s %9.0f ns/request  %10.0f requests/s  (avg body %zu bytes)\n", name, ns, 1e9 / ns,
              bytes / static_cast<std::size_t>(n));
}

}  // namespace

int main() {
  CartoApi api{cartopull::fake::Options{}};
  ApiRequest post{
      "POST", "/api/v1/map", {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}}, kConfig};
  auto r = api.handle(post, Clock::now(), std::chrono::system_clock::now());
  const auto token = std::string(boost::json::parse(*r.body).at("layergroupid").as_string());
  ApiRequest tile{"GET",
                  "/api/v1/map/" + token + "/6/11/3.png",
                  {{"Host", "127.0.0.1:8080"}, {"User-Agent", "wrk"}, {"Accept", "*/*"}},
                  ""};
  measure("tile, cached (10 KB PNG)", 200000,
          [&](int) { return api.handle(tile, Clock::now(), std::chrono::system_clock::now()).body->size(); });
  measure("tile, first render (PNG 256 px)", 300, [&](int i) {
    ApiRequest miss = tile;
    miss.target = "/api/v1/map/" + token + "/12/" + std::to_string(i) + "/7.png";
    return api.handle(miss, Clock::now(), std::chrono::system_clock::now()).body->size();
  });
  measure("instantiate (POST /api/v1/map)", 20000,
          [&](int) { return api.handle(post, Clock::now(), std::chrono::system_clock::now()).body->size(); });
  return 0;
}
