#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "support/fake_carto/api_error.hpp"
#include "support/fake_carto/fake_options.hpp"
#include "support/fake_carto/fault_plan.hpp"
#include "support/fake_carto/gcra_limiter.hpp"
#include "support/fake_carto/map_config.hpp"
#include "support/fake_carto/named_template.hpp"
#include "support/fake_carto/request_log.hpp"
#include "support/fake_carto/tile_content.hpp"

namespace cartopull::fake {

using Headers = std::vector<std::pair<std::string, std::string>>;

// A parsed HTTP request, independent of Beast so the API is plain code.
struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // origin-form, e.g. "/api/v1/map?config=..."
  Headers headers;     // names as received
  std::string body;

  std::string_view header(std::string_view name) const;  // case-insensitive, "" when absent
};

// The response the API wants to send, before any injected misbehaviour.
struct ApiResponse {
  int status = 200;
  Headers headers;  // Content-Type included; Content-Length is the server's job
  std::shared_ptr<const std::string> body;
  std::string route = "not_found";  // bounded set of route names (see fake-carto --help)
  std::string group;                // rate-limit endpoint group, empty when none
  bool is_json = false;
  bool is_control = false;  // a /_fake/ request: never logged, limited or faulted
};

// The CARTO Maps API itself: routing, auth, MapConfig validation, tokens with a sliding TTL, named
// maps, tiles, static images, rate limiting and the /_fake/ control endpoint. Single-threaded: the
// server calls it from its one event-loop thread; time comes in as arguments.
class CartoApi {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  explicit CartoApi(Options options);

  // scheme_host is "http://127.0.0.1:PORT" (used in tile URLs of instantiation metadata).
  ApiResponse handle(const ApiRequest& request, SteadyTime now, WallTime wall);

  // A new data version for a map key (layergroup md5 or template name; "" bumps every known map):
  // new cache buster (>= previous + 1 s), new last_updated, about a third of its tiles change.
  // Returns the new cache buster, or -1 for an unknown key.
  std::int64_t bump(std::string_view map_key, WallTime wall);
  void expire_tokens();
  void set_faults(FaultSet faults) { faults_ = std::move(faults); }
  FaultSet& faults() { return faults_; }
  RequestLog& log() { return log_; }
  std::uint64_t next_sequence() { return sequence_++; }

  // Recomputes the exact body served for a tile of a live layergroup token (md5 or full token) or
  // of a template's default instance (map_key = template name). Empty optional when unknown.
  std::optional<std::string> expected_tile(std::string_view token_or_template, std::string_view layer,
                                           std::uint32_t z, std::int64_t x, std::uint64_t y,
                                           TileFormat format, std::uint32_t scale = 1);
  // The cache-buster history of a map key (oldest first); empty when unknown.
  std::vector<std::int64_t> cache_busters(std::string_view map_key) const;
  void set_scheme(std::string scheme) { scheme_ = std::move(scheme); }
  const Options& options() const { return options_; }

 private:
  struct Layergroup {
    MapConfig config;
    std::string user;
    std::string template_name;             // empty: anonymous
    std::string data_key;                  // whose cache-buster history this map shows
    std::vector<std::string> auth_tokens;  // token-protected templates only
    SteadyTime last_used;
  };
  using Template = NamedTemplate;
  struct Context;

  ApiResponse route(Context& ctx);
  ApiResponse route_seed(Context& ctx, std::string_view rest);
  ApiResponse route_v1(Context& ctx, std::string_view rest);
  ApiResponse route_control(Context& ctx, std::string_view rest);

  ApiResponse instantiate_anonymous(Context& ctx, std::string_view text);
  ApiResponse instantiation_response(Context& ctx, const std::string& md5, bool get);
  ApiResponse named_admin(Context& ctx, const std::vector<std::string_view>& segs);
  ApiResponse named_instantiate(Context& ctx, std::string_view name, std::string_view params_text);
  ApiResponse tile(Context& ctx, std::string_view token, std::string_view layer, std::string_view z,
                   std::string_view x, std::string_view y_scale_format);
  ApiResponse tile_of(Context& ctx, const std::string& md5, std::string_view layer, std::string_view z,
                      std::string_view x, std::string_view y_scale_format, std::int64_t path_cache_buster);
  ApiResponse static_image(Context& ctx, const std::string& md5, std::string_view view_key,
                           std::string_view w, std::string_view h_format, std::int64_t path_cache_buster);

  std::optional<ApiError> authenticate(Context& ctx, bool need_master, std::string_view action);
  std::optional<ApiError> instantiate_template(Context& ctx, const Template& tpl,
                                               std::string_view params_text, std::string& md5_out);
  std::string store_layergroup(MapConfig config, const std::string& user, const std::string& template_name,
                               std::vector<std::string> tokens, SteadyTime now);
  Layergroup* find_layergroup(const std::string& md5, SteadyTime now);
  std::vector<std::int64_t>& history(const std::string& data_key);
  std::string layergroup_id(const Layergroup& lg, const std::string& md5);
  std::shared_ptr<const std::string> cached(const std::string& key,
                                            const std::function<std::string()>& render);
  void rate_limit(Context& ctx, const std::string& group);  // fills ctx.rate

  Options options_;
  std::string seed_key_;
  std::string scheme_ = "http";
  std::map<std::string, Template> templates_;
  std::map<std::string, std::vector<GcraTier>> limits_;
  std::map<std::string, GcraLimiter> limiters_;              // by user + "|" + group
  std::unordered_map<std::string, Layergroup> layergroups_;  // by md5
  std::map<std::string, std::vector<std::int64_t>> histories_;
  MapConfig seed_config_;
  std::string seed_md5_;  // parsed once: the seed routes are on benchmark hot paths
  std::unordered_map<std::string, std::shared_ptr<const std::string>> body_cache_;
  std::size_t body_cache_bytes_ = 0;
  FaultSet faults_;
  RequestLog log_;
  std::uint64_t sequence_ = 0;
};

// md5 as 32 lowercase hex digits (OpenSSL EVP).
std::string md5_hex(std::string_view bytes);

}  // namespace cartopull::fake
