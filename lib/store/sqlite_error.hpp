#pragma once

#include <string_view>

#include "core/result.hpp"

struct sqlite3;

namespace cartopull::store {

// The one place where SQLite result codes become cartopull errc values: BUSY/LOCKED -> store_busy,
// CORRUPT/NOTADB -> store_corrupt, anything else -> store_failed. The message names the operation
// and SQLite's own text (never bound values, so no secret can leak through it).
Error sqlite_error(sqlite3* db, int rc, std::string_view context);

// The errc for a SQLite primary or extended result code.
errc classify_sqlite_code(int rc) noexcept;

}  // namespace cartopull::store
