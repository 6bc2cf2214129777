#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cartopull::metrics {

// What the standard process_* metrics report, read from /proc (Linux only).
struct ProcessStats {
  double cpu_seconds = 0;            // user + system
  double resident_memory_bytes = 0;  // RSS
  double virtual_memory_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;
};

// Pure: parses the text of /proc/<pid>/stat. `boot_time` is /proc/stat's btime (Unix seconds),
// `ticks_per_second` sysconf(_SC_CLK_TCK), `page_size` in bytes. nullopt when malformed.
std::optional<ProcessStats> parse_proc_stat(std::string_view stat, double boot_time, long ticks_per_second,
                                            long page_size);

// Pure: the btime value of /proc/stat's text.
std::optional<double> parse_boot_time(std::string_view proc_stat);

// Reads /proc/self: stat, fd count and RLIMIT_NOFILE. Nullopt if /proc is unavailable.
std::optional<ProcessStats> read_process_stats();

}  // namespace cartopull::metrics
