#include "store/statement.hpp"

#include <sqlite3.h>

#include "store/sqlite_error.hpp"

namespace cartopull::store {

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

void Statement::note(int rc, int /*index*/) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Statement& Statement::bind(int index, std::int64_t value) {
  note(sqlite3_bind_int64(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  note(sqlite3_bind_double(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  note(sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
       index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  // A zero-length blob must stay a blob (not NULL), hence zeroblob for the empty case.
  if (bytes.empty()) {
    note(sqlite3_bind_zeroblob(stmt_.get(), index, 0), index);
  } else {
    note(sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_STATIC), index);
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  note(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

result<bool> Statement::step() {
  if (bind_error_ != 0) {
    const int rc = bind_error_;
    bind_error_ = 0;
    return sqlite_error(db_, rc, "bind");
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = sqlite_error(db_, rc, "step");
  sqlite3_reset(stmt_.get());
  return error;
}

result<void> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) break;
  }
  sqlite3_reset(stmt_.get());
  return {};
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = 0;
}

std::int64_t Statement::column_int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_.get(), column);
}

double Statement::column_double(int column) const noexcept {
  return sqlite3_column_double(stmt_.get(), column);
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
}

std::optional<std::string> Statement::column_optional_text(int column) const {
  if (column_is_null(column)) return std::nullopt;
  return column_text(column);
}

std::optional<std::int64_t> Statement::column_optional_int64(int column) const noexcept {
  if (column_is_null(column)) return std::nullopt;
  return column_int64(column);
}

std::vector<std::uint8_t> Statement::column_blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  return data == nullptr ? std::vector<std::uint8_t>() : std::vector<std::uint8_t>(data, data + size);
}

std::span<const std::uint8_t> Statement::column_blob_view(int column) const noexcept {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  return data == nullptr ? std::span<const std::uint8_t>() : std::span<const std::uint8_t>(data, size);
}

bool Statement::column_is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

int Statement::column_count() const noexcept {
  return sqlite3_column_count(stmt_.get());
}

std::string Statement::column_name(int column) const {
  const char* name = sqlite3_column_name(stmt_.get(), column);
  return name == nullptr ? std::string() : std::string(name);
}

}  // namespace cartopull::store
