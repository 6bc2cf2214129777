#include "app/run_history.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <filesystem>

#include "store/database.hpp"
#include "store/dead_letters.hpp"
#include "store/ledger_report.hpp"
#include "store/timestamp.hpp"

namespace cartopull::app {
namespace {

std::optional<store::Database> open_reader(const std::string& path) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  auto db = store::Database::open(path, store::OpenOptions{.read_only = true});
  if (!db) return std::nullopt;
  return std::move(*db);
}

std::optional<sched::SysMs> to_sys(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto t = store::parse_timestamp(*text);
  if (!t) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::milliseconds>(*t);
}

}  // namespace

sched::JobHistory history_of(const std::string& database, const std::string& job) {
  sched::JobHistory h;
  auto db = open_reader(database);
  if (!db) return h;
  auto st = db->prepare(
      "SELECT r.started_at, r.finished_at, r.status FROM runs r JOIN jobs j ON j.id = r.job_id "
      "WHERE j.name = ?1 ORDER BY r.id DESC LIMIT 20");
  if (!st) return h;
  st->bind(1, job);
  bool newest = true;
  while (true) {
    auto row = st->step();
    if (!row || !*row) break;
    auto status = st->column_text(2);
    if (newest) {
      h.last_start = to_sys(st->column_optional_text(0));
      h.last_end = to_sys(st->column_optional_text(1));
      newest = false;
    }
    if (status != "failed") break;  // counts the failures in a row, newest first
    ++h.consecutive_failures;
  }
  return h;
}

std::int64_t dead_letter_count(const std::string& database, const std::string& job) {
  auto db = open_reader(database);
  if (!db) return 0;
  store::DeadLetters letters(*db);
  auto n = letters.count(job);
  return n ? *n : 0;
}

std::map<std::string, std::int64_t> dead_letter_counts(const std::string& database) {
  auto db = open_reader(database);
  if (!db) return {};
  store::DeadLetters letters(*db);
  auto counts = letters.counts();
  return counts ? std::move(*counts) : std::map<std::string, std::int64_t>{};
}

std::string runs_json(const std::string& database, const std::string& job, std::size_t limit) {
  boost::json::array runs;
  if (auto db = open_reader(database)) {
    auto table = store::runs_report(*db, job.empty() ? std::nullopt : std::optional<std::string>(job), limit);
    if (table) {
      for (const auto& row : table->rows) {
        boost::json::object r;
        for (std::size_t c = 0; c < row.size() && c < table->header.size(); ++c) {
          // Report headers ("LAST RUN") become JSON keys ("last_run").
          std::string key = table->header[c];
          for (auto& ch : key)
            ch = ch == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const auto& cell = row[c];
          std::int64_t n = 0;
          auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), n);
          if (cell == "-") {
            r[key] = nullptr;
          } else if (ec == std::errc() && end == cell.data() + cell.size()) {
            r[key] = n;
          } else {
            r[key] = cell;
          }
        }
        runs.push_back(std::move(r));
      }
    }
  }
  return boost::json::serialize(boost::json::object{{"runs", std::move(runs)}});
}

}  // namespace cartopull::app
