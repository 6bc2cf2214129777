#include "store/resource_store.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <set>

namespace cartopull::store {
namespace {

namespace json = boost::json;

std::string quote(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string sanitize(std::string_view name) {
  std::string out;
  for (char c : name)
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return out.empty() ? "_" : out;
}

const char* type_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::bool_: return "bool";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "real";
    case json::kind::string: return "text";
    case json::kind::array:
    case json::kind::object: return "json";
    case json::kind::null: return nullptr;
  }
  return nullptr;
}

const char* sql_type(std::string_view type) {
  if (type == "integer" || type == "bool") return "INTEGER";
  if (type == "real") return "REAL";
  return "TEXT";
}

void bind_value(Statement& stmt, int index, const json::value& v) {
  switch (v.kind()) {
    case json::kind::bool_: stmt.bind(index, static_cast<std::int64_t>(v.get_bool())); break;
    case json::kind::int64: stmt.bind(index, v.get_int64()); break;
    // Above INT64_MAX SQLite has no integer: the value widens to REAL (and _json keeps it exact).
    case json::kind::uint64: {
      const auto u = v.get_uint64();
      if (u <= static_cast<std::uint64_t>(INT64_MAX)) {
        stmt.bind(index, static_cast<std::int64_t>(u));
      } else {
        stmt.bind(index, static_cast<double>(u));
      }
      break;
    }
    case json::kind::double_: stmt.bind(index, v.get_double()); break;
    case json::kind::string: stmt.bind(index, std::string_view(v.get_string())); break;
    case json::kind::array:
    case json::kind::object: stmt.bind(index, json::serialize(v)); break;
    case json::kind::null: stmt.bind_null(index); break;
  }
}

}  // namespace

const char* to_string(WriteDisposition disposition) noexcept {
  switch (disposition) {
    case WriteDisposition::append: return "append";
    case WriteDisposition::replace: return "replace";
    case WriteDisposition::merge: return "merge";
  }
  return "append";
}

result<std::string> ResourceStore::table_name(std::string_view job, std::string_view resource) {
  auto select = db_.prepare("SELECT table_name FROM resource_tables WHERE job = ?1 AND resource = ?2");
  if (!select) return select.error();
  select->bind(1, job).bind(2, resource);
  auto row = select->step();
  if (!row) return row.error();
  if (!*row) return Error{errc::store_failed, "no table for resource " + std::string(resource)};
  return select->column_text(0);
}

