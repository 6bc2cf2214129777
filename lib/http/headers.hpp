#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cartopull::http {

// An ordered list of HTTP header fields; names compare case-insensitively. Values of credential headers
// are masked by redacted(), which is what logs print.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field of that name with one.
  void set(std::string name, std::string value);
  void erase(std::string_view name);
  // The first field of that name.
  std::optional<std::string_view> find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

  // "Name: value" lines with credentials masked (core/redact.hpp).
  std::string redacted() const;

 private:
  std::vector<Field> fields_;
};

bool iequals(std::string_view a, std::string_view b) noexcept;

// The first field of that name read as a decimal integer, e.g. Carto-Rate-Limit-Reset (leading spaces
// skipped, text after the digits ignored); nothing when the field is absent or does not start with one.
std::optional<std::int64_t> header_int(const Headers& headers, std::string_view name);

}  // namespace cartopull::http
