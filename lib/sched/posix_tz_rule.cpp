#include "sched/posix_tz_rule.hpp"

#include <cctype>

namespace cartopull::sched {

namespace {

using namespace std::chrono;

Error invalid(std::string_view text, std::string_view why) {
  return Error{errc::config_invalid,
               "invalid POSIX TZ string '" + std::string(text) + "': " + std::string(why)};
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // A zone abbreviation: 3+ letters, or <...> quoted (may hold digits and signs).
  bool name() {
    if (eat('<')) {
      while (!done() && peek() != '>') ++pos_;
      return eat('>');
    }
    std::size_t start = pos_;
    while (!done() && std::isalpha(static_cast<unsigned char>(peek()))) ++pos_;
    return pos_ - start >= 3;
  }
  std::optional<int> number(int max_digits) {
    int value = 0, digits = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(peek())) && digits < max_digits) {
      value = value * 10 + (peek() - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    return value;
  }
  // [+-]hh[:mm[:ss]], hours up to 167.
  std::optional<seconds> hms() {
    int sign = 1;
    if (eat('-')) {
      sign = -1;
    } else {
      eat('+');
    }
    auto h = number(3);
    if (!h || *h > 167) return std::nullopt;
    int total = *h * 3600;
    if (eat(':')) {
      auto m = number(2);
      if (!m || *m > 59) return std::nullopt;
      total += *m * 60;
      if (eat(':')) {
        auto sec = number(2);
        if (!sec || *sec > 59) return std::nullopt;
        total += *sec;
      }
    }
    return seconds{sign * total};
  }
  std::optional<PosixTzRule::Rule> rule() {
    PosixTzRule::Rule r;
    using Kind = PosixTzRule::Rule::Kind;
    if (eat('M')) {
      auto m = number(2);
      if (!m || *m < 1 || *m > 12 || !eat('.')) return std::nullopt;
      auto w = number(1);
      if (!w || *w < 1 || *w > 5 || !eat('.')) return std::nullopt;
      auto d = number(1);
      if (!d || *d > 6) return std::nullopt;
      r.kind = Kind::month_week_day;
      r.month = *m;
      r.week = *w;
      r.day = *d;
    } else if (eat('J')) {
      auto n = number(3);
      if (!n || *n < 1 || *n > 365) return std::nullopt;
      r.kind = Kind::julian_no_leap;
      r.day = *n;
    } else {
      auto n = number(3);
      if (!n || *n > 365) return std::nullopt;
      r.kind = Kind::zero_based;
      r.day = *n;
    }
    if (eat('/')) {
      auto t = hms();
      if (!t) return std::nullopt;
      r.time = *t;
    }
    return r;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// The calendar day a rule designates in `year`.
sys_days rule_day(int y, const PosixTzRule::Rule& r) {
  using Kind = PosixTzRule::Rule::Kind;
  const year yr{y};
  switch (r.kind) {
    case Kind::julian_no_leap: {
      // Jn counts 1..365 and never Feb 29: day 60 is always March 1.
      int n = r.day;
      if (yr.is_leap() && n >= 60) ++n;
      return sys_days{yr / January / 1} + days{n - 1};
    }
    case Kind::zero_based: return sys_days{yr / January / 1} + days{r.day};
    case Kind::month_week_day: {
      const auto month_v = month{static_cast<unsigned>(r.month)};
      const weekday wd{static_cast<unsigned>(r.day)};
      if (r.week == 5) return sys_days{yr / month_v / wd[last]};
      return sys_days{yr / month_v / wd[static_cast<unsigned>(r.week)]};
    }
  }
  return sys_days{};
}

}  // namespace

result<PosixTzRule> PosixTzRule::parse(std::string_view text) {
  Cursor c(text);
  PosixTzRule rule;
  if (!c.name()) return invalid(text, "expected a standard time name");
  auto std_off = c.hms();
  if (!std_off) return invalid(text, "expected a standard time offset");
  rule.std_offset_ = -*std_off;  // POSIX offsets count west of Greenwich as positive
  if (c.done()) return rule;
  if (!c.name()) return invalid(text, "expected a daylight time name");
  rule.has_dst_ = true;
  rule.dst_offset_ = rule.std_offset_ + hours{1};
  if (c.peek() != ',' && !c.done()) {
    auto dst_off = c.hms();
    if (!dst_off) return invalid(text, "bad daylight time offset");
    rule.dst_offset_ = -*dst_off;
  }
  if (c.done()) {
    // No rule given: POSIX leaves it to the implementation; use the US rules, as glibc does.
    rule.start_ = Rule{Rule::Kind::month_week_day, 0, 3, 2, seconds{7200}};
    rule.end_ = Rule{Rule::Kind::month_week_day, 0, 11, 1, seconds{7200}};
    return rule;
  }
  if (!c.eat(',')) return invalid(text, "expected ','");
  auto start = c.rule();
  if (!start || !c.eat(',')) return invalid(text, "bad daylight start rule");
  auto end = c.rule();
  if (!end || !c.done()) return invalid(text, "bad daylight end rule");
  rule.start_ = *start;
  rule.end_ = *end;
  return rule;
}

sys_seconds PosixTzRule::transition_utc(int year, const Rule& rule, seconds offset_before) const {
  return sys_seconds{rule_day(year, rule)} + rule.time - offset_before;
}

bool PosixTzRule::is_dst_at(sys_seconds t) const {
  if (!has_dst_) return false;
  const int y = static_cast<int>(year_month_day{floor<days>(t + std_offset_)}.year());
  const auto start = transition_utc(y, start_, std_offset_);
  const auto end = transition_utc(y, end_, dst_offset_);
  if (start < end) return t >= start && t < end;  // northern hemisphere
  return !(t >= end && t < start);                // southern: DST spans New Year
}

seconds PosixTzRule::offset_at(sys_seconds t) const {
  return is_dst_at(t) ? dst_offset_ : std_offset_;
}

}  // namespace cartopull::sched
