#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cartopull::app {

enum class Command { serve, run, runs, status, export_tiles, check_config, version, help };

// A parsed command line: `cartopull [OPTIONS] COMMAND [ARGS]`; options may also follow COMMAND.
struct CliArgs {
  Command command = Command::help;
  std::string config_path;                // -c/--config, else $CARTOPULL_CONFIG, else the default
  std::vector<std::string> positional;    // JOB... for run, FILE for check-config
  std::optional<std::string> log_level;   // --log-level overrides log.level
  std::optional<std::string> log_format;  // --log-format overrides log.format
  bool help = false;                      // --help on a command: print its help
};

inline constexpr std::string_view kDefaultConfigPath = "/etc/cartopull/cartopull.yaml";

// Pure: no I/O. `env_config` is $CARTOPULL_CONFIG when set. Errors are usage errors (exit 64).
result<CliArgs> parse_cli(const std::vector<std::string_view>& args, std::optional<std::string> env_config);

// Help text for a command (or the overview for Command::help).
std::string help_text(Command command);

// The whole program: parse, load config, set up logging, dispatch; returns the exit status.
int run_cli(int argc, char** argv);

}  // namespace cartopull::app
