#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"

namespace cartopull::config {

// One problem found in a configuration file, located by file, line and column (1-based) and the
// key path (e.g. "jobs[0].schedule.every"). to_string() is "file:line:col: key: message".
struct ConfigIssue {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key;
  std::string message;

  std::string to_string() const;
};

// Where ${NAME} references and credentials come from; tests pass their own.
struct Environment {
  std::function<std::optional<std::string>(std::string_view)> get;
  static Environment process();
};

struct LoadOutcome {
  Config config;
  std::vector<ConfigIssue> errors;    // any error means the config must not be used
  std::vector<ConfigIssue> warnings;  // usable, but worth telling the operator (inline secrets...)
  bool ok() const { return errors.empty(); }
};

// Parses and validates a whole configuration. Every error is collected, not just the first.
// `file` names the text in messages and anchors relative paths (key files, map_config_file).
LoadOutcome parse_config(std::string_view yaml_text, const std::string& file, const Environment& env);

// Reads `path` and parses it; an unreadable file is one error at line 0.
LoadOutcome load_config_file(const std::string& path, const Environment& env = Environment::process());

// All errors of an outcome, one per line, as one Error (code config_invalid).
Error to_error(const LoadOutcome& outcome);

}  // namespace cartopull::config
