#include "app/store_commands.hpp"

#include <filesystem>
#include <iostream>

#include "core/exit_code.hpp"
#include "store/database.hpp"
#include "store/ledger_report.hpp"
#include "store/mbtiles_export.hpp"
#include "store/store_options.hpp"
#include "store/tile_store.hpp"

namespace cartopull::app {
namespace {

std::optional<store::Database> open_reader(const config::Config& config) {
  if (!std::filesystem::exists(config.store.path)) {
    std::cerr << "cartopull: no database at " << config.store.path << " (no job has run yet)\n";
    return std::nullopt;
  }
  auto db = store::Database::open(config.store.path, store::reader_options(config.store));
  if (!db) {
    std::cerr << "cartopull: cannot open " << config.store.path << ": " << db.error().what() << "\n";
    return std::nullopt;
  }
  return std::move(*db);
}

int print(const result<store::ReportTable>& table) {
  if (!table) {
    std::cerr << "cartopull: " << table.error().what() << "\n";
    return to_int(ExitCode::io_error);
  }
  std::cout << store::format_table(*table);
  return to_int(ExitCode::ok);
}

}  // namespace

int print_runs(const config::Config& config, const std::optional<std::string>& job, std::size_t limit) {
  auto db = open_reader(config);
  if (!db) return to_int(ExitCode::unavailable);
  return print(store::runs_report(*db, job, limit));
}

int print_status(const config::Config& config) {
  auto db = open_reader(config);
  if (!db) return to_int(ExitCode::unavailable);
  if (int rc = print(store::status_report(*db)); rc != 0) return rc;
  std::cout << "\n";
  if (int rc = print(store::store_summary(*db)); rc != 0) return rc;
  auto tilesets = db->prepare("SELECT key FROM tilesets ORDER BY key");
  if (tilesets) {
    std::cout << "\ntilesets (cartopull export mbtiles TILESET FILE):\n";
    while (true) {
      auto row = tilesets->step();
      if (!row || !*row) break;
      std::cout << "  " << tilesets->column_text(0) << "\n";
    }
  }
  return to_int(ExitCode::ok);
}

int export_mbtiles(const config::Config& config, const std::string& tileset, const std::string& path) {
  auto db = open_reader(config);
  if (!db) return to_int(ExitCode::unavailable);
  store::TileStore tiles(*db);
  auto id = tiles.find_tileset(tileset);
  if (!id || !*id) {
    std::cerr << "cartopull: no tileset '" << tileset << "' (see cartopull status)\n";
    return to_int(ExitCode::usage);
  }
  auto stats = store::export_mbtiles(*db, **id, path);
  if (!stats) {
    std::cerr << "cartopull: export failed: " << stats.error().what() << "\n";
    return to_int(ExitCode::cant_create);
  }
  std::cout << path << ": " << stats->tiles << " tiles (" << stats->unique_blobs << " distinct images)\n";
  return to_int(ExitCode::ok);
}

}  // namespace cartopull::app