result<ResourceStore::Table*> ResourceStore::open_table(const ResourceSpec& spec) {
  const auto key = std::make_pair(spec.job, spec.resource);
  if (auto it = tables_.find(key); it != tables_.end()) return &it->second;

  Table table;
  json::array pk;
  for (const auto& field : spec.primary_key) pk.emplace_back(field);
  const std::string pk_text = json::serialize(pk);
  auto select = db_.prepare("SELECT id, table_name FROM resource_tables WHERE job = ?1 AND resource = ?2");
  if (!select) return select.error();
  select->bind(1, spec.job).bind(2, spec.resource);
  auto row = select->step();
  if (!row) return row.error();
  if (*row) {
    table.id = select->column_int64(0);
    table.name = select->column_text(1);
    // The configuration may change disposition or key between runs; the table follows it.
    auto update = db_.prepare("UPDATE resource_tables SET disposition = ?2, primary_key = ?3 WHERE id = ?1");
    if (!update) return update.error();
    update->bind(1, table.id).bind(2, to_string(spec.disposition)).bind(3, pk_text);
    if (auto r = update->run(); !r) return r.error();
  } else {
    std::string name = "res_" + sanitize(spec.job) + "__" + sanitize(spec.resource);
    auto taken = db_.prepare("SELECT count(*) FROM sqlite_schema WHERE lower(name) = lower(?1)");
    if (!taken) return taken.error();
    for (int n = 2;; ++n) {
      taken->bind(1, name);
      if (auto r = taken->step(); !r) return r.error();
      const bool exists = taken->column_int64(0) != 0;
      taken->reset();
      if (!exists) break;
      name = "res_" + sanitize(spec.job) + "__" + sanitize(spec.resource) + "_" + std::to_string(n);
    }
    auto insert = db_.prepare(
        "INSERT INTO resource_tables(job, resource, table_name, disposition, primary_key) VALUES(?1, ?2, ?3, "
        "?4, ?5)");
    if (!insert) return insert.error();
    insert->bind(1, spec.job).bind(2, spec.resource).bind(3, name).bind(4, to_string(spec.disposition));
    insert->bind(5, pk_text);
    if (auto r = insert->run(); !r) return r.error();
    table.id = db_.last_insert_rowid();
    table.name = name;
    if (auto r = db_.exec(
            "CREATE TABLE " + quote(name) +
            "(_id INTEGER PRIMARY KEY, _run_id INTEGER, _fetched_at TEXT NOT NULL, _json TEXT NOT NULL);"
            "CREATE INDEX " +
            quote(name + "__run") + " ON " + quote(name) + "(_run_id)");
        !r) {
      return r.error();
    }
  }
  auto columns = db_.prepare("SELECT field, type, column_name FROM resource_columns WHERE table_id = ?1");
  if (!columns) return columns.error();
  columns->bind(1, table.id);
  for (;;) {
    auto next = columns->step();
    if (!next) return next.error();
    if (!*next) break;
    table.columns.emplace(columns->column_text(0), Column{columns->column_text(1), columns->column_text(2)});
  }
  return &tables_.emplace(key, std::move(table)).first->second;
}

