#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/run_ledger.hpp"
#include "store/timestamp.hpp"

namespace cartopull::store {

struct DeadLetter {
  std::string job;
  std::string resource;
  std::string item;    // e.g. "12/2047/1362" for a tile, a template id for a named map
  std::string reason;  // one redacted line: never a URL with a key
  std::int64_t attempts = 0;
  std::string first_failed_at;
  std::string last_failed_at;
  std::optional<RunId> last_run;
};

// Items that failed after retries; the next run of their job retries them first and removes them
// on success. Threading: the thread owning `db`.
class DeadLetters {
 public:
  explicit DeadLetters(Database& db) : db_(db) {}

  // Records a failure; an item already present gets attempts added and its reason updated.
  result<void> add(const std::string& job, const std::string& resource, const std::string& item,
                   const std::string& reason, std::int64_t attempts, std::optional<RunId> run, Timestamp now);
  result<bool> remove(const std::string& job, const std::string& resource, const std::string& item);
  result<std::vector<DeadLetter>> list(const std::string& job);
  // How many items of `job` wait to be retried (for the dead-letter gauge; no rows are read).
  result<std::int64_t> count(const std::string& job);
  // The same for every job that has any, keyed by job name (one query at daemon startup).
  result<std::map<std::string, std::int64_t>> counts();

 private:
  Database& db_;
};

}  // namespace cartopull::store
