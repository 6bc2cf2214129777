#include "store/run_ledger.hpp"

#include <array>

namespace cartopull::store {
namespace {

constexpr std::array<const char*, 6> kStatusNames{"running", "ok",        "partial",
                                                  "failed",  "cancelled", "interrupted"};

}  // namespace

const char* to_string(RunStatus status) noexcept {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<RunStatus> parse_run_status(std::string_view text) noexcept {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (text == kStatusNames[i]) return static_cast<RunStatus>(i);
  }
  return std::nullopt;
}

result<std::int64_t> RunLedger::ensure_job(std::string_view job, Timestamp now) {
  auto insert = db_.prepare("INSERT INTO jobs(name, created_at) VALUES(?1, ?2) ON CONFLICT(name) DO NOTHING");
  if (!insert) return insert.error();
  insert->bind(1, job).bind(2, format_timestamp(now));
  if (auto r = insert->run(); !r) return r.error();
  auto select = db_.prepare("SELECT id FROM jobs WHERE name = ?1");
  if (!select) return select.error();
  select->bind(1, job);
  auto row = select->step();
  if (!row) return row.error();
  return select->column_int64(0);
}

result<RunId> RunLedger::begin_run(std::string_view job, std::string_view trigger, Timestamp now) {
  auto job_id = ensure_job(job, now);
  if (!job_id) return job_id.error();
  auto insert =
      db_.prepare("INSERT INTO runs(job_id, trigger, started_at, status) VALUES(?1, ?2, ?3, 'running')");
  if (!insert) return insert.error();
  insert->bind(1, *job_id).bind(2, trigger).bind(3, format_timestamp(now));
  if (auto r = insert->run(); !r) return r.error();
  return db_.last_insert_rowid();
}

result<void> RunLedger::add_counts(RunId run, const RunCounts& delta) {
  if (auto r = db_.prepare_once(add_counts_,
                                "UPDATE runs SET fetched = fetched + ?2, unchanged = unchanged + ?3, "
                                "empty = empty + ?4, failed = failed + ?5, bytes = bytes + ?6 WHERE id = ?1");
      !r) {
    return r;
  }
  add_counts_.bind(1, run).bind(2, delta.fetched).bind(3, delta.unchanged).bind(4, delta.empty);
  add_counts_.bind(5, delta.failed).bind(6, delta.bytes);
  return add_counts_.run();
}

result<void> RunLedger::finish_run(RunId run, RunStatus status, Timestamp now,
                                   std::optional<std::string> error_summary) {
  auto update =
      db_.prepare("UPDATE runs SET status = ?2, finished_at = ?3, error_summary = ?4 WHERE id = ?1");
  if (!update) return update.error();
  update->bind(1, run).bind(2, to_string(status)).bind(3, format_timestamp(now)).bind(4, error_summary);
  if (auto r = update->run(); !r) return r;
  if (db_.changes() == 0) return Error{errc::store_failed, "finish_run: no run " + std::to_string(run)};
  return {};
}

result<void> RunLedger::save_progress(RunId run, std::string_view resource,
                                      const std::optional<std::string>& checkpoint, std::int64_t done,
                                      std::optional<std::int64_t> total, Timestamp now) {
  if (auto r =
          db_.prepare_once(save_progress_,
                           "INSERT INTO run_progress(run_id, resource, checkpoint, done, total, updated_at) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(run_id, resource) DO UPDATE SET "
                           "checkpoint = excluded.checkpoint, done = excluded.done, total = excluded.total, "
                           "updated_at = excluded.updated_at");
      !r) {
    return r;
  }
  save_progress_.bind(1, run).bind(2, resource).bind(3, checkpoint).bind(4, done).bind(5, total);
  save_progress_.bind(6, format_timestamp(now));
  return save_progress_.run();
}

result<std::int64_t> RunLedger::mark_unfinished_interrupted() {
  if (auto r = db_.exec("UPDATE runs SET status = 'interrupted' WHERE status = 'running'"); !r)
    return r.error();
  return db_.changes();
}

result<std::optional<RunId>> RunLedger::find_resumable_run(std::string_view job) {
  auto select = db_.prepare(
      "SELECT r.id, r.status FROM runs r JOIN jobs j ON j.id = r.job_id WHERE j.name = ?1 "
      "ORDER BY r.id DESC LIMIT 1");
  if (!select) return select.error();
  select->bind(1, job);
  auto row = select->step();
  if (!row) return row.error();
  if (!*row || select->column_text(1) != "interrupted") return std::optional<RunId>();
  return std::optional<RunId>(select->column_int64(0));
}

result<void> RunLedger::resume_run(RunId run) {
  auto update = db_.prepare(
      "UPDATE runs SET status = 'running', resumes = resumes + 1 WHERE id = ?1 AND status = 'interrupted'");
  if (!update) return update.error();
  update->bind(1, run);
  if (auto r = update->run(); !r) return r;
  if (db_.changes() == 0)
    return Error{errc::store_failed, "resume_run: run " + std::to_string(run) + " is not interrupted"};
  return {};
}

result<std::optional<RunRecord>> RunLedger::get_run(RunId run) {
  auto select = db_.prepare(
      "SELECT r.id, j.name, r.trigger, r.started_at, r.finished_at, r.status, r.fetched, r.unchanged, "
      "r.empty, "
      "r.failed, r.bytes, r.error_summary, r.resumes FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = "
      "?1");
  if (!select) return select.error();
  select->bind(1, run);
  auto row = select->step();
  if (!row) return row.error();
  if (!*row) return std::optional<RunRecord>();
  RunRecord record;
  record.id = select->column_int64(0);
  record.job = select->column_text(1);
  record.trigger = select->column_text(2);
  record.started_at = select->column_text(3);
  record.finished_at = select->column_optional_text(4);
  record.status = parse_run_status(select->column_text(5)).value_or(RunStatus::failed);
  record.counts = {select->column_int64(6), select->column_int64(7), select->column_int64(8),
                   select->column_int64(9), select->column_int64(10)};
  record.error_summary = select->column_optional_text(11);
  record.resumes = select->column_int64(12);
  return std::optional<RunRecord>(std::move(record));
}

result<std::vector<Progress>> RunLedger::progress(RunId run) {
  auto select = db_.prepare(
      "SELECT resource, checkpoint, done, total, updated_at FROM run_progress WHERE run_id = ?1 ORDER BY "
      "resource");
  if (!select) return select.error();
  select->bind(1, run);
  std::vector<Progress> out;
  for (;;) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back({select->column_text(0), select->column_optional_text(1), select->column_int64(2),
                   select->column_optional_int64(3), select->column_text(4)});
  }
  return out;
}

}  // namespace cartopull::store
