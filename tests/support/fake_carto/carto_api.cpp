#include "support/fake_carto/carto_api.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>

#include "core/redact.hpp"
#include "support/fake_carto/http_date.hpp"

namespace cartopull::fake {
namespace {

constexpr std::string_view kJson = "application/json; charset=utf-8";
constexpr std::string_view kCorsHeaders =
    "X-Requested-With, X-Prototype-Version, X-CSRF-Token, Authorization, Carto-Event, Carto-Event-Source, "
    "Carto-Event-Group-Id";
constexpr std::string_view kInvalidToken = "Invalid or nonexistent map configuration token '";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) break;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

ApiResponse make_response(int status, std::string_view content_type, std::string body) {
  ApiResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(content_type));
  r.body = std::make_shared<const std::string>(std::move(body));
  r.is_json = content_type.starts_with("application/json");
  return r;
}

ApiResponse json_response(int status, const boost::json::value& v) {
  return make_response(status, kJson, boost::json::serialize(v));
}

ApiResponse error_response(const ApiError& e) {
  return make_response(e.status, kJson, e.body());
}

ApiError unauthorized() {
  return ApiError{401, "Unauthorized", "auth", "api-key-not-found"};
}

ApiError rate_limit_error() {
  // Section 6: the 429 body of the rate limiter.
  return ApiError{429,
                  "You are over platform's limits: too many requests. Please contact us to know more details",
                  "limit", "rate-limit"};
}

// "x" wraps modulo 2^z, including values beyond int64 (section 2.1, base-adaptor.js).
std::uint64_t wrap_x(std::string_view x, std::uint32_t z) {
  const std::uint64_t n = 1ULL << z;
  bool negative = !x.empty() && x[0] == '-';
  if (negative) x.remove_prefix(1);
  std::uint64_t r = 0;
  for (char c : x) r = (r * 10 + static_cast<std::uint64_t>(c - '0')) % n;
  return negative ? (n - r) % n : r;
}

}  // namespace

std::string md5_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string_view ApiRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

struct CartoApi::Context {
  const ApiRequest& request;
  SteadyTime now;
  WallTime wall;
  std::string path;
  std::map<std::string, std::string> query;
  std::string user;
  std::string prefix;   // "" or "/user/{user}"
  std::string api_key;  // the credential sent, for URLs in metadata
  std::optional<RateDecision> rate;

  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
  bool has(const std::string& name) const { return query.count(name) != 0; }
};

CartoApi::CartoApi(Options options) : options_(std::move(options)), log_(options_.log_capacity) {
  seed_key_ = options_.seed_api_key.empty() ? options_.master_key : options_.seed_api_key;
  limits_ = plan_rate_limits(options_.plan);
  for (auto& [group, tiers] : options_.rate_limits) limits_[group] = tiers;
  faults_ = options_.faults;
  auto templates = options_.templates.empty() ? default_templates() : options_.templates;
  for (auto& json : templates) {
    Template t;
    if (!parse_named_template(json, t)) templates_[t.name] = std::move(t);  // bad ones are skipped
  }
  parse_map_config(seed_map_config(), seed_config_);
}

std::vector<std::int64_t>& CartoApi::history(const std::string& data_key) {
  auto& h = histories_[data_key];
  if (h.empty()) h.push_back(options_.initial_cache_buster);
  return h;
}

std::vector<std::int64_t> CartoApi::cache_busters(std::string_view map_key) const {
  auto it = histories_.find(std::string(map_key));
  return it == histories_.end() ? std::vector<std::int64_t>{} : it->second;
}

std::int64_t CartoApi::bump(std::string_view map_key, WallTime wall) {
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
  std::int64_t last = -1;
  for (auto& [key, h] : histories_) {
    if (!map_key.empty() && key != map_key) continue;
    // Last-Modified has one-second resolution, so each version is at least 1 s newer.
    h.push_back(std::max(now_ms, h.back() + 1000));
    last = h.back();
  }
  return last;
}

void CartoApi::expire_tokens() {
  layergroups_.clear();
}

std::string CartoApi::store_layergroup(MapConfig config, const std::string& user,
                                       const std::string& template_name, std::vector<std::string> tokens,
                                       SteadyTime now) {
  // Section 3.1: the id is the md5 of the config with the user injected; same config, same token.
  const std::string md5 = md5_hex(user + ":" + template_name + ":" + boost::json::serialize(config.json));
  auto& lg = layergroups_[md5];
  lg.config = std::move(config);
  lg.user = user;
  lg.template_name = template_name;
  lg.data_key = template_name.empty() ? md5 : template_name;
  lg.auth_tokens = std::move(tokens);
  lg.last_used = now;
  history(lg.data_key);
  return md5;
}

CartoApi::Layergroup* CartoApi::find_layergroup(const std::string& md5, SteadyTime now) {
  auto it = layergroups_.find(md5);
  if (it == layergroups_.end()) return nullptr;
  // Section 7: every load renews the EXPIRE, so the TTL is sliding from the last use.
  if (now - it->second.last_used > options_.token_ttl) {
    layergroups_.erase(it);
    return nullptr;
  }
  it->second.last_used = now;
  return &it->second;
}

std::string CartoApi::layergroup_id(const Layergroup& lg, const std::string& md5) {
  const auto cb = std::to_string(history(lg.data_key).back());
  if (lg.template_name.empty()) return md5 + ":" + cb;
  // Section 3.2: named tokens are {user}@{templateHash8}@{md5}:{cacheBuster}.
  const auto& tpl = templates_.at(lg.template_name);
  return lg.user + "@" + md5_hex(boost::json::serialize(tpl.json)).substr(0, 8) + "@" + md5 + ":" + cb;
}

