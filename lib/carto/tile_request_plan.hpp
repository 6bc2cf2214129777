#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "carto/request_spec.hpp"
#include "carto/tile.hpp"
#include "config/config.hpp"
#include "core/result.hpp"

namespace cartopull::carto {

// The request of every tile of one pyramid, planned once: plan_request's URL with the tile's {z}, {x}
// and {y} left as slots, so that a tile costs a few appends instead of a whole plan (a copy of the
// placeholders, percent-encoding every value and redacting the URL; ~6 % of a tile's event-loop CPU,
// docs/bench.md). Immutable; plan again when the placeholders change (a renewed layergroup token).
class TileRequestPlan {
 public:
  // `values` holds every placeholder but z, x and y (set here, overriding any given). Fails as
  // plan_request does. `source` and `resource` must outlive the plan.
  static result<TileRequestPlan> make(const config::SourceConfig& source,
                                      const config::ResourceConfig& resource, Placeholders values);

  // Always equal to plan_request(source, resource, values + {z, x, y}).url.
  std::string url(const TileId& t) const;
  // Method, body, content type and endpoint group: the same for every tile (url and log_url empty).
  const RequestSpec& request() const { return spec_; }

 private:
  TileRequestPlan() = default;

  RequestSpec spec_;
  // The URL as literal pieces around slots: pieces_[0] slot_[0] pieces_[1] ... pieces_.back().
  std::vector<std::string> pieces_;
  std::vector<std::uint8_t> slots_;  // 0: z, 1: x, 2: y
  std::size_t literal_size_ = 0;
  // Set when the slots could not be located exactly (a value holding the marker text): every url()
  // is then planned in full, from these.
  const config::SourceConfig* source_ = nullptr;
  const config::ResourceConfig* resource_ = nullptr;
  Placeholders values_;
};

}  // namespace cartopull::carto
