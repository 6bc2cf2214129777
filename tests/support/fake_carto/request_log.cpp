#include "support/fake_carto/request_log.hpp"

#include <boost/json.hpp>

namespace cartopull::fake {

std::uint64_t RequestLog::add(LoggedRequest entry) {
  entry.sequence = next_sequence_++;
  ++counters_[{entry.route, entry.status}];
  if (capacity_ == 0) return entry.sequence;
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(std::move(entry));
  return entries_.back().sequence;
}

void RequestLog::patch_bytes(std::uint64_t sequence, std::uint64_t bytes) {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->sequence == sequence) {
      it->bytes = bytes;
      return;
    }
    if (it->sequence < sequence) return;
  }
}

void RequestLog::clear() {
  entries_.clear();
  counters_.clear();
}

boost::json::value RequestLog::entries_json(std::size_t limit) const {
  boost::json::array out;
  const std::size_t skip = entries_.size() > limit ? entries_.size() - limit : 0;
  for (std::size_t i = skip; i < entries_.size(); ++i) {
    const auto& e = entries_[i];
    boost::json::object headers;
    for (const auto& [k, v] : e.headers) headers[k] = v;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(e.arrival.time_since_epoch()).count();
    out.push_back(boost::json::object{{"sequence", e.sequence},
                                      {"method", e.method},
                                      {"target", e.target},
                                      {"headers", headers},
                                      {"arrival_ms", ms},
                                      {"route", e.route},
                                      {"group", e.group},
                                      {"status", e.status},
                                      {"bytes", e.bytes},
                                      {"fault", e.fault},
                                      {"fault_kind", e.fault_kind}});
  }
  return out;
}

boost::json::value RequestLog::counters_json() const {
  boost::json::object out;
  for (const auto& [key, n] : counters_) {
    auto& route = out[key.first];
    if (!route.is_object()) route = boost::json::object();
    route.get_object()[std::to_string(key.second)] = n;
  }
  return out;
}

}  // namespace cartopull::fake
