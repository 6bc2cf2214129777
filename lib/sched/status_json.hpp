#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sched/scheduler.hpp"

namespace cartopull::sched {

// The /api/jobs body: {"jobs":[{"name","schedule","state","next_run","last_start","last_end",
// "last_outcome","consecutive_failures","runs","skipped_overlaps"}]}; times are RFC 3339 UTC or null.
std::string jobs_json(const std::vector<JobStatus>& jobs);

// The POST /api/jobs/{name}/run answer: its HTTP status (202 started, 409 already running, 404 unknown
// job, 503 stopping) and body {"job","result"}.
unsigned trigger_http_status(TriggerResult result) noexcept;
std::string trigger_json(std::string_view job, TriggerResult result);
const char* to_string(TriggerResult result) noexcept;

// "2026-11-25T10:15:00.000Z".
std::string format_rfc3339(SysMs t);

}  // namespace cartopull::sched
