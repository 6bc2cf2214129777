#include "store/ledger_report.hpp"

#include <algorithm>

namespace cartopull::store {
namespace {

result<ReportTable> query(Database& db, std::vector<std::string> header, std::string_view sql,
                          const std::vector<std::optional<std::string>>& text_params = {},
                          std::optional<std::int64_t> limit = {}) {
  auto stmt = db.prepare(sql);
  if (!stmt) return stmt.error();
  int index = 1;
  for (const auto& p : text_params) stmt->bind(index++, p);
  if (limit) stmt->bind(index++, *limit);
  ReportTable table{std::move(header), {}};
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.error();
    if (!*row) break;
    std::vector<std::string> cells;
    for (int c = 0; c < stmt->column_count(); ++c) {
      cells.push_back(stmt->column_is_null(c) ? "-" : stmt->column_text(c));
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace

result<ReportTable> runs_report(Database& db, const std::optional<std::string>& job, std::size_t limit) {
  return query(db,
               {"RUN", "JOB", "TRIGGER", "STATUS", "STARTED", "FINISHED", "FETCHED", "UNCHANGED", "EMPTY",
                "FAILED", "BYTES", "RESUMES", "ERROR"},
               "SELECT r.id, j.name, r.trigger, r.status, r.started_at, r.finished_at, r.fetched, "
               "r.unchanged, r.empty, "
               "r.failed, r.bytes, r.resumes, r.error_summary FROM runs r JOIN jobs j ON j.id = r.job_id "
               "WHERE ?1 IS NULL OR j.name = ?1 ORDER BY r.id DESC LIMIT ?2",
               {job}, static_cast<std::int64_t>(limit));
}

result<ReportTable> status_report(Database& db) {
  return query(
      db, {"JOB", "RUNS", "LAST RUN", "STATUS", "STARTED", "FINISHED", "RESUMABLE", "DEAD LETTERS"},
      "SELECT j.name, (SELECT count(*) FROM runs WHERE job_id = j.id), r.id, r.status, r.started_at, "
      "r.finished_at, CASE WHEN r.status = 'interrupted' THEN r.id END, "
      "(SELECT count(*) FROM dead_letters d WHERE d.job = j.name) "
      "FROM jobs j LEFT JOIN runs r ON r.id = (SELECT max(id) FROM runs WHERE job_id = j.id) ORDER BY "
      "j.name");
}

result<ReportTable> store_summary(Database& db) {
  return query(db, {"WHAT", "VALUE"},
               "SELECT 'schema version', (SELECT user_version FROM pragma_user_version) "
               "UNION ALL SELECT 'tilesets', (SELECT count(*) FROM tilesets) "
               "UNION ALL SELECT 'tiles', (SELECT count(*) FROM tiles) "
               "UNION ALL SELECT 'blobs', (SELECT count(*) FROM blobs) "
               "UNION ALL SELECT 'blob bytes', (SELECT coalesce(sum(size), 0) FROM blobs) "
               "UNION ALL SELECT 'resource tables', (SELECT count(*) FROM resource_tables) "
               "UNION ALL SELECT 'image versions', (SELECT count(*) FROM images) "
               "UNION ALL SELECT 'dead letters', (SELECT count(*) FROM dead_letters)");
}

std::string format_table(const ReportTable& table) {
  std::vector<std::size_t> widths(table.header.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  };
  widen(table.header);
  for (const auto& row : table.rows) widen(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      text += row[i];
      if (i + 1 < row.size()) text += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += text + "\n";
  };
  line(table.header);
  for (const auto& row : table.rows) line(row);
  return out;
}

}  // namespace cartopull::store
