#include "sched/schedule.hpp"

namespace cartopull::sched {

using namespace std::chrono;

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const auto q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

Duration jitter_for(std::string_view job_name, Duration jitter) {
  if (jitter <= Duration::zero()) return Duration::zero();
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : job_name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return Duration{static_cast<std::int64_t>(h % static_cast<std::uint64_t>(jitter.count()))};
}

result<Schedule> Schedule::compile(const config::ScheduleConfig& config, std::string_view job_name,
                                   std::string_view zoneinfo_dir) {
  Schedule s;
  if (config.every && !config.cron.empty()) {
    return Error{errc::config_invalid, "schedule: 'every' and 'cron' are exclusive"};
  }
  if (config.every) {
    if (*config.every <= Duration::zero())
      return Error{errc::config_invalid, "schedule: 'every' must be > 0"};
    s.every_ = *config.every;
  }
  if (!config.cron.empty()) {
    auto cron = CronExpr::parse(config.cron);
    if (!cron) return cron.error();
    s.cron_ = std::move(*cron);
  }
  auto tz = TimeZone::load(config.timezone.empty() ? "UTC" : config.timezone, zoneinfo_dir);
  if (!tz) return tz.error();
  s.tz_ = std::move(*tz);
  if (config.jitter < Duration::zero() || config.offset < Duration::zero()) {
    return Error{errc::config_invalid, "schedule: jitter and offset must be >= 0"};
  }
  s.shift_ = config.offset + jitter_for(job_name, config.jitter);
  s.run_at_start_ = config.run_at_start;
  if (s.every_) s.description_ = "every " + config::format_duration(*s.every_);
  if (s.cron_) s.description_ = "cron " + s.cron_->text() + " " + s.tz_.name();
  if (s.shift_ > Duration::zero()) s.description_ += " + " + config::format_duration(s.shift_);
  return s;
}

std::optional<SysMs> Schedule::next_fire_after(SysMs t) const {
  const SysMs base = t - shift_;
  if (every_) {
    const auto period = every_->count();
    const auto k = floor_div(base.time_since_epoch().count(), period) + 1;
    return SysMs{Duration{k * period}} + shift_;
  }
  if (cron_) {
    auto next = cron_->next_after(floor<seconds>(base), tz_);
    if (!next) return std::nullopt;
    return SysMs{*next} + shift_;
  }
  return std::nullopt;
}

std::uint64_t Schedule::count_fires(SysMs from, SysMs to, std::uint64_t cap) const {
  if (to <= from) return 0;
  if (every_) {
    const auto period = every_->count();
    const auto a = floor_div((from - shift_).time_since_epoch().count(), period);
    const auto b = floor_div((to - shift_).time_since_epoch().count(), period);
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(b - a), cap);
  }
  std::uint64_t n = 0;
  auto t = from;
  while (n < cap) {
    auto next = next_fire_after(t);
    if (!next || *next > to) break;
    ++n;
    t = *next;
  }
  return n;
}

}  // namespace cartopull::sched
