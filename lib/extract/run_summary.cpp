#include "extract/run_summary.hpp"

#include <fmt/format.h>

namespace cartopull::extract {

store::RunStatus decide_status(const store::RunCounts& counts, double threshold) {
  if (counts.failed == 0) return store::RunStatus::ok;
  auto items = counts.fetched + counts.unchanged + counts.empty + counts.failed;
  return static_cast<double>(counts.failed) <= threshold * static_cast<double>(items)
             ? store::RunStatus::partial
             : store::RunStatus::failed;
}

std::string format_summary(const RunSummary& s) {
  double secs = std::max(0.001, s.duration.count() / 1000.0);
  auto line = fmt::format(
      "job {} run {}{}: {}\n"
      "  items     {:>10}  ({:.1f}/s)\n"
      "  fetched   {:>10}\n"
      "  unchanged {:>10}\n"
      "  empty     {:>10}\n"
      "  failed    {:>10}\n"
      "  bytes     {:>10}  ({:.2f} MB/s)\n"
      "  duration  {:>9.2f}s\n",
      s.job, s.run, s.resumed ? " (resumed)" : "", store::to_string(s.status), s.items(), s.items() / secs,
      s.counts.fetched, s.counts.unchanged, s.counts.empty, s.counts.failed, s.counts.bytes,
      s.counts.bytes / secs / 1e6, secs);
  if (!s.error.empty()) line += "  first error: " + s.error + "\n";
  return line;
}

}  // namespace cartopull::extract