std::shared_ptr<const std::string> CartoApi::cached(const std::string& key,
                                                    const std::function<std::string()>& render) {
  if (auto it = body_cache_.find(key); it != body_cache_.end()) return it->second;
  auto body = std::make_shared<const std::string>(render());
  if (body_cache_bytes_ + body->size() > options_.tile_cache_bytes) {
    body_cache_.clear();
    body_cache_bytes_ = 0;
  }
  body_cache_bytes_ += body->size() + key.size();
  body_cache_.emplace(key, body);
  return body;
}

std::optional<ApiError> CartoApi::authenticate(Context& ctx, bool need_master, std::string_view action) {
  // Section 4: Basic (password is the key), then api_key, then map_key; first found wins.
  std::string key;
  bool present = false;
  auto auth = ctx.request.header("Authorization");
  if (auth.size() > 6 && iequals(auth.substr(0, 6), "Basic ")) {
    auto decoded = base64_decode(auth.substr(6));
    auto colon = decoded.find(':');
    std::string user = colon == std::string::npos ? decoded : decoded.substr(0, colon);
    if (!user.empty() && user != ctx.user)
      return ApiError{403, "Forbidden", "auth", "api-key-username-mismatch"};
    key = colon == std::string::npos ? std::string() : decoded.substr(colon + 1);
    present = true;
  } else if (ctx.has("api_key")) {
    key = ctx.param("api_key");
    present = true;
  } else if (ctx.has("map_key")) {
    key = ctx.param("map_key");
    present = true;
  }
  const bool master = present && key == options_.master_key;
  const bool regular = present && std::find(options_.regular_keys.begin(), options_.regular_keys.end(),
                                            key) != options_.regular_keys.end();
  if (present && !master && !regular) return unauthorized();
  if (present) ctx.api_key = key;
  if (need_master) {
    if (!present)
      return ApiError{403, "Only authenticated users can " + std::string(action) + " templated maps", "auth",
                      ""};
    if (!master) return ApiError{403, "Forbidden", "auth", "api-key-does-not-grant-access"};
  }
  return std::nullopt;
}

void CartoApi::rate_limit(Context& ctx, const std::string& group) {
  auto it = limits_.find(group);
  if (group.empty() || it == limits_.end()) return;
  auto key = ctx.user + "|" + group;
  auto lim = limiters_.find(key);
  if (lim == limiters_.end()) lim = limiters_.emplace(key, GcraLimiter(it->second)).first;
  ctx.rate = lim->second.take(ctx.now);
}

ApiResponse CartoApi::handle(const ApiRequest& request, SteadyTime now, WallTime wall) {
  Context ctx{request, now, wall, {}, {}, options_.user, {}, {}, {}};
  ApiResponse r;
  auto parsed = boost::urls::parse_origin_form(request.target);
  if (!parsed) {
    r = error_response(ApiError{400, "Invalid request target"});
  } else {
    ctx.path = std::string(parsed->encoded_path());
    for (auto p : parsed->params()) ctx.query[p.key] = p.value;
    r = route(ctx);
  }
  if (r.is_control) return r;
  if (ctx.rate) {
    r.headers.emplace_back("Carto-Rate-Limit-Limit", std::to_string(ctx.rate->limit));
    r.headers.emplace_back("Carto-Rate-Limit-Remaining", std::to_string(ctx.rate->remaining));
    r.headers.emplace_back("Carto-Rate-Limit-Reset", std::to_string(ctx.rate->reset_seconds));
    if (!ctx.rate->allowed)
      r.headers.emplace_back("Retry-After", std::to_string(ctx.rate->retry_after_seconds));
  }
  // Section 7: CORS on every response, and 304 through Express req.fresh on a 2xx GET.
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Access-Control-Allow-Headers",
                         std::string(kCorsHeaders) + (request.method == "OPTIONS" ? ", Content-Type" : ""));
  r.headers.emplace_back("Vary", "Authorization");
  if (request.method == "GET" && r.status >= 200 && r.status < 300) {
    auto ims = parse_http_date(request.header("If-Modified-Since"));
    for (const auto& [k, v] : r.headers) {
      if (k != "Last-Modified" || !ims) continue;
      auto lm = parse_http_date(v);
      if (lm && *lm <= *ims) {
        r.status = 304;
        r.body = std::make_shared<const std::string>();
      }
    }
  }
  // JSONP: status 200 and the payload in the callback (section 5).
  if (request.method == "GET" && (r.route == "map_get" || r.route == "named_jsonp") && ctx.has("callback") &&
      r.body) {
    auto body = "/**/ typeof " + ctx.param("callback") + " === 'function' && " + ctx.param("callback") + "(" +
                *r.body + ");";
    r.status = 200;
    for (auto& [k, v] : r.headers)
      if (k == "Content-Type") v = "text/javascript; charset=utf-8";
    r.body = std::make_shared<const std::string>(std::move(body));
    r.is_json = false;
  }
  return r;
}

