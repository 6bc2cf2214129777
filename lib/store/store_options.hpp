#pragma once

#include "config/config.hpp"
#include "store/database.hpp"
#include "store/retention.hpp"
#include "store/writer.hpp"

namespace cartopull::store {

// The store's settings from the `store:` section of the configuration.
// The writer: path, busy_timeout, queue_bytes, and an 8 MiB page cache (blob pages are written once).
WriterOptions writer_options(const config::StoreConfig& config);
OpenOptions reader_options(const config::StoreConfig& config);        // read-only, same busy_timeout
RetentionPolicy retention_policy(const config::StoreConfig& config);  // keep_runs, keep_for

}  // namespace cartopull::store
