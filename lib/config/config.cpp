#include "config/config.hpp"

namespace cartopull::config {

std::map<std::string, RateLimit> default_rate_limits() {
  // CARTO's published Free plan, requests/second with burst equal to the rate (§6); the two-tier
  // tile limit is represented by its per-second tier.
  return {
      {"anonymous", {2, 2}}, {"static", {1, 1}},     {"static_named", {1, 1}},
      {"tile", {20, 20}},    {"attributes", {2, 2}}, {"named_list", {1, 1}},
      {"named_get", {2, 2}}, {"named", {2, 2}},      {"named_tiles", {10, 10}},
  };
}

const JobConfig* Config::find_job(std::string_view name) const {
  for (const auto& job : jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

const char* to_string(ResourceKind kind) noexcept {
  switch (kind) {
    case ResourceKind::map: return "map";
    case ResourceKind::layergroup: return "layergroup";
    case ResourceKind::static_image: return "static";
    case ResourceKind::tiles: return "tiles";
    case ResourceKind::metadata: return "metadata";
    case ResourceKind::anonymous_map: return "anonymous_map";
    case ResourceKind::named_map: return "named_map";
    case ResourceKind::named_templates: return "named_templates";
    case ResourceKind::named_template: return "named_template";
    case ResourceKind::named_tiles: return "named_tiles";
    case ResourceKind::static_center: return "static_center";
    case ResourceKind::static_bbox: return "static_bbox";
    case ResourceKind::static_named: return "static_named";
  }
  return "?";
}

const char* to_string(ApiShape shape) noexcept {
  return shape == ApiShape::seed ? "seed" : "v1";
}

}  // namespace cartopull::config