ApiResponse CartoApi::route(Context& ctx) {
  std::string_view path = ctx.path;
  if (path.starts_with("/_fake/") || path == "/_fake") {
    auto r = route_control(ctx, path.substr(std::min<std::size_t>(path.size(), 7)));
    r.is_control = true;
    r.route = "control";
    return r;
  }
  if (path.starts_with(options_.seed_base)) return route_seed(ctx, path.substr(options_.seed_base.size()));
  if (path.starts_with("/user/")) {
    auto rest = path.substr(6);
    auto slash = rest.find('/');
    ctx.user = std::string(rest.substr(0, slash));
    ctx.prefix = "/user/" + ctx.user;
    path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  } else {
    // Section 1: the user comes from the Host's first label when it names the account; loopback
    // hosts carry none, so the configured account is used.
    auto host = ctx.request.header("Host");
    auto dot = host.find('.');
    if (dot != std::string_view::npos && host.substr(0, dot) == options_.user) ctx.user = options_.user;
  }
  if (path == "/api/v1/map" || path.starts_with("/api/v1/map/")) {
    if (ctx.user != options_.user) {
      // Section 4: Redis "name not found" errors map to 404.
      auto r = error_response(ApiError{404, "DB host or name not found in redis"});
      r.route = "unknown_user";
      return r;
    }
    return route_v1(ctx, path.substr(11));
  }
  if (path == "/health" && ctx.prefix.empty()) {
    auto r = json_response(200, boost::json::object{{"enabled", false}, {"ok", true}});
    r.route = "health";
    return r;
  }
  if (path == "/" && ctx.prefix.empty()) {
    auto r = make_response(200, "text/plain; charset=utf-8",
                           "This is the CartoDB Maps API, see the documentation at http://docs.cartodb.com/"
                           "cartodb-platform/maps-api.html");
    r.route = "root";
    return r;
  }
  auto r = make_response(404, "text/html; charset=utf-8", "Cannot " + ctx.request.method + " " + ctx.path);
  r.route = "not_found";
  return r;
}

// ---- Seed (dltHub) shape, carto-maps-api.md section 9 -------------------------------------------

ApiResponse CartoApi::route_seed(Context& ctx, std::string_view rest) {
  ApiResponse r;
  std::string route = "seed_other", group;
  if (rest == "map")
    route = "seed_map", group = "anonymous";
  else if (rest == "layergroup")
    route = "seed_layergroup", group = "anonymous";
  else if (rest.starts_with("static/"))
    route = "seed_static", group = "static";
  else if (rest.starts_with("tiles/"))
    route = "seed_tile", group = "tile";
  else if (rest == "metadata")
    route = "seed_metadata", group = "metadata";
  auto finish = [&](ApiResponse resp) {
    resp.route = route;
    resp.group = group;
    return resp;
  };
  if (ctx.request.method != "GET" || route == "seed_other") {
    return finish(error_response(ApiError{404, "Not found"}));
  }
  rate_limit(ctx, group);
  if (ctx.rate && !ctx.rate->allowed) return finish(error_response(rate_limit_error()));
  // The seed says: api_key query parameter, no special headers; a wrong or missing key is 401.
  if (ctx.param("api_key") != seed_key_) return finish(error_response(unauthorized()));
  ctx.api_key = seed_key_;
  const auto& config = seed_config_;
  if (seed_md5_.empty() || !find_layergroup(seed_md5_, ctx.now))
    seed_md5_ = store_layergroup(config, options_.user, "", {}, ctx.now);
  const std::string md5 = seed_md5_;
  const auto cb = history(md5).back();
  if (route == "seed_map") {
    return finish(json_response(200, boost::json::object{{"id", md5},
                                                         {"name", "seed_map"},
                                                         {"user", options_.user},
                                                         {"config", config.json},
                                                         {"updated_at", format_iso8601(cb)}}));
  }
  if (route == "seed_layergroup") return finish(instantiation_response(ctx, md5, true));
  if (route == "seed_metadata") {
    boost::json::object limits;
    for (const auto& [g, tiers] : limits_) {
      boost::json::array arr;
      for (const auto& t : tiers)
        arr.push_back(
            boost::json::object{{"burst", t.burst}, {"count", t.count}, {"period_ms", t.period.count()}});
      limits[g] = arr;
    }
    return finish(
        json_response(200, boost::json::object{{"user", options_.user},
                                               {"plan", options_.plan},
                                               {"limits", limits},
                                               {"quota", boost::json::object{{"max_layers", 10},
                                                                             {"named_maps", 4096},
                                                                             {"static_max_width", 4000},
                                                                             {"static_max_height", 4000}}}}));
  }
  if (route == "seed_static") {
    auto fmt = rest.substr(7);
    auto w = ctx.has("width") ? ctx.param("width") : std::string("600");
    auto h = ctx.has("height") ? ctx.param("height") : std::string("400");
    return finish(static_image(ctx, md5, "seed", w, h + "." + std::string(fmt), cb));
  }
  // tiles/{z}/{x}/{y}.{format}
  auto parts = split(rest.substr(6), '/');
  if (parts.size() != 3) return finish(error_response(ApiError{404, "Not found"}));
  return finish(tile_of(ctx, md5, "mapnik", parts[0], parts[1], parts[2], cb));
}

// ---- Real v1 shape -------------------------------------------------------------------------------

