#include "http/headers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/redact.hpp"

namespace cartopull::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void Headers::set(std::string name, std::string value) {
  erase(name);
  add(std::move(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
}

std::optional<std::string_view> Headers::find(std::string_view name) const {
  for (const auto& f : fields_)
    if (iequals(f.first, name)) return std::string_view(f.second);
  return std::nullopt;
}

std::string Headers::redacted() const {
  std::string out;
  for (const auto& [name, value] : fields_) {
    out += name;
    out += ": ";
    out += redact(redact_header(name, value));
    out += '\n';
  }
  return out;
}

std::optional<std::int64_t> header_int(const Headers& headers, std::string_view name) {
  auto v = headers.find(name);
  if (!v) return std::nullopt;
  std::string_view s = *v;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || end == s.data()) return std::nullopt;
  return out;
}

}  // namespace cartopull::http
