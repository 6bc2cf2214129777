// store-crash-writer DB ACK_FILE TILES: writes TILES deterministic tiles into DB through the
// store's Writer, resuming the job's interrupted run if there is one, and appends to ACK_FILE:
//   "P <run> <resumed 0|1> <missing>"  once the plan is known (what this process will fetch),
//   "A <index>"                         for every tile whose commit the writer acknowledged,
//   "D"                                 when the run finished.
// The crash test SIGKILLs it at random points and checks the database against these lines.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "store/writer.hpp"
#include "support/tools/store_crash_tile.hpp"

namespace {

using namespace cartopull;
using namespace cartopull::store;
using namespace std::chrono_literals;

int ack_fd = -1;

// One write(2) per line batch: the kernel keeps it even when the process is killed right after.
void emit(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(ack_fd, text.data() + done, text.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
}

template <class T>
T must(result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "store-crash-writer: %s: %s\n", what, r.error().what().c_str());
    std::exit(2);
  }
  return std::move(*r);
}

TilesetMetadata metadata(std::uint32_t generation) {
  TilesetMetadata m;
  m.name = "crash";
  m.format = "png";
  m.bounds = "-180,-85.0511,180,85.0511";
  m.center = "0,0,8";
  m.minzoom = crash::kZoom;
  m.maxzoom = crash::kZoom;
  m.extra = {{"version", std::to_string(generation)},
             {"description", "generation " + std::to_string(generation)}};
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: store-crash-writer DB ACK_FILE TILES\n");
    return 64;
  }
  ack_fd = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (ack_fd < 0) return 2;
  const auto total = static_cast<std::uint32_t>(std::stoul(argv[3]));

  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::uint32_t> pending;  // seq -> tile index
  WriterOptions options;
  options.path = argv[1];
  options.batch_ops = 256;
  auto writer = must(Writer::start(options,
                                   [&](const CommitReport& report) {
                                     std::set<std::uint64_t> failed;
                                     for (const auto& f : report.failed) failed.insert(f.first);
                                     std::string lines;
                                     std::lock_guard lock(mutex);
                                     for (auto seq = report.first; seq <= report.last; ++seq) {
                                       auto it = pending.find(seq);
                                       if (it == pending.end()) continue;
                                       if (!failed.contains(seq))
                                         lines += "A " + std::to_string(it->second) + "\n";
                                       pending.erase(it);
                                     }
                                     if (!lines.empty()) emit(lines);
                                   }),
                     "start");

  const auto now = std::chrono::system_clock::now();
  bool resumed = false;
  const RunId run = must(writer
                             ->call<RunId>(
                                 [&](WriteContext& c) -> result<RunId> {
                                   auto found = c.ledger.find_resumable_run(crash::kJob);
                                   if (!found) return found.error();
                                   if (*found) {
                                     resumed = true;
                                     if (auto r = c.ledger.resume_run(**found); !r) return r.error();
                                     return **found;
                                   }
                                   return c.ledger.begin_run(crash::kJob, "manual", now);
                                 },
                                 5s)
                             .get(),
                         "begin run");
  const TilesetId tileset =
      must(writer
               ->call<TilesetId>(
                   [&](WriteContext& c) { return c.tiles.ensure_tileset(crash::kTileset, "png", now); }, 5s)
               .get(),
           "tileset");
  const auto done_keys = must(writer
                                  ->call<std::vector<TileKey>>(
                                      [&](WriteContext& c) { return c.tiles.tiles_of_run(tileset, run); }, 5s)
                                  .get(),
                              "tiles of run");
  const std::set<TileKey> done(done_keys.begin(), done_keys.end());
  std::vector<std::uint32_t> missing;
  for (std::uint32_t i = 0; i < total; ++i) {
    if (!done.contains(crash::tile_key(i))) missing.push_back(i);
  }
  emit("P " + std::to_string(run) + " " + (resumed ? "1" : "0") + " " + std::to_string(missing.size()) +
       "\n");

  std::int64_t progress = static_cast<std::int64_t>(done.size());
  for (std::size_t n = 0; n < missing.size(); ++n) {
    const auto index = missing[n];
    TileWrite tile;
    tile.tileset = tileset;
    tile.key = crash::tile_key(index);
    tile.data = crash::tile_bytes(index);
    tile.freshness.fetched_at = now;
    tile.freshness.etag = "\"" + std::to_string(index) + "\"";
    tile.run = run;
    {
      // Registered before submission so the listener can never see the sequence first.
      std::lock_guard lock(mutex);
      const auto seq = must(writer->submit(std::move(tile), 5s), "submit tile");
      pending.emplace(seq, index);
    }
    ++progress;
    if (n % 100 == 99) {
      must(writer->submit(CheckpointWrite{run, "tiles", std::to_string(progress), progress, total, now}, 5s),
           "checkpoint");
    }
    if (n % 1000 == 999) {
      const auto generation = static_cast<std::uint32_t>(progress);
      must(writer->submit(TaskWrite{[tileset, generation](WriteContext& c) {
                                      return c.tiles.set_metadata(tileset, metadata(generation));
                                    },
                                    false},
                          5s),
           "metadata");
    }
  }
  must(writer
           ->call<bool>(
               [&](WriteContext& c) -> result<bool> {
                 if (auto r = c.ledger.save_progress(run, "tiles", std::to_string(total), total, total, now);
                     !r) {
                   return r.error();
                 }
                 if (auto r = c.tiles.set_metadata(tileset, metadata(total)); !r) return r.error();
                 if (auto r = c.ledger.finish_run(run, RunStatus::ok, std::chrono::system_clock::now()); !r) {
                   return r.error();
                 }
                 return true;
               },
               5s)
           .get(),
       "finish");
  writer->stop();
  emit("D\n");
  return 0;
}