ApiResponse CartoApi::route_v1(Context& ctx, std::string_view rest) {
  const auto& method = ctx.request.method;
  auto segs = rest.empty() ? std::vector<std::string_view>{} : split(rest.substr(1), '/');
  auto finish = [](ApiResponse r, std::string route, std::string group) {
    r.route = std::move(route);
    r.group = std::move(group);
    return r;
  };
  auto limited = [&](const std::string& group, bool mvt = false) -> std::optional<ApiResponse> {
    rate_limit(ctx, group);
    if (!ctx.rate || ctx.rate->allowed) return std::nullopt;
    // Section 5: an .mvt request that is rate limited gets a fallback (empty) MVT, not JSON.
    if (mvt) return make_response(429, "application/x-protobuf", "");
    return error_response(rate_limit_error());
  };
  const bool is_named = !segs.empty() && segs[0] == "named";
  const bool is_static = !segs.empty() && segs[0] == "static";

  if (method == "OPTIONS") {
    auto r = make_response(200, "text/plain; charset=utf-8", "");
    return finish(std::move(r), "options", "");
  }
  if (segs.empty()) {  // /map
    if (method != "POST" && method != "GET")
      return finish(error_response(ApiError{404, "Not found"}), "not_found", "");
    const std::string route = method == "POST" ? "map_post" : "map_get";
    if (auto r = limited("anonymous")) return finish(std::move(*r), route, "anonymous");
    if (auto e = authenticate(ctx, false, "")) return finish(error_response(*e), route, "anonymous");
    if (method == "POST") {
      // Section 2: POST bodies must be application/json.
      if (!ctx.request.header("Content-Type").starts_with("application/json"))
        return finish(error_response(ApiError{400, "POST data must be of type application/json"}), route,
                      "anonymous");
      return finish(instantiate_anonymous(ctx, ctx.request.body), route, "anonymous");
    }
    if (!ctx.has("config"))
      return finish(error_response(ApiError{400, "layergroup GET needs a \"config\" parameter"}), route,
                    "anonymous");
    return finish(instantiate_anonymous(ctx, ctx.param("config")), route, "anonymous");
  }
  if (is_named) {
    if ((segs.size() == 1 && method == "POST") ||
        (segs.size() == 2 && (method == "PUT" || method == "DELETE")))
      return named_admin(ctx, segs);
    if (segs.size() == 1) {
      if (method != "GET") return finish(error_response(ApiError{404, "Not found"}), "not_found", "");
      if (auto r = limited("named_list")) return finish(std::move(*r), "named_list", "named_list");
      if (auto e = authenticate(ctx, true, "list"))
        return finish(error_response(*e), "named_list", "named_list");
      boost::json::array ids;
      for (const auto& [name, t] : templates_) ids.emplace_back(name);
      return finish(json_response(200, boost::json::object{{"template_ids", ids}}), "named_list",
                    "named_list");
    }
    const std::string name(segs[1]);
    if (segs.size() == 2 && method == "GET") {
      if (auto r = limited("named_get")) return finish(std::move(*r), "named_get", "named_get");
      if (auto e = authenticate(ctx, true, "get"))
        return finish(error_response(*e), "named_get", "named_get");
      auto it = templates_.find(name);
      if (it == templates_.end())
        return finish(
            error_response(ApiError{404, "Cannot find template '" + name + "' of user '" + ctx.user + "'"}),
            "named_get", "named_get");
      return finish(json_response(200, boost::json::object{{"template", it->second.json}}), "named_get",
                    "named_get");
    }
    if (segs.size() == 2 && method == "POST") {
      if (auto r = limited("named")) return finish(std::move(*r), "named_instantiate", "named");
      if (auto e = authenticate(ctx, false, ""))
        return finish(error_response(*e), "named_instantiate", "named");
      if (!ctx.request.header("Content-Type").starts_with("application/json"))
        return finish(error_response(ApiError{400, "POST data must be of type application/json"}),
                      "named_instantiate", "named");
      return finish(named_instantiate(ctx, name, ctx.request.body), "named_instantiate", "named");
    }
    if (segs.size() == 3 && segs[2] == "jsonp" && method == "GET") {
      if (auto r = limited("named")) return finish(std::move(*r), "named_jsonp", "named");
      if (auto e = authenticate(ctx, false, "")) return finish(error_response(*e), "named_jsonp", "named");
      if (!ctx.has("callback"))
        return finish(
            error_response(ApiError{400, "callback parameter should be present and be a function name"}),
            "named_jsonp", "named");
      return finish(named_instantiate(ctx, name, ctx.has("config") ? ctx.param("config") : "{}"),
                    "named_jsonp", "named");
    }
    if (segs.size() == 6 && method == "GET") {  // named/:tpl/:layer/:z/:x/:y.:format
      const bool mvt = segs[5].ends_with(".mvt");
      if (auto r = limited("named_tiles", mvt)) return finish(std::move(*r), "named_tile", "named_tiles");
      if (auto e = authenticate(ctx, false, ""))
        return finish(error_response(*e), "named_tile", "named_tiles");
      auto it = templates_.find(name);
      if (it == templates_.end())
        return finish(
            error_response(ApiError{404, "Template '" + name + "' of user '" + ctx.user + "' not found"}),
            "named_tile", "named_tiles");
      std::string md5;
      if (auto e = instantiate_template(ctx, it->second, ctx.has("config") ? ctx.param("config") : "{}", md5))
        return finish(error_response(*e), "named_tile", "named_tiles");
      auto* lg = find_layergroup(md5, ctx.now);
      return finish(tile_of(ctx, md5, segs[2], segs[3], segs[4], segs[5], history(lg->data_key).back()),
                    "named_tile", "named_tiles");
    }
    return finish(error_response(ApiError{404, "Not found"}), "not_found", "");
  }
  if (method != "GET") return finish(error_response(ApiError{404, "Not found"}), "not_found", "");
  if (is_static && segs.size() >= 2) {
    const std::string_view kind = segs[1];
    const std::string group = kind == "named" ? "static_named" : "static";
    const std::string route = "static_" + std::string(kind);
    if (!((kind == "center" && segs.size() == 8) || (kind == "bbox" && segs.size() == 6) ||
          (kind == "named" && segs.size() == 5)))
      return finish(error_response(ApiError{404, "Not found"}), "not_found", "");
    if (auto r = limited(group)) return finish(std::move(*r), route, group);
    if (auto e = authenticate(ctx, false, "")) return finish(error_response(*e), route, group);
    if (kind == "named") {
      auto it = templates_.find(std::string(segs[2]));
      if (it == templates_.end())
        return finish(error_response(ApiError{404, "Template '" + std::string(segs[2]) + "' of user '" +
                                                       ctx.user + "' not found"}),
                      route, group);
      std::string md5;
      if (auto e = instantiate_template(ctx, it->second, ctx.has("config") ? ctx.param("config") : "{}", md5))
        return finish(error_response(*e), route, group);
      const auto view = "named/" + ctx.param("zoom") + "/" + ctx.param("lat") + "/" + ctx.param("lon") + "/" +
                        ctx.param("bbox");
      return finish(static_image(ctx, md5, view, segs[3], segs[4], history(it->first).back()), route, group);
    }
    // static/center/:token/:z/:lat/:lng/:w/:h.:fmt or static/bbox/:token/:bbox/:w/:h.:fmt
    const std::string token(segs[2]);
    auto colon = token.rfind(':');
    auto at = token.rfind('@');
    std::string md5 = token.substr(
        at == std::string::npos ? 0 : at + 1,
        colon == std::string::npos ? std::string::npos : colon - (at == std::string::npos ? 0 : at + 1));
    auto* lg = find_layergroup(md5, ctx.now);
    if (!lg)
      return finish(error_response(ApiError{400, std::string(kInvalidToken) + md5 + "'"}), route, group);
    // Section 3.3: static images of a token-protected named map need its auth_token too.
    if (!lg->auth_tokens.empty() && std::find(lg->auth_tokens.begin(), lg->auth_tokens.end(),
                                              ctx.param("auth_token")) == lg->auth_tokens.end())
      return finish(error_response(ApiError{403, "permission denied"}), route, group);
    std::int64_t cb = 0;
    if (colon != std::string::npos)
      cb = static_cast<std::int64_t>(to_u64(token.substr(colon + 1)).value_or(0));
    std::string view;
    for (std::size_t i = 3; i + 2 < segs.size(); ++i) view += std::string(segs[i]) + "/";
    return finish(
        static_image(ctx, md5, std::string(kind) + "/" + view, segs[segs.size() - 2], segs.back(), cb), route,
        group);
  }
  // Tiles: /map/:token/:z/:x/:y[@2x].:format and /map/:token/:layer/:z/:x/:y.:format
  if ((segs.size() == 4 || segs.size() == 5) && segs[0] != "static") {
    const bool mvt = segs.back().ends_with(".mvt");
    if (auto r = limited("tile", mvt)) return finish(std::move(*r), "tile", "tile");
    if (auto e = authenticate(ctx, false, "")) return finish(error_response(*e), "tile", "tile");
    if (segs.size() == 4) return finish(tile(ctx, segs[0], "", segs[1], segs[2], segs[3]), "tile", "tile");
    return finish(tile(ctx, segs[0], segs[1], segs[2], segs[3], segs[4]), "tile", "tile");
  }
  return finish(error_response(ApiError{404, "Not found"}), "not_found", "");
}

