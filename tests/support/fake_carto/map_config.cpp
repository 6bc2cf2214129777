#include "support/fake_carto/map_config.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>

namespace cartopull::fake {
namespace {

ApiError bad(std::string message) {
  return ApiError{400, std::move(message)};
}

// semver "a.b.c" compared as a triple; anything else is unsupported.
bool supported_version(std::string_view v) {
  int parts[3] = {0, 0, 0};
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    auto dot = v.find('.', pos);
    auto piece = v.substr(pos, i < 2 ? dot - pos : std::string_view::npos);
    if (piece.empty() || (i < 2 && dot == std::string_view::npos)) return false;
    auto [p, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), parts[i]);
    if (ec != std::errc() || p != piece.data() + piece.size()) return false;
    pos = dot + 1;
  }
  const int n = parts[0] * 1'000'000 + parts[1] * 1000 + parts[2];
  return n >= 1'000'000 && n <= 1'008'000;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<ApiError> parse_map_config(const boost::json::value& json, MapConfig& out) {
  if (!json.is_object()) return bad("Missing layers array from layergroup config");
  const auto& root = json.get_object();
  out = MapConfig{};
  out.json = json;
  if (auto* v = root.if_contains("version")) {
    if (!v->is_string() || !supported_version(v->get_string())) {
      return bad("Unsupported layergroup configuration version " +
                 (v->is_string() ? std::string(v->get_string()) : boost::json::serialize(*v)));
    }
    out.version = std::string(v->get_string());
  }
  const auto* layers = root.if_contains("layers");
  if (!layers || !layers->is_array()) return bad("Missing layers array from layergroup config");
  std::map<std::string, int> per_type;
  std::size_t i = 0;
  for (const auto& lv : layers->get_array()) {
    const auto n = std::to_string(i);
    if (!lv.is_object()) return bad("Missing options from layer " + n + " of layergroup config");
    const auto& layer = lv.get_object();
    MapLayer info;
    info.type = "mapnik";
    if (auto* t = layer.if_contains("type"); t && t->is_string()) info.type = std::string(t->get_string());
    if (info.type == "cartodb") info.type = "mapnik";
    if (info.type != "mapnik" && info.type != "torque" && info.type != "http" && info.type != "plain" &&
        info.type != "named") {
      return bad("Invalid type for layer " + n + ": " + info.type);  // (inferred message)
    }
    const auto* options = layer.if_contains("options");
    if (!options || !options->is_object())
      return bad("Missing options from layer " + n + " of layergroup config");
    const auto& opt = options->get_object();
    if (info.type == "mapnik" || info.type == "torque") {
      auto* sql = opt.if_contains("sql");
      if (!sql || !sql->is_string()) return bad("Missing sql for layer " + n + " options");
      if (auto* css = opt.if_contains("cartocss"); css && css->is_string()) {
        info.has_cartocss = true;
        if (!opt.if_contains("cartocss_version"))
          return bad("Missing cartocss_version for layer " + n + " options");
      }
    }
    if (auto* inter = opt.if_contains("interactivity")) {
      if (inter->is_string()) {
        info.interactivity = std::string(inter->get_string());
      } else if (inter->is_array()) {
        for (const auto& c : inter->get_array()) {
          if (!c.is_string()) continue;
          if (!info.interactivity.empty()) info.interactivity += ",";
          info.interactivity += std::string(c.get_string());
        }
      }
    }
    const int index_of_type = per_type[info.type]++;
    if (auto* id = layer.if_contains("id"); id && id->is_string()) {
      info.id = std::string(id->get_string());
    } else {
      info.id = (info.type == "mapnik" ? "layer" : info.type + "-layer") + std::to_string(index_of_type);
    }
    out.layers.push_back(std::move(info));
    ++i;
  }
  return std::nullopt;
}

std::optional<ApiError> parse_map_config_text(std::string_view text, MapConfig& out) {
  boost::system::error_code ec;
  auto json = boost::json::parse(text, ec);
  if (ec) return bad("Unexpected token in JSON: " + ec.message());
  return parse_map_config(json, out);
}

std::optional<ApiError> select_layers(const MapConfig& config, std::string_view filter,
                                      std::vector<std::size_t>& out) {
  out.clear();
  const auto& layers = config.layers;
  if (filter == "all") {
    for (std::size_t i = 0; i < layers.size(); ++i) out.push_back(i);
    return std::nullopt;
  }
  if (filter == "mapnik" || filter == "torque" || filter == "http" || filter == "plain") {
    for (std::size_t i = 0; i < layers.size(); ++i)
      if (layers[i].type == filter) out.push_back(i);
    return std::nullopt;
  }
  const bool list = filter.find(',') != std::string_view::npos;
  std::size_t pos = 0;
  while (pos <= filter.size()) {
    auto comma = filter.find(',', pos);
    auto item = filter.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    std::optional<std::size_t> found;
    if (all_digits(item)) {
      std::size_t idx = 0;
      std::from_chars(item.data(), item.data() + item.size(), idx);
      if (idx < layers.size()) found = idx;
    } else {
      for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].id == item) found = i;
    }
    if (!found) {
      // Section 2.1: a bad index in a list is "Invalid layer filtering"; a single unknown layer is named.
      if (list) return bad("Invalid layer filtering");
      return bad("Layer '" + std::string(item) + "' not found in layergroup");
    }
    out.push_back(*found);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return std::nullopt;
}

}  // namespace cartopull::fake
