#include "app/cli.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "app/app.hpp"
#include "app/logging.hpp"
#include "app/signal_source.hpp"
#include "app/store_commands.hpp"
#include "config/config_loader.hpp"
#include "core/exit_code.hpp"
#include "core/version.hpp"

namespace cartopull::app {
namespace {

struct CommandInfo {
  Command command;
  std::string_view name;
  std::string_view usage;
  std::string_view summary;
};

constexpr CommandInfo kCommands[] = {
    {Command::serve, "serve", "cartopull serve [-c FILE]",
     "Run the daemon: schedule the configured jobs, serve /metrics and the admin API, and stop\n"
     "cleanly on SIGTERM or SIGINT. SIGHUP reloads the configuration, SIGUSR1 reopens the log file."},
    {Command::run, "run", "cartopull run [-c FILE] JOB...",
     "Run the named jobs once in the foreground and exit: 0 when every run is ok, 1 otherwise,\n"
     "64 for an unknown job."},
    {Command::runs, "runs", "cartopull runs [-c FILE] [JOB]",
     "List the newest runs (of JOB, or of every job) from the run ledger: status, counts per\n"
     "outcome, bytes, resumes and the first error."},
    {Command::status, "status", "cartopull status [-c FILE]",
     "Show each job's last run, whether an interrupted run will be resumed, dead letters, the\n"
     "store's figures and the tilesets."},
    {Command::export_tiles, "export", "cartopull export [-c FILE] mbtiles TILESET FILE",
     "Write a tileset (a key listed by `status`, job/resource/format) as a standalone MBTiles 1.3\n"
     "file, atomically (a temporary name, then a rename)."},
    {Command::check_config, "check-config", "cartopull check-config [FILE]",
     "Load and validate a configuration (FILE, else -c, else the default) and exit: 0 when it is\n"
     "valid, 78 with one line per problem (file:line:column: key: message) when it is not."},
    {Command::version, "version", "cartopull version", "Print the version and exit."},
};

const CommandInfo* find_command(std::string_view name) {
  for (const auto& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Error usage(std::string message) {
  return Error(errc::config_invalid, std::move(message));
}

}  // namespace

std::string help_text(Command command) {
  std::string options =
      "Options:\n"
      "  -c, --config FILE     configuration file (default: $CARTOPULL_CONFIG, else " +
      std::string(kDefaultConfigPath) +
      ")\n"
      "      --log-level LEVEL trace, debug, info, warn, error, critical or off\n"
      "      --log-format FMT  text or json\n"
      "  -h, --help            show this help\n";
  for (const auto& c : kCommands) {
    if (c.command == command) {
      return "Usage: " + std::string(c.usage) + "\n\n" + std::string(c.summary) + "\n\n" + options;
    }
  }
  std::string text = "cartopull " + std::string(kVersion) +
                     ": keeps a local SQLite copy of what a CARTO account's Maps API serves.\n\n"
                     "Usage: cartopull [OPTIONS] COMMAND [ARGS]\n\nCommands:\n";
  for (const auto& c : kCommands) {
    text += "  " + std::string(c.name);
    text += std::string(14 - c.name.size(), ' ');
    text += std::string(c.summary.substr(0, c.summary.find_first_of(".\n"))) + "\n";
  }
  text += "\n" + options + "\nRun 'cartopull COMMAND --help' for a command's details.\n";
  return text;
}

result<CliArgs> parse_cli(const std::vector<std::string_view>& args, std::optional<std::string> env_config) {
  CliArgs out;
  bool have_command = false;
  std::optional<std::string> config;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&](std::string_view flag) -> result<std::string> {
      if (auto eq = a.find('='); eq != std::string_view::npos && a.substr(0, eq) == flag) {
        return std::string(a.substr(eq + 1));
      }
      if (i + 1 >= args.size()) return usage("option " + std::string(flag) + " needs a value");
      return std::string(args[++i]);
    };
    auto is = [&](std::string_view shortf, std::string_view longf) {
      return a == shortf || a == longf ||
             (a.rfind(longf, 0) == 0 && a.size() > longf.size() && a[longf.size()] == '=');
    };
    if (a == "-h" || a == "--help") {
      out.help = true;
    } else if (is("-c", "--config")) {
      auto v = value("--config");
      if (!v) return v.error();
      config = *v;
    } else if (is("", "--log-level")) {
      auto v = value("--log-level");
      if (!v) return v.error();
      out.log_level = *v;
    } else if (is("", "--log-format")) {
      auto v = value("--log-format");
      if (!v) return v.error();
      if (*v != "text" && *v != "json") return usage("--log-format must be text or json");
      out.log_format = *v;
    } else if (a == "--version") {
      out.command = Command::version;
      have_command = true;
    } else if (a.size() > 1 && a.front() == '-' && a != "-") {
      return usage("unknown option '" + std::string(a) + "'");
    } else if (!have_command) {
      if (a == "help") {
        out.command = Command::help;
      } else if (const auto* c = find_command(a)) {
        out.command = c->command;
      } else {
        return usage("unknown command '" + std::string(a) + "'");
      }
      have_command = true;
    } else {
      out.positional.emplace_back(a);
    }
  }
  if (!have_command && !out.help) return usage("no command given");
  out.config_path = config ? *config : env_config ? *env_config : std::string(kDefaultConfigPath);
  if (out.help) return out;
  switch (out.command) {
    case Command::run:
      if (out.positional.empty()) return usage("run needs at least one JOB");
      break;
    case Command::check_config:
      if (out.positional.size() > 1) return usage("check-config takes at most one FILE");
      if (out.positional.size() == 1) out.config_path = out.positional.front();
      break;
    case Command::runs:
      if (out.positional.size() > 1) return usage("runs takes at most one JOB");
      break;
    case Command::export_tiles:
      if (out.positional.size() != 3 || out.positional[0] != "mbtiles") {
        return usage("usage: cartopull export mbtiles TILESET FILE");
      }
      break;
    case Command::serve:
    case Command::status:
    case Command::version:
      if (!out.positional.empty()) return usage("unexpected argument '" + out.positional.front() + "'");
      break;
    case Command::help: break;
  }
  return out;
}

int run_cli(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  const char* env_config = std::getenv("CARTOPULL_CONFIG");
  auto parsed = parse_cli(args, env_config ? std::optional<std::string>(env_config) : std::nullopt);
  if (!parsed) {
    std::cerr << "cartopull: " << parsed.error().message << "\nTry 'cartopull --help'.\n";
    return to_int(ExitCode::usage);
  }
  const auto& cli = *parsed;
  // Before anything else (and before any thread): a signal sent during startup waits for the loop.
  if (!cli.help && (cli.command == Command::serve || cli.command == Command::run)) block_daemon_signals();
  if (cli.help || cli.command == Command::help) {
    std::cout << help_text(cli.help ? cli.command : Command::help);
    return to_int(ExitCode::ok);
  }
  if (cli.command == Command::version) {
    std::cout << "cartopull " << kVersion << "\n";
    return to_int(ExitCode::ok);
  }

  auto outcome = config::load_config_file(cli.config_path);
  for (const auto& w : outcome.warnings) std::cerr << "warning: " << w.to_string() << "\n";
  if (!outcome.ok()) {
    for (const auto& e : outcome.errors) std::cerr << "error: " << e.to_string() << "\n";
    std::cerr << "cartopull: " << outcome.errors.size() << " configuration error"
              << (outcome.errors.size() == 1 ? "" : "s") << " in " << cli.config_path << "\n";
    return to_int(ExitCode::config);
  }
  auto& cfg = outcome.config;
  if (cli.command == Command::check_config) {
    std::cout << cli.config_path << ": ok (" << cfg.sources.size() << " source"
              << (cfg.sources.size() == 1 ? "" : "s") << ", " << cfg.jobs.size() << " job"
              << (cfg.jobs.size() == 1 ? "" : "s") << ")\n";
    return to_int(ExitCode::ok);
  }

  if (cli.log_level) {
    if (spdlog::level::from_str(*cli.log_level) == spdlog::level::off && *cli.log_level != "off") {
      std::cerr << "cartopull: unknown log level '" << *cli.log_level << "'\n";
      return to_int(ExitCode::usage);
    }
    cfg.log.level = *cli.log_level;
  }
  if (cli.log_format)
    cfg.log.format = *cli.log_format == "json" ? config::LogFormat::json : config::LogFormat::text;
  try {
    install_logging(log_setup_from(cfg.log));
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << "cartopull: cannot open log file: " << e.what() << "\n";
    return to_int(ExitCode::cant_create);
  }
  for (const auto& w : outcome.warnings) spdlog::warn("{}", w.to_string());

  switch (cli.command) {
    case Command::runs:
      return print_runs(cfg, cli.positional.empty() ? std::nullopt : std::optional(cli.positional[0]), 20);
    case Command::status: return print_status(cfg);
    case Command::export_tiles: return export_mbtiles(cfg, cli.positional[1], cli.positional[2]);
    default: break;
  }

  App app(std::move(cfg), cli.config_path);
  if (cli.command == Command::serve) return app.serve();
  return app.run_jobs(cli.positional);
}

}  // namespace cartopull::app