// Template create (POST /map/named), update (PUT) and delete (DELETE), master key only (section 3.3).
ApiResponse CartoApi::named_admin(Context& ctx, const std::vector<std::string_view>& segs) {
  const auto& method = ctx.request.method;
  const std::string route = method == "POST"  ? "named_create"
                            : method == "PUT" ? "named_update"
                                              : "named_delete";
  const std::string action = method == "POST" ? "create" : method == "PUT" ? "update" : "delete";
  auto finish = [&](ApiResponse r) {
    r.route = route;
    r.group = route;
    return r;
  };
  rate_limit(ctx, route);
  if (ctx.rate && !ctx.rate->allowed) return finish(error_response(rate_limit_error()));
  if (auto e = authenticate(ctx, true, action)) return finish(error_response(*e));
  const std::string name = segs.size() > 1 ? std::string(segs[1]) : std::string();
  if (method == "DELETE") {
    if (templates_.erase(name) == 0)
      return finish(error_response(
          ApiError{404, "Template '" + name + "' of user '" + ctx.user + "' does not exist"}));  // (inferred)
    auto r = make_response(204, "text/plain; charset=utf-8", "");
    r.headers.clear();
    return finish(std::move(r));
  }
  if (!ctx.request.header("Content-Type").starts_with("application/json"))
    return finish(error_response(ApiError{400, "POST template data must be of type application/json"}));
  boost::system::error_code ec;
  auto json = boost::json::parse(ctx.request.body, ec);
  if (ec) return finish(error_response(ApiError{400, "Unexpected token in JSON: " + ec.message()}));
  Template t;
  if (auto e = parse_named_template(json, t)) return finish(error_response(*e));
  if (method == "POST") {
    if (templates_.count(t.name))
      return finish(error_response(
          ApiError{400, "Template '" + t.name + "' of user '" + ctx.user + "' already exists"}));
    if (templates_.size() >= 4096)  // section 6: 4096 named maps per account
      return finish(
          error_response(ApiError{409, "User '" + ctx.user + "' reached limit on number of templates (" +
                                           std::to_string(templates_.size()) + "/4096)"}));
  } else {
    if (!templates_.count(name))
      return finish(error_response(
          ApiError{404, "Template '" + name + "' of user '" + ctx.user + "' does not exist"}));  // (inferred)
    if (t.name != name)
      return finish(error_response(
          ApiError{400, "Cannot update name of a map template ('" + name + "' != '" + t.name + "')"}));
  }
  const auto id = t.name;
  templates_[id] = std::move(t);
  return finish(json_response(200, boost::json::object{{"template_id", id}}));
}

ApiResponse CartoApi::instantiate_anonymous(Context& ctx, std::string_view text) {
  MapConfig config;
  if (auto e = parse_map_config_text(text, config)) return error_response(*e);
  const auto md5 = store_layergroup(std::move(config), ctx.user, "", {}, ctx.now);
  return instantiation_response(ctx, md5, ctx.request.method == "GET");
}

