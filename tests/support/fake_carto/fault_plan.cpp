#include "support/fake_carto/fault_plan.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace cartopull::fake {
namespace {

std::uint64_t mix(std::uint64_t v) {
  v += 0x9e3779b97f4a7c15ULL;
  v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
  v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
  return v ^ (v >> 31);
}

struct Draws {
  std::uint64_t state;
  double uniform() { return static_cast<double>((state = mix(state)) >> 11) * 0x1.0p-53; }
};

std::optional<double> number(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_string()) {
    double d = 0;
    auto s = v.get_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && p == s.data() + s.size()) return d;
  }
  return std::nullopt;
}

const char* retry_after_name(RetryAfterMode m) {
  switch (m) {
    case RetryAfterMode::none: return "none";
    case RetryAfterMode::seconds: return "seconds";
    case RetryAfterMode::http_date: return "http-date";
  }
  return "none";
}

const char* body_fault_name(BodyFault b) {
  switch (b) {
    case BodyFault::none: return "";
    case BodyFault::reset_before_headers: return "reset_before_headers";
    case BodyFault::reset_mid_body: return "reset_mid_body";
    case BodyFault::truncate: return "truncate";
    case BodyFault::stall: return "stall";
    case BodyFault::trickle: return "trickle";
    case BodyFault::oversize: return "oversize";
  }
  return "";
}

}  // namespace

std::string fault_kind(const FaultDecision& d, bool is_json) {
  std::string out;
  auto add = [&out](std::string_view name) {
    if (!out.empty()) out += '+';
    out += name;
  };
  if (d.delay.count() > 0) add("latency");
  if (d.error_status != 0) {
    std::string e = "error_" + std::to_string(d.error_status);
    if (d.retry_after != RetryAfterMode::none)
      e += std::string("_retry_after_") + retry_after_name(d.retry_after);
    add(e);
  }
  if (d.body != BodyFault::none) add(body_fault_name(d.body));
  if (d.malformed_json && is_json) add("malformed_json");
  if (d.wrong_content_type) add("wrong_content_type");
  return out;
}

FaultDecision decide(FaultSet& set, std::string_view route, std::string_view group, std::uint64_t sequence) {
  FaultDecision d;
  for (auto& rule : set.rules) {
    if (rule.count == 0) continue;
    if (rule.match != "*" && rule.match != route && rule.match != group) continue;
    if (rule.count > 0) --rule.count;
    Draws draws{mix(set.seed) ^ mix(sequence + 0x51ed27)};
    d.rule = rule.match;
    // Fixed draw order keeps decisions stable when a rule gains a new knob.
    const double u_latency = draws.uniform(), u_error = draws.uniform(), u_body = draws.uniform();
    const double u_json = draws.uniform(), u_type = draws.uniform();
    d.delay =
        rule.latency + std::chrono::milliseconds(static_cast<std::int64_t>(u_latency * rule.jitter.count()));
    double acc = 0;
    for (const auto& [status, p] : rule.errors) {
      acc += p;
      if (u_error < acc) {
        d.error_status = status;
        break;
      }
    }
    if (d.error_status == 429 || d.error_status == 503) {
      d.retry_after = rule.retry_after;
      d.retry_after_seconds = rule.retry_after_seconds;
    }
    const std::pair<double, BodyFault> bodies[] = {
        {rule.reset_before_headers, BodyFault::reset_before_headers},
        {rule.reset_mid_body, BodyFault::reset_mid_body},
        {rule.truncate, BodyFault::truncate},
        {rule.stall, BodyFault::stall},
        {rule.trickle, BodyFault::trickle},
        {rule.oversize, BodyFault::oversize}};
    acc = 0;
    for (const auto& [p, kind] : bodies) {
      acc += p;
      if (u_body < acc) {
        d.body = kind;
        break;
      }
    }
    d.malformed_json = u_json < rule.malformed_json;
    d.wrong_content_type = u_type < rule.wrong_content_type;
    d.stall_for = rule.stall_for;
    d.trickle_chunk = std::max<std::size_t>(1, rule.trickle_chunk);
    d.trickle_delay = rule.trickle_delay;
    d.oversize_bytes = rule.oversize_bytes;
    return d;
  }
  return d;
}

