#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cartopull::fake {

// One served request. target and header values are already masked with core/redact.hpp.
struct LoggedRequest {
  std::uint64_t sequence = 0;  // 0-based arrival order
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::system_clock::time_point arrival;
  std::string route;        // bounded set, e.g. "tile", "map_post", "seed_tile"
  std::string group;        // rate-limit endpoint group, e.g. "tile", "anonymous"
  int status = 0;           // the status line sent (0 when the connection was reset before headers)
  std::uint64_t bytes = 0;  // body bytes actually written
  std::string fault;        // the applied fault rule's match, empty when none
  std::string fault_kind;   // what the rule did (fault_plan.hpp fault_kind), empty when nothing
};

// Bounded log of requests plus counters per (route, status). Lives on the server's event loop
// thread; tests read copies through Server, which hops onto that thread.
class RequestLog {
 public:
  explicit RequestLog(std::size_t capacity = 100'000) : capacity_(capacity) {}

  // Assigns the entry's sequence and returns it.
  std::uint64_t add(LoggedRequest entry);
  // Corrects the body bytes of an entry once the write finished (a reset or a slow client).
  void patch_bytes(std::uint64_t sequence, std::uint64_t bytes);
  void clear();
  const std::deque<LoggedRequest>& entries() const { return entries_; }
  const std::map<std::pair<std::string, int>, std::uint64_t>& counters() const { return counters_; }

  boost::json::value entries_json(std::size_t limit) const;  // newest last
  boost::json::value counters_json() const;                  // {"route": {"200": n, ...}, ...}

 private:
  std::size_t capacity_;
  std::deque<LoggedRequest> entries_;
  std::map<std::pair<std::string, int>, std::uint64_t> counters_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace cartopull::fake
