#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cartopull::fake {

enum class RetryAfterMode { none, seconds, http_date };

// One misbehaviour rule for the requests whose route name or endpoint group equals match ("*": all).
// Probabilities are per request in [0, 1]. JSON keys are the member names (units in the names).
struct FaultRule {
  std::string match = "*";
  std::chrono::milliseconds latency{0};  // latency_ms: added before the response
  std::chrono::milliseconds jitter{0};   // jitter_ms: uniform extra 0..jitter
  std::map<int, double> errors;          // errors: {"503": 0.1}; 429 carries the CARTO limit body
  RetryAfterMode retry_after = RetryAfterMode::seconds;  // on injected 429/503: "none"|"seconds"|"http-date"
  std::int64_t retry_after_seconds = 1;
  double reset_before_headers = 0;            // TCP RST before any byte
  double reset_mid_body = 0;                  // headers + half the body, then RST
  double truncate = 0;                        // full Content-Length announced, half the body sent, then FIN
  double stall = 0;                           // headers + half the body, stall_ms of silence, then the rest
  std::chrono::milliseconds stall_for{2000};  // stall_ms
  double trickle = 0;                         // body in trickle_chunk_bytes pieces every trickle_delay_ms
  std::size_t trickle_chunk = 64;
  std::chrono::milliseconds trickle_delay{10};
  double oversize = 0;  // body padded to oversize_bytes (Content-Length says so)
  std::uint64_t oversize_bytes = 64ULL << 20;
  double malformed_json = 0;      // a JSON body cut in half (Content-Length consistent)
  double wrong_content_type = 0;  // Content-Type: text/html
  std::int64_t count = -1;        // matching requests left before the rule retires; -1: forever
};

// The active rules (first match wins) and the seed that makes every draw reproducible.
struct FaultSet {
  std::uint64_t seed = 1;
  std::vector<FaultRule> rules;
};

enum class BodyFault { none, reset_before_headers, reset_mid_body, truncate, stall, trickle, oversize };

// What the server does to one response.
struct FaultDecision {
  std::chrono::milliseconds delay{0};
  int error_status = 0;  // 0: serve the real response
  RetryAfterMode retry_after = RetryAfterMode::none;
  std::int64_t retry_after_seconds = 0;
  BodyFault body = BodyFault::none;
  bool malformed_json = false;
  bool wrong_content_type = false;
  std::chrono::milliseconds stall_for{0};
  std::size_t trickle_chunk = 64;
  std::chrono::milliseconds trickle_delay{0};
  std::uint64_t oversize_bytes = 0;
  std::string rule;  // the match of the applied rule, empty when none

  bool any() const { return !rule.empty(); }
};

// Picks the first live rule matching route or group and draws from a generator seeded by
// (seed, request sequence number), so one scenario replays identically. Decrements the rule's count.
FaultDecision decide(FaultSet& set, std::string_view route, std::string_view group, std::uint64_t sequence);

// {"seed": 42, "rules": [{...}]} or a bare rule array. Returns an error text on bad input.
std::optional<std::string> parse_fault_set(const boost::json::value& json, FaultSet& out);
std::optional<std::string> parse_fault_rule(const boost::json::value& json, FaultRule& out);

// Command-line form: "MATCH:key=value,key=value", e.g. "tile:latency_ms=20,error_503=0.1".
std::optional<std::string> parse_fault_flag(std::string_view flag, FaultRule& out);

boost::json::value to_json(const FaultSet& set);

// What a decision actually does to a response, for the request log: "+"-joined names from
// {latency, error_<status>[_retry_after_<mode>], reset_before_headers, reset_mid_body, truncate, stall,
// trickle, oversize, malformed_json, wrong_content_type}; empty when the rule matched but drew nothing.
// malformed_json only counts on a JSON body (is_json), where it is applied. Pure.
std::string fault_kind(const FaultDecision& d, bool is_json);

}  // namespace cartopull::fake
