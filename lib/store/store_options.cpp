#include "store/store_options.hpp"

namespace cartopull::store {

WriterOptions writer_options(const config::StoreConfig& config) {
  WriterOptions options;
  options.path = config.path;
  options.open.busy_timeout = config.busy_timeout;
  // Its cache mostly holds blob pages written once: 8 MiB, not 16, is ~20 MB less peak RSS on a
  // pyramid at the same speed (bench/peers.sh, docs/bench.md).
  options.open.cache_kib = 8192;
  options.queue_bytes = static_cast<std::size_t>(config.queue_bytes);
  return options;
}

OpenOptions reader_options(const config::StoreConfig& config) {
  OpenOptions options;
  options.read_only = true;
  options.busy_timeout = config.busy_timeout;
  return options;
}

RetentionPolicy retention_policy(const config::StoreConfig& config) {
  return RetentionPolicy{config.keep_runs, config.keep_for};
}

}  // namespace cartopull::store
