#include "carto/tile_request_plan.hpp"

#include <array>
#include <charconv>
#include <string_view>

namespace cartopull::carto {
namespace {

constexpr std::array<std::string_view, 3> kSlotNames = {"z", "x", "y"};
// Unreserved characters only, so percent-encoding leaves them whole wherever a placeholder lands.
constexpr std::array<std::string_view, 3> kMarkers = {"~cartopull.slot.z~", "~cartopull.slot.x~",
                                                      "~cartopull.slot.y~"};

void append_number(std::string& out, std::uint32_t v) {
  std::array<char, 10> digits{};
  auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), v);
  out.append(digits.data(), end);
}

std::uint32_t coordinate(const TileId& t, std::uint8_t slot) {
  return slot == 0 ? t.z : slot == 1 ? t.x : t.y;
}

}  // namespace

result<TileRequestPlan> TileRequestPlan::make(const config::SourceConfig& source,
                                              const config::ResourceConfig& resource, Placeholders values) {
  for (std::size_t i = 0; i < kSlotNames.size(); ++i) values[std::string(kSlotNames[i])] = kMarkers[i];
  auto marked = plan_request(source, resource, values);
  if (!marked) return marked.error();

  TileRequestPlan plan;
  plan.spec_ = std::move(*marked);
  std::string_view url = plan.spec_.url;
  std::size_t from = 0;
  for (;;) {
    std::size_t next = std::string_view::npos;
    std::uint8_t slot = 0;
    for (std::uint8_t i = 0; i < kMarkers.size(); ++i) {
      auto at = url.find(kMarkers[i], from);
      if (at < next) next = at, slot = i;
    }
    if (next == std::string_view::npos) break;
    plan.pieces_.emplace_back(url.substr(from, next - from));
    plan.slots_.push_back(slot);
    from = next + kMarkers[slot].size();
  }
  plan.pieces_.emplace_back(url.substr(from));
  for (const auto& p : plan.pieces_) plan.literal_size_ += p.size();
  plan.spec_.url.clear();
  plan.spec_.log_url.clear();

  // A marker found where no placeholder put it would misplace a tile's numbers: check one tile
  // against the full plan, and plan every tile in full if they differ.
  const TileId probe{1, 23, 456};
  for (std::size_t i = 0; i < kSlotNames.size(); ++i)
    values[std::string(kSlotNames[i])] = std::to_string(coordinate(probe, static_cast<std::uint8_t>(i)));
  auto full = plan_request(source, resource, values);
  if (!full) return full.error();
  if (plan.url(probe) != full->url) {
    plan.source_ = &source;
    plan.resource_ = &resource;
    plan.values_ = std::move(values);
  }
  return plan;
}

std::string TileRequestPlan::url(const TileId& t) const {
  if (source_ != nullptr) {
    Placeholders values = values_;
    for (std::size_t i = 0; i < kSlotNames.size(); ++i)
      values[std::string(kSlotNames[i])] = std::to_string(coordinate(t, static_cast<std::uint8_t>(i)));
    auto full = plan_request(*source_, *resource_, values);
    return full ? std::move(full->url) : std::string();  // cannot fail: make() planned these values
  }
  std::string out;
  out.reserve(literal_size_ + slots_.size() * 10);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    out += pieces_[i];
    append_number(out, coordinate(t, slots_[i]));
  }
  out += pieces_.back();
  return out;
}

}  // namespace cartopull::carto
