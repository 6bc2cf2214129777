#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"

namespace cartopull::carto {

// One HTTP request to make, planned purely from config and placeholders; the HTTP engine sends it.
struct RequestSpec {
  std::string method = "GET";
  std::string url;      // absolute, with credentials when auth is "query": never log it
  std::string log_url;  // the same with every credential masked: for logs, errors and storage
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization for basic auth
  std::string body;
  std::string content_type;
  std::string group;  // CARTO rate-limit endpoint group (config::default_rate_limits keys)
};

// Values for {placeholders} in paths and params: layergroupid, template_id, z, x, y, format, layer,
// scale_suffix ("" or "@2x"), width, height, lat, lng, zoom, west, south, east, north, and whatever
// a parent resource adds.
using Placeholders = std::map<std::string, std::string>;

// Expands {name} placeholders; an unknown name is an error naming it. Values are percent-encoded
// for a path segment (':' and ',' stay, as CARTO's tokens and bboxes use them).
result<std::string> expand_path(std::string_view pattern, const Placeholders& values);

// The default path template of a resource kind for a source's API shape (carto-maps-api.md §2, §9).
std::string default_path(config::ApiShape shape, const config::ResourceConfig& resource);

// The rate-limit endpoint group of a resource kind (§6).
std::string endpoint_group(config::ResourceKind kind);

// Plans the request of one resource item: path, query (params, auth_token), method and body.
result<RequestSpec> plan_request(const config::SourceConfig& source, const config::ResourceConfig& resource,
                                 const Placeholders& values);

}  // namespace cartopull::carto
