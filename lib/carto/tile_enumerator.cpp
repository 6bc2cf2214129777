#include "carto/tile_enumerator.hpp"

namespace cartopull::carto {
namespace {

std::uint64_t key(const TileId& t) {
  return (std::uint64_t{t.z} << 58) | (std::uint64_t{t.x} << 29) | std::uint64_t{t.y};
}

}  // namespace

TileEnumerator::TileEnumerator(Coverage coverage, std::uint32_t min_zoom, std::uint32_t max_zoom)
    : coverage_(std::move(coverage)), min_zoom_(min_zoom), max_zoom_(max_zoom), z_(min_zoom), y_(0) {
  done_ = min_zoom > max_zoom;
}

// Moves to the next row with spans (across zooms); false at the end.
bool TileEnumerator::load_row() {
  for (;;) {
    if (!started_) {
      started_ = true;
      rows_ = coverage_.rows(z_);
      y_ = rows_.first;
    } else {
      ++y_;
    }
    if (rows_.first > rows_.last || y_ > rows_.last) {
      if (z_ >= max_zoom_) return false;
      ++z_;
      rows_ = coverage_.rows(z_);
      y_ = rows_.first;
      if (rows_.first > rows_.last) continue;
    }
    coverage_.row_spans(z_, y_, spans_);
    if (!spans_.empty()) {
      span_ = 0;
      x_ = spans_[0].first;
      return true;
    }
  }
}

std::optional<TileId> TileEnumerator::next() {
  while (!done_) {
    if (!started_ || span_ >= spans_.size()) {
      if (!load_row()) {
        done_ = true;
        break;
      }
    }
    TileId t{z_, static_cast<std::uint32_t>(x_), y_};
    if (x_ >= spans_[span_].last) {
      ++span_;
      if (span_ < spans_.size()) x_ = spans_[span_].first;
    } else {
      ++x_;
    }
    if (!pruned_.empty() && pruned(t)) continue;
    return t;
  }
  return std::nullopt;
}

void TileEnumerator::prune(const TileId& tile) {
  pruned_.insert(key(tile));
}

bool TileEnumerator::pruned(TileId t) const {
  while (t.z > min_zoom_) {
    t = parent(t);
    if (pruned_.contains(key(t))) return true;
  }
  return false;
}

std::uint64_t TileEnumerator::total() const {
  std::uint64_t n = 0;
  std::vector<Span> spans;
  for (std::uint32_t z = min_zoom_; z <= max_zoom_ && min_zoom_ <= max_zoom_; ++z) {
    auto rows = coverage_.rows(z);
    for (std::uint64_t y = rows.first; rows.first <= rows.last && y <= rows.last; ++y) {
      coverage_.row_spans(z, static_cast<std::uint32_t>(y), spans);
      for (const auto& s : spans) n += std::uint64_t{s.last} - s.first + 1;
    }
  }
  return n;
}

}  // namespace cartopull::carto
