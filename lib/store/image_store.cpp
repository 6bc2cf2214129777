#include "store/image_store.hpp"

#include "store/content_hash.hpp"

namespace cartopull::store {

result<bool> ImageStore::put(const ImageWrite& image) {
  const auto hash = content_hash(image.data);
  const auto hex = to_hex(hash);
  auto latest =
      db_.prepare("SELECT hash FROM images WHERE job = ?1 AND resource = ?2 ORDER BY id DESC LIMIT 1");
  if (!latest) return latest.error();
  latest->bind(1, image.job).bind(2, image.resource);
  auto row = latest->step();
  if (!row) return row.error();
  if (*row && latest->column_text(0) == hex) return false;

  auto savepoint = Savepoint::begin(db_);
  if (!savepoint) return savepoint.error();
  auto blob = blobs_.put(image.data);
  if (!blob) return blob.error();
  auto insert = db_.prepare(
      "INSERT INTO images(job, resource, run_id, fetched_at, blob_id, width, height, format, hash) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!insert) return insert.error();
  insert->bind(1, image.job)
      .bind(2, image.resource)
      .bind(3, image.run)
      .bind(4, format_timestamp(image.fetched_at));
  insert->bind(5, blob->id).bind(6, static_cast<std::int64_t>(image.width));
  insert->bind(7, static_cast<std::int64_t>(image.height)).bind(8, image.format).bind(9, hex);
  if (auto r = insert->run(); !r) return r.error();
  if (auto r = savepoint->release(); !r) return r.error();
  return true;
}

result<std::vector<ImageVersion>> ImageStore::versions(const std::string& job, const std::string& resource) {
  auto select = db_.prepare(
      "SELECT id, run_id, fetched_at, width, height, format, hash FROM images WHERE job = ?1 AND resource = "
      "?2 "
      "ORDER BY id");
  if (!select) return select.error();
  select->bind(1, job).bind(2, resource);
  std::vector<ImageVersion> out;
  for (;;) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back({select->column_int64(0), select->column_optional_int64(1), select->column_text(2),
                   static_cast<std::uint32_t>(select->column_int64(3)),
                   static_cast<std::uint32_t>(select->column_int64(4)), select->column_text(5),
                   select->column_text(6)});
  }
  return out;
}

}  // namespace cartopull::store
