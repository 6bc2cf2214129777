#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

namespace cartopull::app {

// The CLI's read-only views of the store, on their own connection (they never block a running
// daemon's writer). Each prints to stdout and returns the process exit status.

// `cartopull runs [JOB]`: the newest runs, newest first.
int print_runs(const config::Config& config, const std::optional<std::string>& job, std::size_t limit);

// `cartopull status`: one line per job (last run, resumable, dead letters) and the store's figures.
int print_status(const config::Config& config);

// `cartopull export mbtiles TILESET FILE`: a standalone MBTiles 1.3 file, written atomically.
// TILESET is the key shown by `status` ("job/resource/format").
int export_mbtiles(const config::Config& config, const std::string& tileset, const std::string& path);

}  // namespace cartopull::app
