#include "sched/cron_expr.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace cartopull::sched {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  const char* what;
  int min;
  int max;
  const std::string_view* names;  // names[i] is value first_name_value + i
  int name_count;
  int first_name_value;
};

Error invalid(std::string_view text, std::string_view why) {
  return Error{errc::config_invalid,
               "invalid cron expression '" + std::string(text) + "': " + std::string(why)};
}

std::optional<int> parse_value(std::string_view s, const FieldSpec& spec) {
  if (s.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(s.front()))) {
    int v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || v > 1000) return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  if (s.size() != 3) return std::nullopt;
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (int i = 0; i < spec.name_count; ++i) {
    if (spec.names[i] == lower) return spec.first_name_value + i;
  }
  return std::nullopt;
}

// Fills `out` (indexed by value) from one field; returns an error message or empty.
std::string parse_field(std::string_view field, const FieldSpec& spec, std::vector<bool>& out) {
  out.assign(static_cast<std::size_t>(spec.max) + 1, false);
  std::size_t start = 0;
  while (true) {
    const auto comma = field.find(',', start);
    const auto item =
        field.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return std::string("empty list item in ") + spec.what;
    std::string_view range = item;
    int step = 1;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      FieldSpec numeric{spec.what, 1, 1000, nullptr, 0, 0};
      auto s = parse_value(item.substr(slash + 1), numeric);
      if (!s || *s < 1) return std::string("bad step in ") + spec.what;
      step = *s;
    }
    int lo = 0, hi = 0;
    if (range == "*") {
      lo = spec.min;
      hi = spec.max;
    } else {
      const auto dash = range.find('-');
      auto a = parse_value(range.substr(0, dash), spec);
      if (!a) return std::string("bad value in ") + spec.what;
      lo = *a;
      hi = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_value(range.substr(dash + 1), spec);
        if (!b) return std::string("bad range end in ") + spec.what;
        hi = *b;
      } else if (step != 1) {
        hi = spec.max;  // "a/n" means a-max/n, as in Vixie cron
      }
    }
    if (lo < spec.min || hi > spec.max || lo > hi) return std::string("value out of range in ") + spec.what;
    for (int v = lo; v <= hi; v += step) out[static_cast<std::size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return {};
}

template <std::size_t N>
void copy_bits(const std::vector<bool>& from, std::bitset<N>& to) {
  for (std::size_t i = 0; i < from.size() && i < N; ++i) to[i] = from[i];
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

result<CronExpr> CronExpr::parse(std::string_view text) {
  const std::string_view body = expand_macro(text);
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    const auto start = i;
    while (i < body.size() && !std::isspace(static_cast<unsigned char>(body[i]))) ++i;
    if (i > start) fields.push_back(body.substr(start, i - start));
  }
  if (fields.size() != 5)
    return invalid(text, "expected 5 fields: minute hour day-of-month month day-of-week");

  const FieldSpec specs[5] = {
      {"minute", 0, 59, nullptr, 0, 0},
      {"hour", 0, 23, nullptr, 0, 0},
      {"day-of-month", 1, 31, nullptr, 0, 0},
      {"month", 1, 12, kMonthNames.data(), 12, 1},
      {"day-of-week", 0, 7, kDayNames.data(), 7, 0},
  };
  CronExpr expr;
  expr.text_ = std::string(text);
  std::vector<bool> bits;
  for (int f = 0; f < 5; ++f) {
    if (auto err = parse_field(fields[static_cast<std::size_t>(f)], specs[f], bits); !err.empty()) {
      return invalid(text, err);
    }
    switch (f) {
      case 0: copy_bits(bits, expr.minutes_); break;
      case 1: copy_bits(bits, expr.hours_); break;
      case 2: copy_bits(bits, expr.days_of_month_); break;
      case 3: copy_bits(bits, expr.months_); break;
      case 4:
        if (bits[7]) bits[0] = true;  // 7 is Sunday too
        copy_bits(bits, expr.days_of_week_);
        break;
    }
  }
  // Vixie cron decides the day rule by whether the field starts with '*' (so "*/2" counts as '*').
  expr.hour_star_ = fields[1].front() == '*';
  expr.dom_star_ = fields[2].front() == '*';
  expr.dow_star_ = fields[4].front() == '*';
  return expr;
}

bool CronExpr::day_matches(year_month_day ymd) const {
  const bool dom = days_of_month_[static_cast<unsigned>(ymd.day())];
  const bool dow = days_of_week_[weekday{sys_days{ymd}}.c_encoding()];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

bool CronExpr::matches(local_seconds t) const {
  const auto day = floor<days>(t);
  const year_month_day ymd{sys_days{day.time_since_epoch()}};
  const hh_mm_ss hms{t - day};
  return months_[static_cast<unsigned>(ymd.month())] && day_matches(ymd) &&
         hours_[static_cast<std::size_t>(hms.hours().count())] &&
         minutes_[static_cast<std::size_t>(hms.minutes().count())];
}

std::optional<local_seconds> CronExpr::next_local_match(local_seconds from, local_seconds limit) const {
  local_seconds t = ceil<minutes>(from);
  while (t < limit) {
    const auto day = floor<days>(t);
    const year_month_day ymd{sys_days{day.time_since_epoch()}};
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      const auto next_month = year_month_day{ymd.year() / ymd.month() / 1} + months{1};
      t = local_seconds{sys_days{next_month}.time_since_epoch()};
      continue;
    }
    if (!day_matches(ymd)) {
      t = day + days{1};
      continue;
    }
    const hh_mm_ss hms{t - day};
    if (!hours_[static_cast<std::size_t>(hms.hours().count())]) {
      t = floor<hours>(t) + hours{1};
      continue;
    }
    if (!minutes_[static_cast<std::size_t>(hms.minutes().count())]) {
      t += minutes{1};
      continue;
    }
    return t;
  }
  return std::nullopt;
}

std::optional<sys_seconds> CronExpr::next_after(sys_seconds t, const TimeZone& tz) const {
  // Local times are not monotonic across a fall-back overlap, so start early enough to see the
  // second occurrence of a repeated hour, and keep the smallest instant after `t`.
  const auto local_t = tz.to_local(t);
  const auto limit = local_t + days{366 * 8 + 2};
  auto from = local_t - tz.max_backward_shift();
  std::optional<sys_seconds> best;
  while (auto m = next_local_match(from, limit)) {
    const auto r = tz.resolve(*m);
    if (best && r.first > *best) break;  // every later match maps later still
    for (auto u : {r.first, r.second}) {
      const bool repeat = r.kind == TimeZone::Resolved::Kind::ambiguous && u == r.second;
      if (repeat && !hour_star_) continue;
      if (u > t && (!best || u < *best)) best = u;
    }
    from = *m + minutes{1};
  }
  return best;
}

}  // namespace cartopull::sched
