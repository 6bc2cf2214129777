#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/blob_store.hpp"
#include "store/database.hpp"
#include "store/run_ledger.hpp"
#include "store/timestamp.hpp"

namespace cartopull::store {

struct ImageWrite {
  std::string job;
  std::string resource;
  std::optional<RunId> run;
  Timestamp fetched_at;
  std::vector<std::uint8_t> data;
  std::uint32_t width = 0;   // pixels
  std::uint32_t height = 0;  // pixels
  std::string format;        // png | jpg
};

struct ImageVersion {
  std::int64_t id = 0;
  std::optional<RunId> run;
  std::string fetched_at;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string format;
  std::string hash;  // SHA-256 hex
};

// Static images as a visual history: a version row is added only when the bytes differ from the
// latest version of the same (job, resource); bytes live in the shared content-addressed blobs.
// Threading: the thread owning `db`.
class ImageStore {
 public:
  explicit ImageStore(Database& db) : db_(db), blobs_(db) {}
  // images.hash is the SHA-256 of the bytes (low volume, so the strong hash is affordable here).

  // True when a new version was stored, false when the image is unchanged.
  result<bool> put(const ImageWrite& image);
  result<std::vector<ImageVersion>> versions(const std::string& job, const std::string& resource);

 private:
  Database& db_;
  BlobStore blobs_;
};

}  // namespace cartopull::store
