#pragma once

#include <chrono>
#include <cstdint>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/timestamp.hpp"

namespace cartopull::store {

struct RetentionPolicy {
  std::uint32_t keep_runs = 100;          // newest runs kept per job; 0: no count limit
  std::chrono::milliseconds keep_for{0};  // runs started earlier than now - keep_for go; 0: no age limit
};

struct RetentionStats {
  std::int64_t runs = 0;           // ledger rows removed (with their progress)
  std::int64_t resource_rows = 0;  // rows of append tables written by those runs
  std::int64_t images = 0;         // image versions of those runs (never a resource's latest)
  std::int64_t blobs = 0;          // blobs no tile or image references any more
};

// Removes history beyond either limit, in one savepoint. Never removes a running run, nor a job's
// newest run (it may be resumable), nor current data: replace/merge rows, the tiles of a tileset
// and each resource's latest image stay. Threading: the writer's connection.
result<RetentionStats> apply_retention(Database& db, const RetentionPolicy& policy, Timestamp now);

}  // namespace cartopull::store