ApiResponse CartoApi::instantiation_response(Context& ctx, const std::string& md5, bool get) {
  auto& lg = layergroups_.at(md5);
  const auto id = layergroup_id(lg, md5);
  const auto cb = history(lg.data_key).back();
  const std::string host(ctx.request.header("Host"));
  const std::string base = scheme_ + "://" + host + ctx.prefix + "/api/v1/map/" + id;
  const std::string suffix = ctx.api_key.empty() ? std::string() : "?api_key=" + ctx.api_key;
  boost::json::array layers;
  bool any_raster = false;
  for (std::size_t i = 0; i < lg.config.layers.size(); ++i) {
    const auto& l = lg.config.layers[i];
    boost::json::object meta{{"stats", boost::json::array()}};
    boost::json::object tilejson;
    if (l.type == "mapnik") {
      tilejson["vector"] =
          boost::json::object{{"tilejson", "2.2.0"},
                              {"tiles", boost::json::array{base + "/" + l.id + "/{z}/{x}/{y}.mvt" + suffix}}};
      if (l.has_cartocss) {
        any_raster = true;
        boost::json::object raster{
            {"tilejson", "2.2.0"},
            {"tiles", boost::json::array{base + "/" + l.id + "/{z}/{x}/{y}.png" + suffix}}};
        if (!l.interactivity.empty())
          raster["grids"] = boost::json::array{base + "/" + l.id + "/{z}/{x}/{y}.grid.json" + suffix};
        tilejson["raster"] = raster;
        meta["cartocss"] = lg.config.json.at("layers").at(i).at("options").at("cartocss");
      }
    }
    layers.push_back(
        boost::json::object{{"type", l.type}, {"id", l.id}, {"meta", meta}, {"tilejson", tilejson}});
  }
  boost::json::object tilejson{
      {"vector", boost::json::object{{"tilejson", "2.2.0"},
                                     {"tiles", boost::json::array{base + "/{z}/{x}/{y}.mvt" + suffix}}}}};
  boost::json::object url{{"vector", boost::json::object{{"urlTemplate", base + "/{z}/{x}/{y}.mvt" + suffix},
                                                         {"subdomains", boost::json::array()}}}};
  if (any_raster) {
    tilejson["raster"] = boost::json::object{
        {"tilejson", "2.2.0"}, {"tiles", boost::json::array{base + "/{z}/{x}/{y}.png" + suffix}}};
    url["raster"] = boost::json::object{{"urlTemplate", base + "/{z}/{x}/{y}.png" + suffix},
                                        {"subdomains", boost::json::array()}};
  }
  boost::json::object body{{"layergroupid", id},
                           {"last_updated", format_iso8601(cb)},
                           {"metadata", boost::json::object{{"layers", layers},
                                                            {"dataviews", boost::json::object()},
                                                            {"analyses", boost::json::array()},
                                                            {"tilejson", tilejson},
                                                            {"url", url}}}};
  auto r = json_response(200, body);
  r.headers.emplace_back("X-Layergroup-Id", id);
  // Section 7: Cache-Control and Last-Modified on GET only; POST gets only X-Layergroup-Id.
  if (get) {
    r.headers.emplace_back("Cache-Control", "public,max-age=86400,must-revalidate");
    r.headers.emplace_back(
        "Last-Modified",
        format_http_date(std::chrono::system_clock::time_point(std::chrono::milliseconds(cb))));
  }
  return r;
}

std::optional<ApiError> CartoApi::instantiate_template(Context& ctx, const Template& tpl,
                                                       std::string_view params_text, std::string& md5_out) {
  // Section 3.3: token-protected templates need a valid auth_token.
  if (!tpl.tokens.empty()) {
    auto token = ctx.param("auth_token");
    if (std::find(tpl.tokens.begin(), tpl.tokens.end(), token) == tpl.tokens.end())
      return ApiError{403, "Unauthorized template instantiation"};
  }
  boost::system::error_code ec;
  auto params = boost::json::parse(params_text, ec);
  if (ec || !params.is_object()) return ApiError{400, "Invalid JSON in template parameters"};
  std::string text = boost::json::serialize(tpl.json.at("layergroup"));
  if (auto* ph = tpl.json.get_object().if_contains("placeholders"); ph && ph->is_object()) {
    for (const auto& [name, spec] : ph->get_object()) {
      std::string value;
      const boost::json::value* v = params.get_object().if_contains(name);
      if (!v && spec.is_object()) v = spec.get_object().if_contains("default");
      if (!v) return ApiError{400, "Missing parameter for placeholder '" + std::string(name) + "'"};
      value = v->is_string() ? std::string(v->get_string()) : boost::json::serialize(*v);
      const std::string tag = "<%= " + std::string(name) + " %>";
      for (auto pos = text.find(tag); pos != std::string::npos; pos = text.find(tag, pos + value.size()))
        text.replace(pos, tag.size(), value);
    }
  }
  MapConfig config;
  if (auto e = parse_map_config_text(text, config)) return e;
  md5_out = store_layergroup(std::move(config), ctx.user, tpl.name, tpl.tokens, ctx.now);
  return std::nullopt;
}

ApiResponse CartoApi::named_instantiate(Context& ctx, std::string_view name, std::string_view params_text) {
  auto it = templates_.find(std::string(name));
  if (it == templates_.end())
    return error_response(
        ApiError{404, "Template '" + std::string(name) + "' of user '" + ctx.user + "' not found"});
  std::string md5;
  if (auto e = instantiate_template(ctx, it->second, params_text, md5)) return error_response(*e);
  return instantiation_response(ctx, md5, false);
}

