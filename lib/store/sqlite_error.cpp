#include "store/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>

namespace cartopull::store {

errc classify_sqlite_code(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return errc::store_busy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return errc::store_corrupt;
    default: return errc::store_failed;
  }
}

Error sqlite_error(sqlite3* db, int rc, std::string_view context) {
  std::string message(context);
  message += ": ";
  // errmsg describes the latest failure on this connection, errstr only the code.
  message += db != nullptr && sqlite3_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error{classify_sqlite_code(rc), std::move(message)};
}

}  // namespace cartopull::store
