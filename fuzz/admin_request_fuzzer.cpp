// The admin server's request path without a socket: raw bytes through Beast's request_parser with the
// server's limits (AdminServerOptions defaults), then http::route_admin_request on the method and target.
// The routing must never let an /api/ request skip the bearer-token check.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "http/admin_route.hpp"
#include "http/admin_server.hpp"

namespace {

namespace bhttp = boost::beast::http;
using cartopull::http::AdminMethod;
using cartopull::http::AdminRoute;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

void check_route(AdminMethod method, std::string_view target) {
  using Kind = AdminRoute::Kind;
  const auto r = cartopull::http::route_admin_request(method, target);
  const bool api_kind = r.kind == Kind::api_jobs || r.kind == Kind::api_runs || r.kind == Kind::api_trigger ||
                        r.kind == Kind::bad_limit;
  if (api_kind) check(r.api, "every /api route needs the token");
  if (target == "/api" || target.starts_with("/api/") || target.starts_with("/api?")) {
    check(r.api || r.kind == Kind::bad_target, "a literal /api target is an api route");
  }
  if (r.kind == Kind::method_not_allowed)
    check(r.allow == "GET" || r.allow == "POST", "405 says what is allowed");
  if (r.kind == Kind::api_trigger) {
    check(method == AdminMethod::post && !r.job.empty(), "a trigger is a POST naming a job");
  }
  if (r.kind == Kind::api_runs) check(r.limit >= 1 && r.limit <= 1000, "runs limit in 1..1000");
  if (r.kind != Kind::api_runs && r.kind != Kind::api_trigger)
    check(r.job.empty(), "only runs/trigger name a job");
  if (r.kind == Kind::index || r.kind == Kind::metrics || r.kind == Kind::healthz || r.kind == Kind::readyz ||
      r.kind == Kind::api_jobs || r.kind == Kind::api_runs) {
    check(method == AdminMethod::get, "reads are GETs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cartopull::http::AdminServerOptions options;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body_bytes);
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const auto n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return 0;  // the server answers 400/413/431 and closes
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    if (!parser.got_some()) return 0;  // the server waits for bytes; put_eof requires some
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  const auto& req = parser.get();
  const auto method = req.method() == bhttp::verb::get    ? AdminMethod::get
                      : req.method() == bhttp::verb::post ? AdminMethod::post
                                                          : AdminMethod::other;
  check_route(method, std::string_view(req.target().data(), req.target().size()));
  // The same target under every method: routing depends on nothing else.
  for (auto m : {AdminMethod::get, AdminMethod::post, AdminMethod::other}) {
    check_route(m, std::string_view(req.target().data(), req.target().size()));
  }
  return 0;
}
