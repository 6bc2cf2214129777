#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cartopull::store {

// A prepared statement (RAII over sqlite3_stmt). Bind indexes are 1-based, column indexes 0-based.
// Bind failures are remembered and reported by the next step()/run(), so call sites stay linear.
// Threading: used by the thread that owns its Database connection only.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);  // copied (SQLITE_TRANSIENT)
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::optional<std::string>& text);  // nullopt -> NULL
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);  // not copied: keep alive until step
  Statement& bind_null(int index);

  // Steps once: true when a row is available, false when done. Errors become errc values.
  result<bool> step();
  // Steps to completion, then resets (bindings are kept) so the statement can be reused.
  result<void> run();
  void reset() noexcept;  // also clears bindings

  std::int64_t column_int64(int column) const noexcept;
  double column_double(int column) const noexcept;
  std::string column_text(int column) const;
  std::optional<std::string> column_optional_text(int column) const;
  std::optional<std::int64_t> column_optional_int64(int column) const noexcept;
  std::vector<std::uint8_t> column_blob(int column) const;
  // Valid until the next step() or reset(): no copy.
  std::span<const std::uint8_t> column_blob_view(int column) const noexcept;
  bool column_is_null(int column) const noexcept;
  int column_count() const noexcept;
  std::string column_name(int column) const;

  explicit operator bool() const noexcept { return stmt_ != nullptr; }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  void note(int rc, int index);

  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  int bind_error_ = 0;
};

}  // namespace cartopull::store
