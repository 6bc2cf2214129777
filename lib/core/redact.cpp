#include "core/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace cartopull {
namespace {

constexpr std::array<std::string_view, 5> kSecretParams = {"api_key", "map_key", "auth_token", "access_token",
                                                           "password"};
constexpr std::array<std::string_view, 5> kSecretHeaders = {"authorization", "proxy-authorization", "cookie",
                                                            "set-cookie", "x-api-key"};

// ASCII only, inline: every name matched here is ASCII, and libc's locale-aware tolower/isalnum calls
// were a tenth of the event loop's instructions per tile (redact runs on every response URL).
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// End of a query-string value: the characters that can follow one in a URL or in prose.
bool ends_query_value(char c) noexcept {
  return c == '&' || c == '#' || c == ' ' || c == '"' || c == '\'' || c == '\n' || c == '\r' || c == '\t' ||
         c == '>' || c == '<' || c == ',' || c == ';' || c == ')';
}

// If text[pos..] starts a secret parameter name preceded by a delimiter, returns the name length.
std::size_t secret_name_at(std::string_view text, std::size_t pos) noexcept {
  if (pos > 0 && is_name_char(text[pos - 1])) return 0;
  for (auto name : kSecretParams) {
    if (text.size() - pos >= name.size() && iequals(text.substr(pos, name.size()), name)) {
      std::size_t end = pos + name.size();
      if (end < text.size() && is_name_char(text[end])) continue;
      return name.size();
    }
  }
  return 0;
}

// Masks "Authorization: <scheme> <credentials>" lines inside free text.
void redact_header_lines(std::string& out) {
  for (auto header : kSecretHeaders) {
    std::size_t pos = 0;
    while (pos < out.size()) {
      auto it = std::search(out.begin() + static_cast<std::ptrdiff_t>(pos), out.end(), header.begin(),
                            header.end(), [](char x, char y) { return ascii_lower(x) == y; });
      if (it == out.end()) break;
      std::size_t start = static_cast<std::size_t>(it - out.begin());
      std::size_t p = start + header.size();
      bool delimited = (start == 0 || !is_name_char(out[start - 1]));
      if (!delimited || p >= out.size() || out[p] != ':') {
        pos = start + 1;
        continue;
      }
      ++p;
      while (p < out.size() && out[p] == ' ') ++p;
      std::size_t line_end = out.find_first_of("\r\n", p);
      if (line_end == std::string::npos) line_end = out.size();
      std::string masked = redact_header(header, std::string_view(out).substr(p, line_end - p));
      out.replace(p, line_end - p, masked);
      pos = p + masked.size();
    }
  }
}

}  // namespace

bool is_sensitive_header(std::string_view name) noexcept {
  return std::any_of(kSecretHeaders.begin(), kSecretHeaders.end(),
                     [&](std::string_view h) { return iequals(h, name); });
}

std::string redact_header(std::string_view name, std::string_view value) {
  if (!is_sensitive_header(name)) return std::string(value);
  // Keep "Basic"/"Bearer" so the log still says how the request authenticated.
  auto space = value.find(' ');
  if (space != std::string_view::npos && space > 0 &&
      std::all_of(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(space),
                  [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
    return std::string(value.substr(0, space + 1)) + std::string(kRedacted);
  }
  return std::string(kRedacted);
}

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // scheme://user:password@host -> scheme://user:REDACTED@host
    if (text[i] == ':' && text.substr(i, 3) == "://") {
      std::size_t auth_start = i + 3;
      std::size_t auth_end = text.find_first_of("/?# \"'\n", auth_start);
      if (auth_end == std::string_view::npos) auth_end = text.size();
      std::size_t at = text.rfind('@', auth_end);
      if (at != std::string_view::npos && at >= auth_start) {
        std::size_t colon = text.find(':', auth_start);
        out.append(text.substr(i, 3));
        if (colon != std::string_view::npos && colon < at) {
          // The user part is kept but redacted itself: with several '@' it can hold "api_key=...".
          out.append(redact(text.substr(auth_start, colon - auth_start)));
          out.push_back(':');
          out.append(kRedacted);
        } else {
          out.append(kRedacted);
        }
        out.push_back('@');
        i = at + 1;
        continue;
      }
    }
    if (std::size_t n = secret_name_at(text, i); n > 0) {
      std::size_t p = i + n;
      out.append(text.substr(i, n));
      // name=value (query string, form) or "name": "value" / name: value (JSON, YAML).
      if (p < text.size() && text[p] == '=') {
        out.push_back('=');
        ++p;
        std::size_t end = p;
        while (end < text.size() && !ends_query_value(text[end])) ++end;
        if (end > p) out.append(kRedacted);
        i = end;
        continue;
      }
      std::size_t q = p;
      if (q < text.size() && text[q] == '"') ++q;
      while (q < text.size() && text[q] == ' ') ++q;
      if (q < text.size() && text[q] == ':') {
        ++q;
        while (q < text.size() && text[q] == ' ') ++q;
        out.append(text.substr(p, q - p));
        if (q < text.size() && text[q] == '"') {
          std::size_t close = q + 1;
          while (close < text.size() && text[close] != '"') {
            if (text[close] == '\\' && close + 1 < text.size()) ++close;
            ++close;
          }
          out.push_back('"');
          out.append(kRedacted);
          if (close < text.size()) out.push_back('"');
          i = close < text.size() ? close + 1 : close;
          continue;
        }
        std::size_t end = q;
        while (end < text.size() && !ends_query_value(text[end]) && text[end] != '}') ++end;
        if (end > q) out.append(kRedacted);
        i = end;
        continue;
      }
      i = p;
      continue;
    }
    out.push_back(text[i]);
    ++i;
  }
  redact_header_lines(out);
  return out;
}

}  // namespace cartopull
