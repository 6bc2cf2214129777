#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/fake_carto/api_error.hpp"

namespace cartopull::fake {

// One layer of a validated MapConfig (carto-maps-api.md section 3.1).
struct MapLayer {
  std::string id;    // custom id, else layer{i} (mapnik) or {type}-layer{i}
  std::string type;  // mapnik (cartodb is normalised to mapnik), torque, http, plain, named
  bool has_cartocss = false;
  std::string interactivity;  // comma list, empty when none
};

// A validated anonymous MapConfig with its canonical JSON (the md5 input).
struct MapConfig {
  boost::json::value json;
  std::vector<MapLayer> layers;
  std::string version = "1.0.0";
};

// Validates a MapConfig with Windshaft's messages: missing layers, options, sql, cartocss_version,
// unsupported version (>=1.0.0 <=1.8.0). Pure.
std::optional<ApiError> parse_map_config(const boost::json::value& json, MapConfig& out);

// Parses JSON text then validates; a syntax error is a 400 like Express's SyntaxError.
std::optional<ApiError> parse_map_config_text(std::string_view text, MapConfig& out);

// The layers selected by a tile's layer filter (section 2.1: aliases all|mapnik|torque|http|plain,
// an index, a comma list of indexes, or layer ids). Returns indexes ascending.
std::optional<ApiError> select_layers(const MapConfig& config, std::string_view filter,
                                      std::vector<std::size_t>& out);

}  // namespace cartopull::fake
