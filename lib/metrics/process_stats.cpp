#include "metrics/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace cartopull::metrics {

namespace {

std::optional<double> to_number(std::string_view s) {
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return static_cast<double>(v);
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<ProcessStats> parse_proc_stat(std::string_view stat, double boot_time, long ticks_per_second,
                                            long page_size) {
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::size_t i = close + 1;
  while (i < stat.size()) {
    while (i < stat.size() && (stat[i] == ' ' || stat[i] == '\n')) ++i;
    const auto start = i;
    while (i < stat.size() && stat[i] != ' ' && stat[i] != '\n') ++i;
    if (i > start) fields.push_back(stat.substr(start, i - start));
  }
  // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based).
  if (fields.size() < 22) return std::nullopt;
  const auto field = [&](int n) { return to_number(fields[static_cast<std::size_t>(n - 3)]); };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23), rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcessStats s;
  const auto tps = static_cast<double>(ticks_per_second);
  s.cpu_seconds = (*utime + *stime) / tps;
  s.start_time_seconds = boot_time + *start / tps;
  s.virtual_memory_bytes = *vsize;
  s.resident_memory_bytes = *rss * static_cast<double>(page_size);
  return s;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    auto end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    const auto line = proc_stat.substr(pos, end - pos);
    if (line.substr(0, 6) == "btime ") return to_number(line.substr(6));
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<ProcessStats> read_process_stats() {
  static const std::optional<double> boot_time = parse_boot_time(read_file("/proc/stat"));
  if (!boot_time) return std::nullopt;
  auto stats = parse_proc_stat(read_file("/proc/self/stat"), *boot_time, ::sysconf(_SC_CLK_TCK),
                               ::sysconf(_SC_PAGESIZE));
  if (!stats) return std::nullopt;
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++fds;
  }
  stats->open_fds = fds;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) stats->max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

}  // namespace cartopull::metrics