result<std::string> ResourceStore::column_for(Table& table, const std::string& field, const std::string& type,
                                              RunId run, Timestamp now, ResourceWriteStats& stats) {
  const auto [first, last] = table.columns.equal_range(field);
  const Column* base = nullptr;
  for (auto it = first; it != last; ++it) {
    if (it->second.type == type) return it->second.name;
    if (it->second.name.find("__v_") == std::string::npos) base = &it->second;
  }
  // Integers widen into an existing REAL column without loss.
  if (type == "integer") {
    for (auto it = first; it != last; ++it) {
      if (it->second.type == "real") return it->second.name;
    }
  }
  std::set<std::string> used{"_id", "_run_id", "_fetched_at", "_json"};
  for (const auto& [f, c] : table.columns) used.insert(lower(c.name));
  std::string wanted = base == nullptr ? field : base->name + "__v_" + type;
  if (wanted.empty()) wanted = "_field";
  std::string name = wanted;
  for (int n = 2; used.contains(lower(name)); ++n) name = wanted + "_" + std::to_string(n);

  if (auto r =
          db_.exec("ALTER TABLE " + quote(table.name) + " ADD COLUMN " + quote(name) + " " + sql_type(type));
      !r) {
    return r.error();
  }
  auto insert = db_.prepare(
      "INSERT INTO resource_columns(table_id, field, type, column_name, added_run_id) VALUES(?1, ?2, ?3, ?4, "
      "?5)");
  if (!insert) return insert.error();
  insert->bind(1, table.id).bind(2, field).bind(3, type).bind(4, name).bind(5, run);
  if (auto r = insert->run(); !r) return r.error();
  auto change = db_.prepare(
      "INSERT INTO schema_changes(table_id, field, change, old_type, new_type, column_name, run_id, at) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!change) return change.error();
  change->bind(1, table.id).bind(2, field).bind(3, base == nullptr ? "added" : "type_changed");
  if (base == nullptr) {
    change->bind_null(4);
  } else {
    change->bind(4, base->type);
  }
  change->bind(5, type).bind(6, name).bind(7, run).bind(8, format_timestamp(now));
  if (auto r = change->run(); !r) return r.error();
  ++(base == nullptr ? stats.columns_added : stats.type_changes);
  table.columns.emplace(field, Column{type, name});
  return name;
}

result<ResourceWriteStats> ResourceStore::write(const ResourceSpec& spec, RunId run, Timestamp fetched_at,
                                                std::string_view text) {
  if (spec.disposition == WriteDisposition::merge && spec.primary_key.empty()) {
    return Error{errc::config_invalid, "resource " + spec.resource + ": merge needs a primary_key"};
  }
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec) return Error{errc::bad_response, "resource " + spec.resource + ": invalid JSON: " + ec.message()};
  std::vector<const json::value*> records;
  if (parsed.is_array()) {
    for (const auto& element : parsed.get_array()) records.push_back(&element);
  } else {
    records.push_back(&parsed);
  }

  auto savepoint = Savepoint::begin(db_);
  if (!savepoint) return savepoint.error();
  ResourceWriteStats stats;
  auto body = [&]() -> result<void> {
    auto table = open_table(spec);
    if (!table) return table.error();
    Table& t = **table;
    if (spec.disposition == WriteDisposition::replace) {
      auto clear = db_.prepare("DELETE FROM " + quote(t.name) + " WHERE _run_id IS NOT ?1");
      if (!clear) return clear.error();
      clear->bind(1, run);
      if (auto r = clear->run(); !r) return r;
    }
    for (const json::value* record : records) {
      std::vector<std::pair<std::string, const json::value*>> cells;
      if (record->is_object()) {
        for (const auto& [key, value] : record->get_object()) {
          const char* type = type_of(value);
          if (type == nullptr) continue;
          auto column = column_for(t, std::string(key), type, run, fetched_at, stats);
          if (!column) return column.error();
          cells.emplace_back(std::move(*column), &value);
        }
      }
      if (spec.disposition == WriteDisposition::merge) {
        if (!record->is_object())
          return Error{errc::bad_response, "resource " + spec.resource + ": merge needs objects"};
        std::string where;
        std::vector<const json::value*> keys;
        for (const auto& field : spec.primary_key) {
          const auto* value = record->get_object().if_contains(field);
          const char* type = value == nullptr ? nullptr : type_of(*value);
          if (type == nullptr || std::string_view(type) == "json") {
            return Error{errc::bad_response,
                         "resource " + spec.resource + ": merge key '" + field + "' missing"};
          }
          auto column = column_for(t, field, type, run, fetched_at, stats);
          if (!column) return column.error();
          where += (where.empty() ? "" : " AND ") + quote(*column) + " = ?" + std::to_string(keys.size() + 1);
          keys.push_back(value);
        }
        auto remove = db_.prepare("DELETE FROM " + quote(t.name) + " WHERE " + where);
        if (!remove) return remove.error();
        for (std::size_t i = 0; i < keys.size(); ++i) bind_value(*remove, static_cast<int>(i + 1), *keys[i]);
        if (auto r = remove->run(); !r) return r;
      }
      std::string sql = "INSERT INTO " + quote(t.name) + "(_run_id, _fetched_at, _json";
      std::string values = "?1, ?2, ?3";
      for (std::size_t i = 0; i < cells.size(); ++i) {
        sql += ", " + quote(cells[i].first);
        values += ", ?" + std::to_string(i + 4);
      }
      auto insert = db_.prepare(sql + ") VALUES(" + values + ")");
      if (!insert) return insert.error();
      insert->bind(1, run).bind(2, format_timestamp(fetched_at)).bind(3, json::serialize(*record));
      for (std::size_t i = 0; i < cells.size(); ++i)
        bind_value(*insert, static_cast<int>(i + 4), *cells[i].second);
      if (auto r = insert->run(); !r) return r;
      ++stats.rows;
    }
    return {};
  };
  if (auto r = body(); !r) {
    // Rolled back: the column cache may hold columns that no longer exist.
    tables_.erase(std::make_pair(spec.job, spec.resource));
    return r.error();
  }
  if (auto r = savepoint->release(); !r) {
    tables_.erase(std::make_pair(spec.job, spec.resource));
    return r.error();
  }
  return stats;
}

}  // namespace cartopull::store
