#pragma once

#include "config/config.hpp"
#include "store/database.hpp"
#include "store/retention.hpp"
#include "store/writer.hpp"

namespace cartopull::store {

// The store's settings from the `store:` section of the configuration.
WriterOptions writer_options(
    const config::StoreConfig& config);  // path, busy_timeout, queue_bytes; 8 MiB cache
OpenOptions reader_options(const config::StoreConfig& config);        // read-only, same busy_timeout
RetentionPolicy retention_policy(const config::StoreConfig& config);  // keep_runs, keep_for

}  // namespace cartopull::store
