// config::parse_config on arbitrary YAML: never crashes, and keeps the loader's promises (every issue
// names the file and has a message, the same text always gives the same outcome, an issue about a
// credential never echoes it, an accepted config satisfies what validation promised).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "config/config_loader.hpp"

namespace {

using cartopull::config::ConfigIssue;
using cartopull::config::Environment;
using cartopull::config::LoadOutcome;

// Relative paths in the YAML resolve under a directory that does not exist: no file is ever read.
constexpr const char* kFile = "/nonexistent-cartopull-fuzz/cartopull.yaml";
constexpr std::string_view kSecret = "fuzz-env-secret-7Qk2";

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

std::string issues_text(const LoadOutcome& o) {
  std::string all;
  for (const auto& list : {&o.errors, &o.warnings})
    for (const ConfigIssue& i : *list) all += i.to_string() + "\n";
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  // Every ${VAR} resolves to the same secret-looking value; ${UNSET_*} stays unset.
  const Environment env{[](std::string_view name) -> std::optional<std::string> {
    if (name.starts_with("UNSET")) return std::nullopt;
    return std::string(kSecret);
  }};

  const LoadOutcome first = cartopull::config::parse_config(yaml, kFile, env);
  for (const auto& list : {&first.errors, &first.warnings}) {
    for (const ConfigIssue& i : *list) {
      check(i.file == kFile, "issue names the file");
      check(!i.message.empty(), "issue has a message");
      check(i.line >= 0 && i.column >= 0, "issue position is not negative");
      check(i.line == 0 || i.column > 0, "a line comes with a column");
      check(i.to_string().starts_with(std::string(kFile) + ":"), "issue text starts with file:");
    }
  }
  // Deterministic: validating the same text again gives the same verdict and the same messages.
  const LoadOutcome second = cartopull::config::parse_config(yaml, kFile, env);
  check(first.ok() == second.ok(), "same verdict twice");
  check(issues_text(first) == issues_text(second), "same issues twice");

  // An issue about a credential field never echoes the credential (here: whatever ${VAR} gave it).
  if (yaml.find(kSecret) == std::string_view::npos) {
    for (const auto& list : {&first.errors, &first.warnings}) {
      for (const ConfigIssue& i : *list) {
        const bool credential =
            i.key.ends_with("api_key") || i.key.ends_with("bearer_token") || i.key.ends_with("auth_token");
        if (credential) check(i.message.find(kSecret) == std::string::npos, "a credential is not echoed");
      }
    }
  }

  if (first.ok()) {
    const auto& c = first.config;
    std::set<std::string> job_names;
    for (const auto& job : c.jobs) {
      check(!job.name.empty() && job_names.insert(job.name).second, "job names are unique and set");
      check(c.sources.contains(job.source), "a job's source exists");
      check(!job.resources.empty(), "a job has resources");
      check(!job.schedule.every || job.schedule.cron.empty(), "every and cron are exclusive");
      std::set<std::string> resource_names;
      for (const auto& r : job.resources) {
        check(resource_names.insert(r.name).second, "resource names are unique in a job");
        check(r.tiles.min_zoom <= r.tiles.max_zoom, "min_zoom <= max_zoom");
      }
      check(c.find_job(job.name) == &job, "find_job finds each job");
    }
    for (const auto& [name, source] : c.sources) {
      check(source.name == name, "a source knows its name");
      for (const auto& [group, limit] : source.rate_limits) {
        check(limit.rate > 0 && limit.burst >= 1, "rate limits are positive");
      }
    }
  } else {
    const auto error = cartopull::config::to_error(first);
    check(error.code == cartopull::make_error_code(cartopull::errc::config_invalid), "config_invalid");
    check(error.message.starts_with(std::string(kFile) + ":"), "to_error starts with file:");
  }
  return 0;
}
