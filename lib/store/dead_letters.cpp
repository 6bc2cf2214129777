#include "store/dead_letters.hpp"

namespace cartopull::store {

result<void> DeadLetters::add(const std::string& job, const std::string& resource, const std::string& item,
                              const std::string& reason, std::int64_t attempts, std::optional<RunId> run,
                              Timestamp now) {
  auto upsert = db_.prepare(
      "INSERT INTO dead_letters(job, resource, item, reason, attempts, first_failed_at, last_failed_at, "
      "last_run_id) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7) ON CONFLICT(job, resource, item) DO UPDATE SET "
      "reason = excluded.reason, attempts = attempts + excluded.attempts, last_failed_at = "
      "excluded.last_failed_at, "
      "last_run_id = excluded.last_run_id");
  if (!upsert) return upsert.error();
  upsert->bind(1, job).bind(2, resource).bind(3, item).bind(4, reason).bind(5, attempts);
  upsert->bind(6, format_timestamp(now)).bind(7, run);
  return upsert->run();
}

result<bool> DeadLetters::remove(const std::string& job, const std::string& resource,
                                 const std::string& item) {
  auto del = db_.prepare("DELETE FROM dead_letters WHERE job = ?1 AND resource = ?2 AND item = ?3");
  if (!del) return del.error();
  del->bind(1, job).bind(2, resource).bind(3, item);
  if (auto r = del->run(); !r) return r.error();
  return db_.changes() == 1;
}

result<std::vector<DeadLetter>> DeadLetters::list(const std::string& job) {
  auto select = db_.prepare(
      "SELECT job, resource, item, reason, attempts, first_failed_at, last_failed_at, last_run_id FROM "
      "dead_letters "
      "WHERE job = ?1 ORDER BY resource, id");
  if (!select) return select.error();
  select->bind(1, job);
  std::vector<DeadLetter> out;
  for (;;) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back({select->column_text(0), select->column_text(1), select->column_text(2),
                   select->column_text(3), select->column_int64(4), select->column_text(5),
                   select->column_text(6), select->column_optional_int64(7)});
  }
  return out;
}

result<std::int64_t> DeadLetters::count(const std::string& job) {
  auto select = db_.prepare("SELECT count(*) FROM dead_letters WHERE job = ?1");
  if (!select) return select.error();
  select->bind(1, job);
  auto row = select->step();
  if (!row) return row.error();
  return *row ? select->column_int64(0) : 0;
}

result<std::map<std::string, std::int64_t>> DeadLetters::counts() {
  auto select = db_.prepare("SELECT job, count(*) FROM dead_letters GROUP BY job");
  if (!select) return select.error();
  std::map<std::string, std::int64_t> out;
  for (;;) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    out[select->column_text(0)] = select->column_int64(1);
  }
  return out;
}

}  // namespace cartopull::store
