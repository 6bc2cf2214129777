// carto::expand_path on arbitrary templates and placeholder values. Input: "PATTERN\nname=value\n...".
// A value can never add a path segment, a query or a fragment: it is percent-encoded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "carto/request_spec.hpp"

namespace {

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// '/', '?' and '#' outside {placeholders}.
std::size_t structure_chars(std::string_view pattern) {
  std::size_t n = 0;
  bool inside = false;
  for (char c : pattern) {
    if (c == '{') inside = true;
    if (!inside && (c == '/' || c == '?' || c == '#')) ++n;
    if (c == '}') inside = false;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const auto pattern = in.substr(0, nl);
  cartopull::carto::Placeholders values;
  if (nl != std::string_view::npos) {
    std::string_view rest = in.substr(nl + 1);
    while (!rest.empty()) {
      const auto end = rest.find('\n');
      const auto line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      const auto eq = line.find('=');
      if (eq != std::string_view::npos) values[std::string(line.substr(0, eq))] = line.substr(eq + 1);
    }
  }

  auto out = cartopull::carto::expand_path(pattern, values);
  if (out) {
    check(out->find('{') == std::string::npos, "no placeholder is left");
    const auto n = static_cast<std::size_t>(
        std::count_if(out->begin(), out->end(), [](char c) { return c == '/' || c == '?' || c == '#'; }));
    check(n == structure_chars(pattern), "values add no '/', '?' or '#'");
    for (char c : *out) {
      const auto u = static_cast<unsigned char>(c);
      check((u > 0x20 && u < 0x7f) || pattern.find(c) != std::string_view::npos,
            "values are printable ASCII after encoding");
    }
  } else {
    check(!out.error().message.empty(), "an error has a message");
  }
  return 0;
}
