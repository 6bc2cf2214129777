#pragma once

#include <span>
#include <string_view>

#include "core/result.hpp"
#include "store/database.hpp"

namespace cartopull::store {

// The schema history. Version N is reached by applying migrations 1..N in order, each in its own
// transaction together with `PRAGMA user_version = N`, so a crash leaves a whole version.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

std::span<const Migration> migrations() noexcept;
int latest_schema_version() noexcept;

// Brings the database to `target` (default: latest). Fails with store_failed when the file is
// newer than this binary (never downgrades) or a migration fails (then nothing of it is applied).
result<int> migrate(Database& db, int target = -1);

}  // namespace cartopull::store
