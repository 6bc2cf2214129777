#include "carto/request_spec.hpp"

#include <cctype>

#include "core/redact.hpp"

namespace cartopull::carto {
namespace {

using config::ApiShape;
using config::ResourceKind;

bool unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string percent_encode(std::string_view in, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (unreserved(c) || keep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace

result<std::string> expand_path(std::string_view pattern, const Placeholders& values) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out.push_back(pattern[i]);
      continue;
    }
    auto close = pattern.find('}', i);
    if (close == std::string_view::npos)
      return Error(errc::config_invalid, "unclosed '{' in path '" + std::string(pattern) + "'");
    auto name = std::string(pattern.substr(i + 1, close - i - 1));
    auto it = values.find(name);
    if (it == values.end()) {
      return Error(errc::config_invalid,
                   "path '" + std::string(pattern) + "' uses {" + name + "}, which nothing provides");
    }
    out += percent_encode(it->second, ":,@");
    i = close;
  }
  return out;
}

std::string endpoint_group(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::tiles: return "tile";
    case ResourceKind::static_image:
    case ResourceKind::static_center:
    case ResourceKind::static_bbox: return "static";
    case ResourceKind::static_named: return "static_named";
    case ResourceKind::named_map: return "named";
    case ResourceKind::named_templates: return "named_list";
    case ResourceKind::named_template: return "named_get";
    case ResourceKind::named_tiles: return "named_tiles";
    case ResourceKind::map:
    case ResourceKind::layergroup:
    case ResourceKind::metadata:
    case ResourceKind::anonymous_map: return "anonymous";
  }
  return "anonymous";
}

std::string default_path(ApiShape shape, const config::ResourceConfig& r) {
  switch (r.kind) {
    case ResourceKind::map: return "map";
    case ResourceKind::layergroup: return "layergroup";
    case ResourceKind::metadata: return "metadata";
    case ResourceKind::static_image: return "static/{format}";
    case ResourceKind::tiles:
      if (shape == ApiShape::seed) return "tiles/{z}/{x}/{y}.{format}";
      // §2 rows 4-6: the layer filter segment is optional; {scale_suffix} is "" or "@2x".
      return r.tiles.layer.empty() ? "map/{layergroupid}/{z}/{x}/{y}{scale_suffix}.{format}"
                                   : "map/{layergroupid}/{layer}/{z}/{x}/{y}{scale_suffix}.{format}";
    case ResourceKind::anonymous_map: return "map";
    case ResourceKind::named_map:
    case ResourceKind::named_template: return "map/named/{template_id}";
    case ResourceKind::named_templates: return "map/named";
    case ResourceKind::named_tiles:
      return "map/named/{template_id}/{layer}/{z}/{x}/{y}{scale_suffix}.{format}";
    case ResourceKind::static_center:
      return "map/static/center/{layergroupid}/{zoom}/{lat}/{lng}/{width}/{height}.{format}";
    case ResourceKind::static_bbox:
      return "map/static/bbox/{layergroupid}/{west},{south},{east},{north}/{width}/{height}.{format}";
    case ResourceKind::static_named: return "map/static/named/{template_id}/{width}/{height}.{format}";
  }
  return "";
}

result<RequestSpec> plan_request(const config::SourceConfig& source, const config::ResourceConfig& r,
                                 const Placeholders& given) {
  Placeholders values = given;
  auto set_default = [&](const std::string& k, const std::string& v) { values.emplace(k, v); };
  if (!r.template_id.empty()) set_default("template_id", r.template_id);
  set_default("scale_suffix", r.tiles.scale == 2 ? "@2x" : "");
  set_default("layer", r.tiles.layer.empty() ? "all" : r.tiles.layer);
  const auto& s = r.static_image;
  set_default("width", std::to_string(s.width));
  set_default("height", std::to_string(s.height));
  if (r.kind == ResourceKind::static_image || r.kind == ResourceKind::static_center ||
      r.kind == ResourceKind::static_bbox || r.kind == ResourceKind::static_named) {
    set_default("format", s.format);
  }
  auto num = [](double v) {
    std::string t = std::to_string(v);
    while (!t.empty() && t.back() == '0') t.pop_back();
    if (!t.empty() && t.back() == '.') t.pop_back();
    return t;
  };
  if (s.lat) set_default("lat", num(*s.lat));
  if (s.lng) set_default("lng", num(*s.lng));
  if (s.zoom) set_default("zoom", std::to_string(*s.zoom));
  if (s.bbox) {
    set_default("west", num(s.bbox->west));
    set_default("south", num(s.bbox->south));
    set_default("east", num(s.bbox->east));
    set_default("north", num(s.bbox->north));
  }

  RequestSpec spec;
  spec.group = endpoint_group(r.kind);
  const std::string path_template = r.path.empty() ? default_path(source.shape, r) : r.path;
  auto path = expand_path(path_template, values);
  if (!path) return path.error();

  std::vector<std::pair<std::string, std::string>> query;
  // A path may already carry a query string ("map?x=1"); params are appended after it.
  std::string target = *path;
  for (const auto& [k, v] : r.params) {
    auto value = expand_path(v, values);
    if (!value) return value.error();
    query.emplace_back(k, *value);
  }
  bool post =
      r.method == "POST" ||
      (r.method.empty() && (r.kind == ResourceKind::anonymous_map || r.kind == ResourceKind::named_map));
  spec.method = post ? "POST" : "GET";
  if (r.kind == ResourceKind::anonymous_map) {
    if (post) {
      spec.body = r.map_config;
      spec.content_type = "application/json";  // §2: anything else is a 400
    } else {
      query.emplace_back("config", r.map_config);
    }
  } else if (r.kind == ResourceKind::named_map && post) {
    spec.body = r.template_params.empty() ? "{}" : r.template_params;
    spec.content_type = "application/json";
  }
  // The seed shape's static/{format} takes the size as ?width=&height=; without them the server picks
  // its own and the stored image row would claim a size the image does not have (the fault soak saw it).
  if (r.kind == ResourceKind::static_image && path_template.find("{width}") == std::string::npos &&
      !r.params.contains("width") && !r.params.contains("height")) {
    query.emplace_back("width", values["width"]);
    query.emplace_back("height", values["height"]);
  }
  if (r.kind == ResourceKind::static_named) {
    if (s.zoom && s.lat && s.lng) {
      query.emplace_back("zoom", values["zoom"]);
      query.emplace_back("lat", values["lat"]);
      query.emplace_back("lon", values["lng"]);
    } else if (s.bbox) {
      query.emplace_back(
          "bbox", values["west"] + "," + values["south"] + "," + values["east"] + "," + values["north"]);
    }
  }
  if (!r.auth_token.empty()) query.emplace_back("auth_token", std::string(r.auth_token.reveal()));
  for (const auto& [k, v] : query) {
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += percent_encode(k, "") + "=" + percent_encode(v, ":,");
  }
  spec.url = source.base_url + target;
  spec.log_url = redact(spec.url);
  return spec;
}

}  // namespace cartopull::carto
