#include "sched/time_zone.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace cartopull::sched {

namespace {

using namespace std::chrono;

constexpr std::size_t kMaxTzifBytes = 1 << 20;

Error bad_tzif(const std::string& name, std::string_view why) {
  return Error{errc::config_invalid, "time zone '" + name + "': " + std::string(why)};
}

// Big-endian reader over the file bytes with bounds checks.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : b_(bytes) {}
  bool has(std::size_t n) const { return b_.size() - pos_ >= n; }
  std::size_t pos() const { return pos_; }
  void skip(std::size_t n) { pos_ += n; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(b_[pos_++]); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return static_cast<std::int64_t>(v);
  }
  std::string_view rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

struct Header {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

std::optional<Header> read_header(Reader& r) {
  if (!r.has(44)) return std::nullopt;
  if (r.u8() != 'T' || r.u8() != 'Z' || r.u8() != 'i' || r.u8() != 'f') return std::nullopt;
  Header h;
  h.version = static_cast<char>(r.u8());
  r.skip(15);
  h.isutcnt = r.u32();
  h.isstdcnt = r.u32();
  h.leapcnt = r.u32();
  h.timecnt = r.u32();
  h.typecnt = r.u32();
  h.charcnt = r.u32();
  return h;
}

std::uint64_t block_size(const Header& h, std::size_t time_size) {
  return std::uint64_t{h.timecnt} * time_size + h.timecnt + std::uint64_t{h.typecnt} * 6 + h.charcnt +
         std::uint64_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt;
}

bool is_safe_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

}  // namespace

TimeZone TimeZone::utc() {
  TimeZone tz;
  tz.name_ = "UTC";
  return tz;
}

result<TimeZone> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  Reader r(bytes);
  auto h1 = read_header(r);
  if (!h1) return bad_tzif(name, "not a TZif file");
  const bool v2 = h1->version >= '2';
  std::size_t time_size = 4;
  Header h = *h1;
  if (v2) {
    // Skip the 32-bit block: version 2+ repeats everything with 64-bit times, then a footer.
    const auto skip = block_size(*h1, 4);
    if (!r.has(skip)) return bad_tzif(name, "truncated v1 block");
    r.skip(skip);
    auto h2 = read_header(r);
    if (!h2) return bad_tzif(name, "missing v2 header");
    h = *h2;
    time_size = 8;
  }
  if (h.typecnt == 0 || h.typecnt > 256 || !r.has(block_size(h, time_size))) {
    return bad_tzif(name, "truncated or invalid data block");
  }
  TimeZone tz;
  tz.name_ = std::move(name);
  tz.transitions_.resize(h.timecnt);
  for (auto& t : tz.transitions_) t = time_size == 8 ? r.i64() : static_cast<std::int32_t>(r.u32());
  tz.type_index_.resize(h.timecnt);
  for (auto& i : tz.type_index_) {
    i = r.u8();
    if (i >= h.typecnt) return bad_tzif(tz.name_, "transition type out of range");
  }
  if (!std::is_sorted(tz.transitions_.begin(), tz.transitions_.end())) {
    return bad_tzif(tz.name_, "transitions not ascending");
  }
  tz.types_.resize(h.typecnt);
  for (auto& t : tz.types_) {
    t.utoff = static_cast<std::int32_t>(r.u32());
    t.is_dst = r.u8() != 0;
    r.skip(1);  // abbreviation index: unused
    if (t.utoff < -25 * 3600 || t.utoff > 26 * 3600) return bad_tzif(tz.name_, "UT offset out of range");
  }
  r.skip(h.charcnt + std::uint64_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt);
  if (v2) {
    const auto rest = r.rest();
    if (rest.size() >= 2 && rest.front() == '\n') {
      const auto end = rest.find('\n', 1);
      if (end == std::string_view::npos) return bad_tzif(tz.name_, "unterminated footer");
      const auto footer = rest.substr(1, end - 1);
      if (!footer.empty()) {
        auto rule = PosixTzRule::parse(footer);
        if (!rule) return bad_tzif(tz.name_, rule.error().message);
        tz.footer_ = *rule;
      }
    }
  }
  std::int32_t lo = tz.types_.front().utoff, hi = lo;
  for (const auto& t : tz.types_) {
    lo = std::min(lo, t.utoff);
    hi = std::max(hi, t.utoff);
  }
  if (tz.footer_) {
    lo = std::min(lo, static_cast<std::int32_t>(tz.footer_->std_offset().count()));
    hi = std::max(hi, static_cast<std::int32_t>(tz.footer_->dst_offset().count()));
  }
  tz.max_backward_shift_ = seconds{hi - lo};
  return tz;
}

result<TimeZone> TimeZone::load(std::string_view name, std::string_view dir) {
  if (name == "UTC" || name == "Etc/UTC") return utc();
  if (!is_safe_name(name))
    return Error{errc::config_invalid, "invalid time zone name '" + std::string(name) + "'"};
  const std::string path = std::string(dir) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{errc::config_invalid, "unknown time zone '" + std::string(name) + "'"};
  std::string bytes;
  bytes.resize(kMaxTzifBytes + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > kMaxTzifBytes) return bad_tzif(std::string(name), "file too large");
  return from_tzif(std::string(name), bytes);
}

seconds TimeZone::offset_at(sys_seconds t) const {
  const std::int64_t s = t.time_since_epoch().count();
  if (transitions_.empty()) {
    if (footer_) return footer_->offset_at(t);
    return seconds{types_.front().utoff};
  }
  // RFC 8536 §3.2: before the first transition, type 0 applies; after the last, the footer.
  if (s < transitions_.front()) return seconds{types_.front().utoff};
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  if (it == transitions_.end() && footer_) return footer_->offset_at(t);
  const auto index = static_cast<std::size_t>(std::distance(transitions_.begin(), it) - 1);
  return seconds{types_[type_index_[index]].utoff};
}

local_seconds TimeZone::to_local(sys_seconds t) const {
  return local_seconds{t.time_since_epoch() + offset_at(t)};
}

TimeZone::Resolved TimeZone::resolve(local_seconds t) const {
  const sys_seconds as_sys{t.time_since_epoch()};
  const seconds before = offset_at(as_sys - days{1});
  const seconds after = offset_at(as_sys + days{1});
  std::optional<sys_seconds> a, b;
  if (offset_at(as_sys - before) == before) a = as_sys - before;
  if (after != before && offset_at(as_sys - after) == after) b = as_sys - after;
  if (a && b) {
    return Resolved{Resolved::Kind::ambiguous, std::min(*a, *b), std::max(*a, *b)};
  }
  if (a || b) {
    const auto u = a ? *a : *b;
    return Resolved{Resolved::Kind::unique, u, u};
  }
  if (after <= before) {
    // Two changes within a day around t: no clean answer, take the earlier offset.
    const auto u = as_sys - before;
    return Resolved{Resolved::Kind::unique, u, u};
  }
  // A gap: find the instant the offset changes from `before` to `after` (between the two readings).
  auto lo = as_sys - after;   // still on the old offset
  auto hi = as_sys - before;  // already on the new one
  while (hi - lo > seconds{1}) {
    const auto mid = lo + (hi - lo) / 2;
    if (offset_at(mid) == before) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return Resolved{Resolved::Kind::nonexistent, hi, hi};
}

}  // namespace cartopull::sched
