#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"

namespace cartopull::store {

// Printable rows for the CLI (`cartopull runs [JOB]`, `cartopull status`) and the admin API.
// Every cell is text; NULL is "-". Meant for a read-only connection (OpenOptions::read_only):
// it never blocks the writer.
struct ReportTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Newest runs first, at most `limit`: id, job, trigger, status, started, finished, fetched,
// unchanged, empty, failed, bytes, resumes, error.
result<ReportTable> runs_report(Database& db, const std::optional<std::string>& job, std::size_t limit = 20);

// One row per job: job, runs, last run, status, started, finished, resumable (an interrupted
// run the next run will resume), dead letters.
result<ReportTable> status_report(Database& db);

// Whole-store figures as name/value rows: schema version, tilesets, tiles, blobs, blob bytes,
// resource tables, image versions, dead letters.
result<ReportTable> store_summary(Database& db);

// Left-aligned columns separated by two spaces, one line per row, header first.
std::string format_table(const ReportTable& table);

}  // namespace cartopull::store
