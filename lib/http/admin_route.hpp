#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cartopull::http {

// The request methods the admin server tells apart; anything else is `other` (405 on every route).
enum class AdminMethod { get, post, other };

// Where an admin request goes, decided from its method and request target alone. Pure: no sockets,
// no handlers, no authorisation (the server checks the bearer token for every `api` route first).
struct AdminRoute {
  enum class Kind {
    index,               // GET /
    metrics,             // GET /metrics
    healthz,             // GET /healthz
    readyz,              // GET /readyz
    api_jobs,            // GET /api/jobs
    api_runs,            // GET /api/runs?job=NAME&limit=N
    api_trigger,         // POST /api/jobs/{job}/run
    not_found,           // 404
    bad_target,          // 400: not an origin-form target
    method_not_allowed,  // 405 with `allow`
    bad_limit,           // 400: /api/runs limit outside 1..1000
  };
  Kind kind = Kind::not_found;
  bool api = false;        // under /api/ (including unknown /api/... paths): needs the token when one is set
  std::string allow;       // the Allow header value of a 405
  std::string job;         // api_runs: the job filter ("" = all); api_trigger: the job name (never empty)
  std::size_t limit = 20;  // api_runs: how many runs, 1..1000, default 20
};

// Routes a request target in origin form ("/api/runs?job=a&limit=5"); path segments and query
// values are percent-decoded.
AdminRoute route_admin_request(AdminMethod method, std::string_view target);

}  // namespace cartopull::http
