#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/dead_letters.hpp"
#include "store/image_store.hpp"
#include "store/resource_store.hpp"
#include "store/run_ledger.hpp"
#include "store/tile_store.hpp"

namespace cartopull::store {

// The writer thread's connection and the stores bound to it, handed to TaskWrite functions.
struct WriteContext {
  explicit WriteContext(Database& database)
      : db(database),
        ledger(database),
        tiles(database),
        resources(database),
        images(database),
        dead(database) {}
  Database& db;
  RunLedger ledger;
  TileStore tiles;
  ResourceStore resources;
  ImageStore images;
  DeadLetters dead;
  // Called after the batch holding the current op commits (nullptr) or fails (the error).
  std::vector<std::function<void(const Error*)>> after_commit;
};

// A 304 Not Modified for a stored tile.
struct TileTouch {
  TilesetId tileset = 0;
  TileKey key;
  TileFreshness freshness;
  std::optional<RunId> run;
};

// Where a resource of a run stands; committed in the same transaction as the data before it.
struct CheckpointWrite {
  RunId run = 0;
  std::string resource;
  std::optional<std::string> checkpoint;
  std::int64_t done = 0;
  std::optional<std::int64_t> total;
  Timestamp at;
};

struct CountsWrite {
  RunId run = 0;
  RunCounts delta;
};

struct ResourceWrite {
  ResourceSpec spec;
  RunId run = 0;
  Timestamp fetched_at;
  std::string json;
};

struct DeadLetterWrite {
  std::string job;
  std::string resource;
  std::string item;
  std::string reason;
  std::int64_t attempts = 1;
  std::optional<RunId> run;
  Timestamp at;
};

// Anything else on the writer connection (ledger, tileset metadata, retention). commit_now ends
// the batch right after it, so a caller waiting on it is not held for the batch interval.
struct TaskWrite {
  std::function<result<void>(WriteContext&)> fn;
  bool commit_now = true;
};

using WriteOp = std::variant<TileWrite, TileTouch, CheckpointWrite, CountsWrite, ResourceWrite, ImageWrite,
                             DeadLetterWrite, TaskWrite>;

// What an op costs in the queue's byte bound: its payload plus a fixed overhead.
std::size_t op_bytes(const WriteOp& op) noexcept;

// Applies one op on the writer connection (inside the writer's open transaction).
result<void> apply(WriteContext& context, WriteOp& op);

}  // namespace cartopull::store
