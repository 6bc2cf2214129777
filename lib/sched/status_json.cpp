#include "sched/status_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>

namespace cartopull::sched {

namespace json = boost::json;
using namespace std::chrono;

std::string format_rfc3339(SysMs t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

namespace {

json::value time_or_null(const std::optional<SysMs>& t) {
  if (!t) return nullptr;
  return json::value(format_rfc3339(*t));
}

}  // namespace

const char* to_string(TriggerResult result) noexcept {
  switch (result) {
    case TriggerResult::started: return "started";
    case TriggerResult::already_running: return "already_running";
    case TriggerResult::unknown_job: return "unknown_job";
    case TriggerResult::stopping: return "stopping";
  }
  return "unknown";
}

std::string jobs_json(const std::vector<JobStatus>& jobs) {
  json::array list;
  for (const auto& j : jobs) {
    json::object o;
    o["name"] = j.name;
    o["schedule"] = j.schedule;
    o["state"] = j.running ? "running" : "idle";
    o["next_run"] = time_or_null(j.next_run);
    o["last_start"] = time_or_null(j.last_start);
    o["last_end"] = time_or_null(j.last_end);
    o["last_outcome"] = j.last_outcome ? json::value(to_string(*j.last_outcome)) : json::value(nullptr);
    o["consecutive_failures"] = j.consecutive_failures;
    o["runs"] = j.runs;
    o["skipped_overlaps"] = j.skipped_overlaps;
    list.push_back(std::move(o));
  }
  json::object root;
  root["jobs"] = std::move(list);
  return json::serialize(root);
}

unsigned trigger_http_status(TriggerResult result) noexcept {
  switch (result) {
    case TriggerResult::started: return 202;
    case TriggerResult::already_running: return 409;
    case TriggerResult::unknown_job: return 404;
    case TriggerResult::stopping: return 503;
  }
  return 500;
}

std::string trigger_json(std::string_view job, TriggerResult result) {
  json::object o;
  o["job"] = job;
  o["result"] = to_string(result);
  return json::serialize(o);
}

}  // namespace cartopull::sched