ApiResponse CartoApi::tile(Context& ctx, std::string_view token, std::string_view layer, std::string_view z,
                           std::string_view x, std::string_view y_scale_format) {
  // Token forms (section 3.2): {md5}[:{cb}] or {user}@{tpl8}@{md5}[:{cb}].
  std::string_view t = token;
  std::string_view signer;
  auto at = t.rfind('@');
  if (at != std::string_view::npos) {
    signer = t.substr(0, t.find('@'));
    t = t.substr(at + 1);
  }
  std::int64_t cb = 0;
  if (auto colon = t.find(':'); colon != std::string_view::npos) {
    cb = static_cast<std::int64_t>(to_u64(t.substr(colon + 1)).value_or(0));
    t = t.substr(0, colon);
  }
  const std::string md5(t);
  auto* lg = find_layergroup(md5, ctx.now);
  // Section 5: an expired or unknown token is 400 (not the 404 the Windshaft docs claim).
  if (!lg) return error_response(ApiError{400, std::string(kInvalidToken) + md5 + "'"});
  if (!signer.empty() && signer != ctx.user)
    return error_response(ApiError{403, "Cannot use map signature of user \"" + std::string(signer) +
                                            "\" on db of user \"" + ctx.user + "\""});
  if (!lg->auth_tokens.empty() && std::find(lg->auth_tokens.begin(), lg->auth_tokens.end(),
                                            ctx.param("auth_token")) == lg->auth_tokens.end())
    return error_response(ApiError{403, "permission denied"});
  return tile_of(ctx, md5, layer.empty() ? std::string_view("mapnik") : layer, z, x, y_scale_format, cb);
}

ApiResponse CartoApi::tile_of(Context& ctx, const std::string& md5, std::string_view layer,
                              std::string_view z, std::string_view x, std::string_view y_scale_format,
                              std::int64_t path_cb) {
  auto* lg = find_layergroup(md5, ctx.now);
  if (!lg) return error_response(ApiError{400, std::string(kInvalidToken) + md5 + "'"});
  auto dot = y_scale_format.find('.');
  if (dot == std::string_view::npos) return error_response(ApiError{404, "Not found"});
  auto y_scale = y_scale_format.substr(0, dot);
  const auto ext = y_scale_format.substr(dot + 1);
  std::string_view y = y_scale, scale_text;
  if (auto a = y_scale.find('@'); a != std::string_view::npos) {
    y = y_scale.substr(0, a);
    scale_text = y_scale.substr(a + 1);
  }
  // Section 2.1 path rules (coordinates.js): z and y non-negative integers, x any integer.
  if (!digits(z) || z.size() > 2 || *to_u64(z) > 30)
    return error_response(ApiError{400, "Invalid zoom value (" + std::string(z) +
                                            "). It should be an integer number greather than or equal to 0"});
  const auto zi = static_cast<std::uint32_t>(*to_u64(z));
  const bool x_ok = digits(x) || (x.size() > 1 && x[0] == '-' && digits(x.substr(1)));
  if (!x_ok)
    return error_response(ApiError{
        400, "Invalid coodinate 'x' value (" + std::string(x) + "). It should be an integer number"});
  if (!digits(y) || y.size() > 19 || *to_u64(y) >= (1ULL << zi))
    return error_response(ApiError{
        400, "Invalid coodinate 'y' value (" + std::string(y) +
                 "). It should be an integer number greather than or equal to 0"});  // (inferred wording)
  std::uint32_t scale = 1;
  if (!scale_text.empty()) {
    auto f = scale_text.ends_with("x") ? to_u64(scale_text.substr(0, scale_text.size() - 1)) : std::nullopt;
    if (!f || (*f != 1 && *f != 2))
      return error_response(ApiError{404, "Tile with specified resolution not found"});
    scale = static_cast<std::uint32_t>(*f);
  }
  auto format = parse_tile_format(ext);
  if (!format) return error_response(ApiError{400, "Unsupported format " + std::string(ext)});
  std::vector<std::size_t> selected;
  if (auto e = select_layers(lg->config, layer, selected)) return error_response(*e);
  std::string layer_key;
  for (auto i : selected) {
    const auto& l = lg->config.layers[i];
    if (l.type != "mapnik" && *format != TileFormat::png)
      return error_response(ApiError{400, "Unsupported format " + std::string(ext)});
    if (l.type == "mapnik" && !l.has_cartocss && (*format == TileFormat::png || *format == TileFormat::png32))
      return error_response(ApiError{400, "Unsupported format: 'cartocss' option is missing for png"});
    if (*format == TileFormat::grid_json && l.interactivity.empty())
      return error_response(ApiError{400, "Tileset has no interactivity"});  // (inferred wording)
    layer_key += (layer_key.empty() ? "" : ",") + std::to_string(i);
  }
  TileSpec spec;
  spec.map_key = md5;
  spec.layer = layer_key;
  spec.z = zi;
  spec.x = wrap_x(x, zi);
  spec.y = *to_u64(y);
  spec.format = *format;
  spec.scale = scale;
  spec.data_version = effective_version(spec, history(lg->data_key));
  const auto key = md5 + "|" + layer_key + "|" + std::to_string(zi) + "/" + std::to_string(spec.x) + "/" +
                   std::to_string(spec.y) + "|" + std::string(ext) + "|" + std::to_string(scale) + "|" +
                   std::to_string(spec.data_version);
  auto body = cached(key, [&] { return render_tile(spec); });
  ApiResponse r;
  if (body->empty()) {  // Section 2.1: an empty MVT is 204 with no body.
    r.status = 204;
    r.body = body;
  } else {
    r = make_response(200, content_type(*format), "");
    r.body = body;
  }
  // Section 7: tiles are cacheable for a year; Last-Modified is the cache buster, or now when 0.
  r.headers.emplace_back("Cache-Control", "public,max-age=31536000");
  r.headers.emplace_back("Last-Modified",
                         format_http_date(path_cb != 0 ? std::chrono::system_clock::time_point(
                                                             std::chrono::milliseconds(path_cb))
                                                       : ctx.wall));
  r.headers.emplace_back("Carto-Cache-Buster", std::to_string(path_cb));
  return r;
}

