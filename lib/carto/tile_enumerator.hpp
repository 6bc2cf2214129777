#pragma once

#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

#include "carto/coverage.hpp"
#include "carto/tile.hpp"

namespace cartopull::carto {

// Lazily walks the tiles of a pyramid: zoom ascending, then rows, then columns, so a parent always
// comes before its children. Memory holds one row's spans (and the pruned tiles), never the pyramid.
class TileEnumerator {
 public:
  TileEnumerator(Coverage coverage, std::uint32_t min_zoom, std::uint32_t max_zoom);

  // The next tile, or nullopt at the end. Tiles under a pruned ancestor are skipped.
  std::optional<TileId> next();

  // Skip every descendant of `tile` (an empty or blank tile whose children need not be fetched).
  void prune(const TileId& tile);

  // Tiles in the pyramid before pruning; counts rows, O(rows) time.
  std::uint64_t total() const;

 private:
  bool pruned(TileId t) const;
  bool load_row();

  Coverage coverage_;
  std::uint32_t min_zoom_, max_zoom_;
  std::uint32_t z_, y_;
  Span rows_{1, 0};
  std::vector<Span> spans_;
  std::size_t span_ = 0;
  std::uint64_t x_ = 0;
  bool started_ = false, done_ = false;
  std::unordered_set<std::uint64_t> pruned_;
};

}  // namespace cartopull::carto
