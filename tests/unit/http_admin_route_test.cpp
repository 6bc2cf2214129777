#include <gtest/gtest.h>

#include "http/admin_route.hpp"

namespace cartopull::http {
namespace {

using Kind = AdminRoute::Kind;

TEST(AdminRoute, routes_each_path_and_method) {
  struct Case {
    AdminMethod method;
    std::string target;
    Kind kind;
    bool api;
    std::string allow;
  };
  const auto get = AdminMethod::get;
  const auto post = AdminMethod::post;
  const auto other = AdminMethod::other;
  for (const Case& c : {
           Case{get, "/", Kind::index, false, ""},
           Case{post, "/", Kind::method_not_allowed, false, "GET"},
           Case{get, "/metrics", Kind::metrics, false, ""},
           Case{get, "/metrics?x=1", Kind::metrics, false, ""},
           Case{other, "/metrics", Kind::method_not_allowed, false, "GET"},
           Case{get, "/healthz", Kind::healthz, false, ""},
           Case{get, "/readyz", Kind::readyz, false, ""},
           Case{post, "/readyz", Kind::method_not_allowed, false, "GET"},
           Case{get, "/nope", Kind::not_found, false, ""},
           Case{get, "/metrics/x", Kind::not_found, false, ""},
           Case{get, "/api", Kind::not_found, true, ""},
           Case{get, "/api/jobs", Kind::api_jobs, true, ""},
           Case{post, "/api/jobs", Kind::method_not_allowed, true, "GET"},
           Case{get, "/api/runs", Kind::api_runs, true, ""},
           Case{post, "/api/jobs/tiles/run", Kind::api_trigger, true, ""},
           Case{get, "/api/jobs/tiles/run", Kind::method_not_allowed, true, "POST"},
           Case{post, "/api/jobs//run", Kind::not_found, true, ""},
           Case{get, "/api/unknown", Kind::not_found, true, ""},
           Case{get, "http://host/metrics", Kind::bad_target, false, ""},
           Case{get, "*", Kind::bad_target, false, ""},
           Case{get, "", Kind::bad_target, false, ""},
           Case{get, "/a b", Kind::bad_target, false, ""},
       }) {
    const auto r = route_admin_request(c.method, c.target);
    EXPECT_EQ(r.kind, c.kind) << c.target;
    EXPECT_EQ(r.api, c.api) << c.target;
    EXPECT_EQ(r.allow, c.allow) << c.target;
  }
}

TEST(AdminRoute, decodes_the_job_name_of_a_trigger) {
  const auto r = route_admin_request(AdminMethod::post, "/api/jobs/my%20job/run");
  ASSERT_EQ(r.kind, Kind::api_trigger);
  EXPECT_EQ(r.job, "my job");
}

TEST(AdminRoute, reads_job_and_limit_of_runs) {
  struct Case {
    std::string target;
    Kind kind;
    std::string job;
    std::size_t limit;
  };
  for (const Case& c : {
           Case{"/api/runs", Kind::api_runs, "", 20},
           Case{"/api/runs?job=a%2Fb&limit=5", Kind::api_runs, "a/b", 5},
           Case{"/api/runs?limit=", Kind::api_runs, "", 20},
           Case{"/api/runs?limit=1000", Kind::api_runs, "", 1000},
           Case{"/api/runs?limit=1001", Kind::bad_limit, "", 20},
           Case{"/api/runs?limit=0", Kind::bad_limit, "", 20},
           Case{"/api/runs?limit=-1", Kind::bad_limit, "", 20},
           Case{"/api/runs?limit=5x", Kind::bad_limit, "", 20},
           Case{"/api/runs?limit=99999999999999999999999", Kind::bad_limit, "", 20},
       }) {
    const auto r = route_admin_request(AdminMethod::get, c.target);
    EXPECT_EQ(r.kind, c.kind) << c.target;
    EXPECT_TRUE(r.api) << c.target;
    if (r.kind == Kind::api_runs) {
      EXPECT_EQ(r.job, c.job) << c.target;
      EXPECT_EQ(r.limit, c.limit) << c.target;
    }
  }
}

}  // namespace
}  // namespace cartopull::http
