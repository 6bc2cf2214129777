#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cartopull::carto {

// A layergroup token as the Maps API returns it: "{md5-of-config}:{cacheBuster}", where the cache
// buster is the data's last update in epoch milliseconds (carto-maps-api.md §3.2, §7). A token with
// no ':' is a bare id (the seed shape, or a server that omits the buster).
struct LayergroupToken {
  std::string id;            // the part before ':'
  std::string cache_buster;  // the part after ':', possibly empty
  std::string text;          // the whole token as sent back in tile URLs

  // The cache buster as epoch milliseconds when it is a positive number.
  std::optional<std::int64_t> data_version_ms() const;
  static LayergroupToken parse(std::string_view token);
};

// What an instantiation response (anonymous or named) says that extraction needs.
struct Layergroup {
  LayergroupToken token;
  std::string last_updated;              // ISO-8601 as sent, may be empty
  std::vector<std::string> layer_ids;    // metadata.layers[].id, in order (empty ids kept as "")
  std::vector<std::string> layer_types;  // metadata.layers[].type (mapnik, torque, http, plain...)
  std::string json_redacted;             // the whole response with api_key and tokens masked in URLs
};

// Parses an instantiation response body; `token_pointer` is the JSON Pointer of the token
// ("/layergroupid" by default). A JSONP wrapper or an {"errors": [...]} body is an error.
result<Layergroup> parse_layergroup(std::string_view body, std::string_view token_pointer = "/layergroupid");

// True for the body CARTO sends for an expired or unknown token (400 "Invalid or nonexistent map
// configuration token", §7).
bool is_expired_token_error(int status, std::string_view body);

// The "errors" strings of a Maps API error body, joined with "; " (empty when there are none).
std::string error_messages(std::string_view body);

}  // namespace cartopull::carto