ApiResponse CartoApi::static_image(Context& ctx, const std::string& md5, std::string_view view_key,
                                   std::string_view w, std::string_view h_format, std::int64_t path_cb) {
  auto* lg = find_layergroup(md5, ctx.now);
  if (!lg) return error_response(ApiError{400, std::string(kInvalidToken) + md5 + "'"});
  auto dot = h_format.find('.');
  auto h = h_format.substr(0, dot);
  auto fmt = dot == std::string_view::npos ? std::string_view() : h_format.substr(dot + 1);
  // Section 3.5: png or jpg only, verbatim error text.
  if (fmt != "png" && fmt != "jpg")
    return error_response(ApiError{400, "Unsupported image format \"" + std::string(fmt) + "\""});
  auto wi = to_u64(w), hi = to_u64(h);
  // Section 3.5: imageSizeLimit 8192 px. (Message inferred.)
  if (!wi || !hi || *wi == 0 || *hi == 0 || *wi > 8192 || *hi > 8192)
    return error_response(ApiError{400, "Invalid image size " + std::string(w) + "x" + std::string(h)});
  const auto version = history(lg->data_key).back();
  const auto key = "static|" + md5 + "|" + std::string(view_key) + "|" + std::to_string(*wi) + "x" +
                   std::to_string(*hi) + "." + std::string(fmt) + "|" + std::to_string(version);
  const auto width = static_cast<std::uint32_t>(*wi), height = static_cast<std::uint32_t>(*hi);
  auto body = cached(key, [&] {
    return fmt == "jpg" ? render_static_jpeg(md5, view_key, width, height, version)
                        : render_static_png(md5, view_key, width, height, version);
  });
  auto r = make_response(200, fmt == "jpg" ? "image/jpeg" : "image/png", "");
  r.body = body;
  r.headers.emplace_back("Cache-Control", "public,max-age=31536000");
  r.headers.emplace_back("Last-Modified",
                         format_http_date(path_cb != 0 ? std::chrono::system_clock::time_point(
                                                             std::chrono::milliseconds(path_cb))
                                                       : ctx.wall));
  return r;
}

std::optional<std::string> CartoApi::expected_tile(std::string_view token_or_template, std::string_view layer,
                                                   std::uint32_t z, std::int64_t x, std::uint64_t y,
                                                   TileFormat format, std::uint32_t scale) {
  ApiRequest request;
  request.method = "GET";
  request.target = "/";
  Context ctx{request,
              std::chrono::steady_clock::now(),
              std::chrono::system_clock::now(),
              "/",
              {},
              options_.user,
              {},
              {},
              {}};
  std::string md5;
  if (auto it = templates_.find(std::string(token_or_template)); it != templates_.end()) {
    if (!it->second.tokens.empty()) ctx.query["auth_token"] = it->second.tokens.front();
    if (instantiate_template(ctx, it->second, "{}", md5)) return std::nullopt;
  } else {
    std::string_view t = token_or_template;
    if (auto at = t.rfind('@'); at != std::string_view::npos) t = t.substr(at + 1);
    md5 = std::string(t.substr(0, t.find(':')));
  }
  if (!find_layergroup(md5, ctx.now)) return std::nullopt;
  auto ext = std::string(to_string(format));
  auto r = tile_of(ctx, md5, layer, std::to_string(z), std::to_string(x),
                   std::to_string(y) + (scale == 1 ? "" : "@" + std::to_string(scale) + "x") + "." + ext, 1);
  if (r.status != 200 && r.status != 204) return std::nullopt;
  return *r.body;
}

// ---- Control endpoint /_fake/ --------------------------------------------------------------------

ApiResponse CartoApi::route_control(Context& ctx, std::string_view rest) {
  const auto& method = ctx.request.method;
  if (rest == "log" && method == "GET") {
    std::size_t limit = static_cast<std::size_t>(to_u64(ctx.param("limit")).value_or(1000));
    return json_response(200, log_.entries_json(limit));
  }
  if (rest == "log" && method == "DELETE") {
    log_.clear();
    return json_response(200, boost::json::object{{"ok", true}});
  }
  if (rest == "counters" && method == "GET") return json_response(200, log_.counters_json());
  if (rest == "scenario") {
    if (method == "GET") return json_response(200, to_json(faults_));
    if (method == "DELETE") {
      faults_.rules.clear();
      return json_response(200, to_json(faults_));
    }
    if (method == "PUT" || method == "POST") {
      boost::system::error_code ec;
      auto json = boost::json::parse(ctx.request.body, ec);
      FaultSet set;
      if (ec) return error_response(ApiError{400, "scenario is not JSON: " + ec.message()});
      if (auto e = parse_fault_set(json, set)) return error_response(ApiError{400, *e});
      faults_ = std::move(set);
      return json_response(200, to_json(faults_));
    }
  }
  if ((rest == "bump" || rest.starts_with("bump/")) && method == "POST") {
    auto key = rest.size() > 5 ? std::string(rest.substr(5)) : std::string();
    auto cb = bump(key, ctx.wall);
    if (cb < 0) return error_response(ApiError{404, "unknown map key '" + key + "'"});
    return json_response(200,
                         boost::json::object{{"cache_buster", cb}, {"last_updated", format_iso8601(cb)}});
  }
  if (rest == "expire" && method == "POST") {
    expire_tokens();
    return json_response(200, boost::json::object{{"ok", true}});
  }
  if (rest == "maps" && method == "GET") {
    boost::json::object out;
    for (const auto& [key, h] : histories_) out[key] = boost::json::array(h.begin(), h.end());
    return json_response(200, out);
  }
  return error_response(ApiError{404, "unknown control route"});
}

}  // namespace cartopull::fake
