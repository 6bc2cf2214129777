// Enumerates large tile pyramids and prints tiles/s and the process's peak RSS, showing that memory
// does not grow with the pyramid. Usage: tile_enumerator_bench [max_zoom=10]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "carto/tile_enumerator.hpp"

using namespace cartopull::carto;

namespace {

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void run(const char* name, Coverage coverage, std::uint32_t max_zoom) {
  TileEnumerator e(std::move(coverage), 0, max_zoom);
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t total = e.total();
  auto t1 = std::chrono::steady_clock::now();
  std::uint64_t n = 0, checksum = 0;
  while (auto t = e.next()) {
    ++n;
    checksum += t->x ^ t->y;
  }
  auto t2 = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(t2 - t1).count();
  std::printf(
      "%-28s z0-%-2u tiles=%-9llu counted=%-9llu enumerate=%.3fs (%.1f M tiles/s) count=%.3fs peak_rss=%ld "
      "KiB (checksum %llu)\n",
      name, max_zoom, static_cast<unsigned long long>(n), static_cast<unsigned long long>(total), secs,
      n / secs / 1e6, std::chrono::duration<double>(t1 - t0).count(), peak_rss_kib(),
      static_cast<unsigned long long>(checksum));
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t max_zoom = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 10;
  std::printf("peak RSS before: %ld KiB\n", peak_rss_kib());
  run("world", Coverage::world(), max_zoom);
  run("europe bbox", Coverage::from_boxes({cartopull::config::BBox{-10.5, 35, 30, 60}}), max_zoom + 3);
  auto poly = Coverage::from_geojson(
      R"({"type":"Polygon","coordinates":[[[-90,-60],[90,-60],[90,60],[45,60],[45,-30],[-45,-30],[-45,60],[-90,60],[-90,-60]]]})");
  if (poly) run("U-shaped polygon", *poly, max_zoom);
  return 0;
}