std::optional<std::string> parse_fault_rule(const boost::json::value& json, FaultRule& out) {
  if (!json.is_object()) return "a fault rule must be a JSON object";
  out = FaultRule{};
  for (const auto& [key, v] : json.get_object()) {
    if (key == "match") {
      if (!v.is_string()) return "match must be a string";
      out.match = std::string(v.get_string());
      continue;
    }
    if (key == "retry_after") {
      std::string_view s = v.is_string() ? std::string_view(v.get_string()) : std::string_view();
      if (s == "none")
        out.retry_after = RetryAfterMode::none;
      else if (s == "seconds")
        out.retry_after = RetryAfterMode::seconds;
      else if (s == "http-date")
        out.retry_after = RetryAfterMode::http_date;
      else
        return "retry_after must be none, seconds or http-date";
      continue;
    }
    if (key == "errors") {
      if (!v.is_object()) return "errors must be an object of status: probability";
      for (const auto& [status, p] : v.get_object()) {
        int code = 0;
        auto [ptr, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
        auto prob = number(p);
        if (ec != std::errc() || code < 400 || code > 599 || !prob)
          return "bad errors entry " + std::string(status);
        out.errors[code] = *prob;
      }
      continue;
    }
    if (key.starts_with("error_")) {  // flag form error_503=0.1
      int code = 0;
      auto s = key.substr(6);
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
      auto prob = number(v);
      if (ec != std::errc() || code < 400 || code > 599 || !prob) return "bad " + std::string(key);
      out.errors[code] = *prob;
      continue;
    }
    auto n = number(v);
    if (!n) return std::string(key) + " must be a number";
    auto ms = std::chrono::milliseconds(static_cast<std::int64_t>(*n));
    if (key == "latency_ms")
      out.latency = ms;
    else if (key == "jitter_ms")
      out.jitter = ms;
    else if (key == "retry_after_seconds")
      out.retry_after_seconds = static_cast<std::int64_t>(*n);
    else if (key == "reset_before_headers")
      out.reset_before_headers = *n;
    else if (key == "reset_mid_body")
      out.reset_mid_body = *n;
    else if (key == "truncate")
      out.truncate = *n;
    else if (key == "stall")
      out.stall = *n;
    else if (key == "stall_ms")
      out.stall_for = ms;
    else if (key == "trickle")
      out.trickle = *n;
    else if (key == "trickle_chunk_bytes")
      out.trickle_chunk = static_cast<std::size_t>(*n);
    else if (key == "trickle_delay_ms")
      out.trickle_delay = ms;
    else if (key == "oversize")
      out.oversize = *n;
    else if (key == "oversize_bytes")
      out.oversize_bytes = static_cast<std::uint64_t>(*n);
    else if (key == "malformed_json")
      out.malformed_json = *n;
    else if (key == "wrong_content_type")
      out.wrong_content_type = *n;
    else if (key == "count")
      out.count = static_cast<std::int64_t>(*n);
    else
      return "unknown fault key " + std::string(key);
  }
  return std::nullopt;
}

std::optional<std::string> parse_fault_set(const boost::json::value& json, FaultSet& out) {
  FaultSet set;
  const boost::json::value* rules = &json;
  if (json.is_object()) {
    const auto& o = json.get_object();
    if (auto* s = o.if_contains("seed")) {
      auto n = number(*s);
      if (!n) return "seed must be a number";
      set.seed = static_cast<std::uint64_t>(*n);
    }
    rules = o.if_contains("rules");
    if (!rules) {
      out = std::move(set);
      return std::nullopt;
    }
  }
  if (!rules->is_array()) return "rules must be an array";
  for (const auto& r : rules->get_array()) {
    FaultRule rule;
    if (auto e = parse_fault_rule(r, rule)) return e;
    set.rules.push_back(std::move(rule));
  }
  out = std::move(set);
  return std::nullopt;
}

std::optional<std::string> parse_fault_flag(std::string_view flag, FaultRule& out) {
  auto colon = flag.find(':');
  if (colon == std::string_view::npos) return "expected MATCH:key=value[,key=value...]";
  boost::json::object o;
  o["match"] = flag.substr(0, colon);
  auto rest = flag.substr(colon + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return "expected key=value in " + std::string(item);
    o[item.substr(0, eq)] = item.substr(eq + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return parse_fault_rule(o, out);
}

boost::json::value to_json(const FaultSet& set) {
  boost::json::array rules;
  for (const auto& r : set.rules) {
    boost::json::object errors;
    for (const auto& [s, p] : r.errors) errors[std::to_string(s)] = p;
    rules.push_back(boost::json::object{{"match", r.match},
                                        {"latency_ms", r.latency.count()},
                                        {"jitter_ms", r.jitter.count()},
                                        {"errors", errors},
                                        {"retry_after", retry_after_name(r.retry_after)},
                                        {"retry_after_seconds", r.retry_after_seconds},
                                        {"reset_before_headers", r.reset_before_headers},
                                        {"reset_mid_body", r.reset_mid_body},
                                        {"truncate", r.truncate},
                                        {"stall", r.stall},
                                        {"stall_ms", r.stall_for.count()},
                                        {"trickle", r.trickle},
                                        {"trickle_chunk_bytes", r.trickle_chunk},
                                        {"trickle_delay_ms", r.trickle_delay.count()},
                                        {"oversize", r.oversize},
                                        {"oversize_bytes", r.oversize_bytes},
                                        {"malformed_json", r.malformed_json},
                                        {"wrong_content_type", r.wrong_content_type},
                                        {"count", r.count}});
  }
  return boost::json::object{{"seed", set.seed}, {"rules", rules}};
}

}  // namespace cartopull::fake
