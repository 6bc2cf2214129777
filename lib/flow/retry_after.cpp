#include "flow/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace cartopull::flow {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A tiny cursor over the date text; every reader fails closed.
struct Cursor {
  std::string_view s;
  bool ok = true;

  void skip_spaces() {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  }
  void expect(char c) {
    if (s.empty() || s.front() != c)
      ok = false;
    else
      s.remove_prefix(1);
  }
  int number(std::size_t min_digits, std::size_t max_digits) {
    std::size_t n = 0;
    while (n < s.size() && n < max_digits && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    if (n < min_digits) {
      ok = false;
      return 0;
    }
    int v = 0;
    std::from_chars(s.data(), s.data() + n, v);
    s.remove_prefix(n);
    return v;
  }
  std::string_view word() {
    std::size_t n = 0;
    while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
    if (n == 0) ok = false;
    auto w = s.substr(0, n);
    s.remove_prefix(n);
    return w;
  }
};

int month_index(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (kMonths[i] == m) return static_cast<int>(i) + 1;
  return 0;
}

void time_of_day(Cursor& c, int& h, int& mi, int& sec) {
  h = c.number(2, 2);
  c.expect(':');
  mi = c.number(2, 2);
  c.expect(':');
  sec = c.number(2, 2);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  Cursor c{trim(value)};
  int day = 0, month = 0, year = 0, h = 0, mi = 0, sec = 0;
  c.word();  // day name, "Sun" or "Sunday"
  if (!c.ok) return std::nullopt;
  if (!c.s.empty() && c.s.front() == ',') {
    c.expect(',');
    c.skip_spaces();
    day = c.number(1, 2);
    if (!c.s.empty() && c.s.front() == '-') {  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
      c.expect('-');
      month = month_index(c.word());
      c.expect('-');
      year = c.number(2, 4);
      if (year < 100) year += year < 70 ? 2000 : 1900;  // RFC 9110: interpret 2-digit years near now
    } else {                                            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
      c.skip_spaces();
      month = month_index(c.word());
      c.skip_spaces();
      year = c.number(4, 4);
    }
    c.skip_spaces();
    time_of_day(c, h, mi, sec);
    c.skip_spaces();
    if (c.word() != "GMT") c.ok = false;
  } else {  // asctime: Sun Nov  6 08:49:37 1994
    c.skip_spaces();
    month = month_index(c.word());
    c.skip_spaces();
    day = c.number(1, 2);
    c.skip_spaces();
    time_of_day(c, h, mi, sec);
    c.skip_spaces();
    year = c.number(4, 4);
  }
  c.skip_spaces();
  if (!c.ok || !c.s.empty() || month == 0 || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  // In seconds first: a 4-digit year can lie outside what nanosecond time points hold (1678..2262).
  const sys_seconds at = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec);
  if (at >= floor<seconds>(system_clock::time_point::max())) return system_clock::time_point::max();
  if (at <= ceil<seconds>(system_clock::time_point::min())) return system_clock::time_point::min();
  return system_clock::time_point(at);
}

std::optional<Nanos> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front())) || value.front() == '-') {
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc{} || end != value.data() + value.size() || seconds < 0) return std::nullopt;
    return std::chrono::seconds(std::min<std::int64_t>(seconds, kMaxRetryAfter.count()));
  }
  auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  if (*when <= now) return Nanos::zero();
  // Subtracting in seconds cannot overflow; a date years ahead is capped like delay-seconds.
  const auto wait =
      std::chrono::floor<std::chrono::seconds>(*when) - std::chrono::floor<std::chrono::seconds>(now);
  if (wait >= kMaxRetryAfter) return kMaxRetryAfter;
  return std::chrono::duration_cast<Nanos>(*when - now);
}

}  // namespace cartopull::flow
