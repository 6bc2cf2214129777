#include "http/admin_route.hpp"

#include <boost/url/parse.hpp>
#include <charconv>
#include <vector>

namespace cartopull::http {

namespace {

bool parse_limit(std::string_view text, std::size_t& out) {
  if (text.empty()) return true;  // keep the default
  std::size_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0 || v > 1000) return false;
  out = v;
  return true;
}

AdminRoute make(AdminRoute::Kind kind, bool api = false) {
  AdminRoute r;
  r.kind = kind;
  r.api = api;
  return r;
}

AdminRoute not_allowed(std::string allow, bool api) {
  auto r = make(AdminRoute::Kind::method_not_allowed, api);
  r.allow = std::move(allow);
  return r;
}

}  // namespace

AdminRoute route_admin_request(AdminMethod method, std::string_view target) {
  using Kind = AdminRoute::Kind;
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return make(Kind::bad_target);
  const auto& url = *parsed;
  std::vector<std::string> segments;
  for (auto s : url.segments()) segments.push_back(s);
  const bool get = method == AdminMethod::get;
  const bool post = method == AdminMethod::post;

  if (segments.empty() || (segments.size() == 1 && segments[0].empty())) {
    return get ? make(Kind::index) : not_allowed("GET", false);
  }
  if (segments.size() == 1) {
    if (segments[0] == "metrics") return get ? make(Kind::metrics) : not_allowed("GET", false);
    if (segments[0] == "healthz") return get ? make(Kind::healthz) : not_allowed("GET", false);
    if (segments[0] == "readyz") return get ? make(Kind::readyz) : not_allowed("GET", false);
  }
  if (segments[0] != "api") return make(Kind::not_found);
  if (segments.size() == 2 && segments[1] == "jobs") {
    return get ? make(Kind::api_jobs, true) : not_allowed("GET", true);
  }
  if (segments.size() == 2 && segments[1] == "runs") {
    if (!get) return not_allowed("GET", true);
    auto r = make(Kind::api_runs, true);
    for (auto p : url.params()) {
      if (p.key == "job") r.job = p.value;
      if (p.key == "limit" && !parse_limit(p.value, r.limit)) return make(Kind::bad_limit, true);
    }
    return r;
  }
  if (segments.size() == 4 && segments[1] == "jobs" && segments[3] == "run" && !segments[2].empty()) {
    if (!post) return not_allowed("POST", true);
    auto r = make(Kind::api_trigger, true);
    r.job = segments[2];
    return r;
  }
  return make(Kind::not_found, true);
}

}  // namespace cartopull::http
