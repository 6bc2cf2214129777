#include "config/duration.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace cartopull::config {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
constexpr std::array<Unit, 5> kUnits = {
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

Error bad(std::string_view text, const std::string& why) {
  return Error(errc::config_invalid, "invalid duration '" + std::string(text) + "': " + std::string(why) +
                                         " (examples: 250ms, 30s, 5m, 1h, 1h30m)");
}

}  // namespace

result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '-') return bad(text, "must not be negative");
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad(text, "expected a number");
    std::int64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return bad(text, "too large");
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    if (i == text.size()) return bad(text, "missing unit");
    std::size_t unit_end = i;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) ++unit_end;
    auto name = text.substr(i, unit_end - i);
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (name == u.name) unit = &u;
    }
    if (unit == nullptr) return bad(text, "unknown unit '" + std::string(name) + "'");
    i = unit_end;
    if (value > (std::numeric_limits<std::int64_t>::max() - total) / unit->ms) {
      return bad(text, "too large");
    }
    total += value * unit->ms;
  }
  return Duration(total);
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (ms >= it->ms) {
      out += std::to_string(ms / it->ms);
      out += it->name;
      ms %= it->ms;
    }
  }
  return out;
}

result<std::uint64_t> parse_byte_size(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Error(errc::config_invalid, "invalid byte size '" + std::string(text) + "': " + std::string(why) +
                                           " (examples: 65536, 64KiB, 64MiB)");
  };
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (value > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return fail("too large");
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return fail("expected a number");
  std::string_view suffix = text.substr(i);
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kSuffixes = {{
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
  }};
  for (const auto& [name, factor] : kSuffixes) {
    if (suffix == name) {
      if (value > std::numeric_limits<std::uint64_t>::max() / factor) return fail("too large");
      return value * factor;
    }
  }
  return fail("unknown unit");
}

}  // namespace cartopull::config
