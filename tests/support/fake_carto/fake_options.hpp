#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "support/fake_carto/fault_plan.hpp"
#include "support/fake_carto/gcra_limiter.hpp"

namespace cartopull::fake {

// Rate-limit tiers per endpoint group (anonymous, static, static_named, tile, named, named_list,
// named_get, named_create, named_update, named_delete, named_tiles, metadata). Plans free,
// individual and enterprise carry the published limits of carto-maps-api.md section 6; "unlimited"
// (the default) allows 10^9 requests per second per group.
std::map<std::string, std::vector<GcraTier>> plan_rate_limits(std::string_view plan);

// Parses "BURST:COUNT/PERIOD_MS[+BURST:COUNT/PERIOD_MS]", e.g. "120:120/1000+750:1500/60000".
bool parse_rate_tiers(std::string_view text, std::vector<GcraTier>& out);

// Everything the fake can be told at start. Every default is what `fake-carto --help` prints.
struct Options {
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;          // 0: an ephemeral port, reported by Server::port()
  std::string seed_base = "/v1/";  // seed (dltHub) shape mount point, with both slashes
  std::string user = "demo";       // the account; /api/v1 without /user/{u} resolves to it
  std::string master_key = "master-key";
  std::vector<std::string> regular_keys = {"regular-key"};
  std::string seed_api_key;                      // the seed shape's api_key; empty: master_key
  std::chrono::milliseconds token_ttl{300'000};  // sliding idle TTL of layergroup tokens (Windshaft 300 s)
  std::string plan = "unlimited";
  std::map<std::string, std::vector<GcraTier>> rate_limits;  // overrides of the plan, per group
  std::int64_t initial_cache_buster = 1'700'000'000'000;     // epoch ms of every map's first data version
  std::vector<boost::json::value> templates;                 // named map templates; empty: built-ins
  FaultSet faults;
  bool tls = false;                    // HTTPS with a CA + server certificate generated at start
  std::string ca_pem_path;             // when set (and tls), the CA certificate is written there
  std::size_t log_capacity = 100'000;  // requests kept in the log; counters are unbounded
  std::uint64_t max_request_body_bytes = 1ULL << 20;  // larger requests get 413
  std::chrono::milliseconds idle_timeout{30'000};     // keep-alive connection idle limit
  std::size_t tile_cache_bytes = 256ULL << 20;        // rendered bodies kept in memory
};

// Built-in named templates: "demo_open" (auth open) and "demo_private" (auth token, valid token
// "demo-token"), both with a mapnik layer with interactivity and a placeholder "color".
std::vector<boost::json::value> default_templates();

// The MapConfig behind the seed shape (/v1/layergroup, /v1/tiles/...).
boost::json::value seed_map_config();

}  // namespace cartopull::fake
