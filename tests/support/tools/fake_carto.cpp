// fake-carto: the standalone fake CARTO Maps API server (issue 3). Thin: argv -> Options -> Server.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "support/fake_carto/server.hpp"

namespace {

constexpr const char* kHelp =
    R"(fake-carto: a faithful, misbehaving CARTO Maps API (Windshaft-cartodb v1) server for tests,
demos and benchmarks. Facts reproduced are from the reference notes carto-maps-api.md (§ = section).

Usage: fake-carto [options]

Listening
  --host ADDR               listen address (default 127.0.0.1)
  --port N                  TCP port (default 0: ephemeral; the chosen port is printed)
  --port-file PATH          also write the chosen port to PATH
  --tls                     HTTPS with a CA + server cert generated at start (EC P-256,
                            DNS:localhost, IP:127.0.0.1, valid 7 days; no key touches disk)
  --ca-out PATH             with --tls, write the CA certificate PEM to PATH for clients to trust
  --idle-timeout-ms N       keep-alive idle limit per connection (default 30000)
  --max-request-bytes N     request bodies above this get 413 (default 1048576)

Account and auth (§4)
  --user NAME               the account (default demo); /api/v1 without /user/NAME resolves to it
  --master-key KEY          master API key (default master-key): named-map admin routes
  --regular-key KEY         a regular API key (default regular-key); repeatable
  --seed-api-key KEY        api_key of the seed shape (default: the master key)
  Credentials: Authorization: Basic base64(user:KEY) (a different user gives 403), then ?api_key=,
  then ?map_key=. No key is the public role; an unknown key is 401 {"errors":["Unauthorized"],...}.

Maps and data
  --token-ttl-ms N          sliding idle TTL of layergroup tokens (default 300000, Windshaft's 300 s;
                            production CARTO uses 7200 s); then 400 "Invalid or nonexistent map
                            configuration token '<md5>'" (§5, §7)
  --initial-cache-buster MS epoch ms of every map's first data version (default 1700000000000)
  --templates FILE          JSON array of named-map templates (default: demo_open, open auth, and
                            demo_private, auth token "demo-token"; both with placeholder "color")
  --tile-cache-mb N         rendered bodies kept in memory (default 256)
  --log-capacity N          requests kept in the request log (default 100000)

Rate limits (§6): GCRA per user and endpoint group, Carto-Rate-Limit-Limit/-Remaining/-Reset on
every API response, 429 + Retry-After (floor(retry)+1 s) when blocked.
  --plan NAME               unlimited (default) | free | individual | enterprise (published limits)
  --rate-limit GROUP=TIERS  override one group; TIERS is BURST:COUNT/PERIOD_MS[+...], e.g.
                            tile=120:120/1000+750:1500/60000. Groups: anonymous, static,
                            static_named, tile, named, named_list, named_get, named_tiles,
                            named_create, named_update, named_delete, metadata

Misbehaviour (per route name or endpoint group; first matching rule wins; seeded, reproducible)
  --fault MATCH:K=V[,K=V]   add a rule; MATCH is a route, a group or *. Keys:
                              latency_ms, jitter_ms           fixed + uniform extra delay
                              error_500|502|503|429=P         error rate per status (502/503: HTML
                                                              body as a CDN sends; 429: CARTO body)
                              retry_after=none|seconds|http-date, retry_after_seconds=N (429/503)
                              reset_before_headers=P          TCP RST before any byte
                              reset_mid_body=P                headers + half the body, then RST
                              truncate=P                      half the body under a full
                                                              Content-Length, then FIN
                              stall=P, stall_ms=N             half the body, N ms silence, the rest
                              trickle=P, trickle_chunk_bytes=N, trickle_delay_ms=N
                              oversize=P, oversize_bytes=N    body padded to N bytes
                              malformed_json=P                JSON body cut in half
                              wrong_content_type=P            Content-Type: text/html
                              count=N                         rule retires after N matching requests
  --scenario FILE           JSON {"seed":42,"rules":[{"match":"tile","errors":{"503":0.1},...}]}
  --seed N                  RNG seed for fault draws (default 1)

Routes, real v1 shape (§2), under /api/v1/map and /user/{user}/api/v1/map  [route name, group]
  OPTIONS /map, /map/named/{id}                               CORS preflight         [options]
  POST /map          MapConfig body, Content-Type application/json checked  [map_post, anonymous]
  GET  /map?config=<urlencoded MapConfig>[&callback=fn]         (JSONP: status 200) [map_get, anonymous]
         -> {"layergroupid":"{md5}:{cacheBuster}","last_updated":ISO,"metadata":{layers,tilejson,url}}
            X-Layergroup-Id; GET adds Cache-Control public,max-age=86400,must-revalidate + Last-Modified
         MapConfig errors (400): Missing layers array from layergroup config | Missing options from
         layer N of layergroup config | Missing sql for layer N options | Missing cartocss_version
         for layer N options | Unsupported layergroup configuration version X
  GET  /map/{token}/{z}/{x}/{y}[@2x].{png|png32|mvt|grid.json}          [tile, tile]
  GET  /map/{token}/{layer}/{z}/{x}/{y}[@2x].{format}                   [tile, tile]
         layer: all|mapnik|torque|http|plain, an index, 0,2 lists, layer ids; z,y >= 0, x wraps
         mod 2^z; @Nx other than 1,2 -> 404; empty MVT -> 204; Cache-Control 1 year,
         Last-Modified = cache buster (now when 0), 304 on If-Modified-Since
  GET  /map/static/center/{token}/{z}/{lat}/{lng}/{w}/{h}.{png|jpg}     [static_center, static]
  GET  /map/static/bbox/{token}/{west},{south},{east},{north}/{w}/{h}.{png|jpg}  [static_bbox, static]
  GET  /map/static/named/{tpl}/{w}/{h}.{png|jpg}[?zoom&lat&lon|bbox]    [static_named, static_named]
         jpg is baseline JPEG quality 85; other formats 400 'Unsupported image format "gif"';
         w,h 1..8192
  GET  /map/named?api_key=MASTER  {"template_ids":[...]}                [named_list, named_list]
  GET  /map/named/{tpl}?api_key=MASTER  {"template":{...}}              [named_get, named_get]
  POST /map/named?api_key=MASTER  template JSON -> {"template_id":..}   [named_create, named_create]
  PUT  /map/named/{tpl}?api_key=MASTER  template JSON                   [named_update, named_update]
  DELETE /map/named/{tpl}?api_key=MASTER  -> 204                        [named_delete, named_delete]
         no key: 403 Only authenticated users can {list|get|create|update|delete} templated maps;
         regular key: 403 Forbidden; unknown key: 401 Unauthorized
  POST /map/named/{tpl}[?auth_token=T]  params JSON body                [named_instantiate, named]
         -> layergroupid "{user}@{tplhash8}@{md5}:{cacheBuster}"; 403 Unauthorized template
            instantiation on a bad token; 404 Template 'x' of user 'u' not found
  GET  /map/named/{tpl}/jsonp?callback=fn[&config=params][&auth_token=] [named_jsonp, named]
  GET  /map/named/{tpl}/{layer}/{z}/{x}/{y}.{format}[?auth_token=&config=] [named_tile, named_tiles]
  GET  /health {"enabled":false,"ok":true}   GET / (text)                [health], [root]
Routes, seed (dltHub) shape (§9), under --seed-base (default /v1/), api_key required (401 JSON):
  GET  map  layergroup  metadata  static/{png|jpg}[?width=&height=]  tiles/{z}/{x}/{y}.{png|mvt|grid.json}
       [seed_map, seed_layergroup, seed_metadata, seed_static, seed_tile]
Control (never logged, limited or faulted)
  GET /_fake/log[?limit=N]   DELETE /_fake/log   GET /_fake/counters
  GET|PUT|DELETE /_fake/scenario (PUT body: the --scenario JSON)
  POST /_fake/bump[/{md5|template}]  new cache buster + last_updated; a third of the tiles change
                                     (keys of maps served so far; no key: all of them)
  POST /_fake/expire  forget every layergroup token       GET /_fake/maps  cache-buster histories

Content: deterministic in (map, layer, z, x, y, format, scale, data version). PNG tiles are
palette PNGs of 1-30 KB (png32: RGBA), one tile in eight is blank and byte-identical to every
other blank tile; MVT is a valid v2 tile of points; grid.json is UTFGrid 1.2 at resolution 4;
static maps are PNG or baseline JPEG (our own encoders) of the requested size.

Exit: SIGINT or SIGTERM stops the server and exits 0; bad options exit 78.
)";

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int usage_error(const std::string& message) {
  std::cerr << "fake-carto: " << message << " (see --help)\n";
  return 78;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cartopull::fake;
  Options options;
  std::string port_file;
  bool seed_set = false;
  std::uint64_t seed = 1;
  std::vector<FaultRule> flag_rules;
  bool regular_reset = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto next = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    auto number = [&](auto& out) {
      if (!next(v)) return false;
      try {
        out = static_cast<std::remove_reference_t<decltype(out)>>(std::stoull(v));
        return true;
      } catch (...) {
        return false;
      }
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      return 0;
    }
    if (arg == "--tls") {
      options.tls = true;
      continue;
    }
    bool ok = true;
    if (arg == "--host")
      ok = next(options.listen_host);
    else if (arg == "--port")
      ok = number(options.port);
    else if (arg == "--port-file")
      ok = next(port_file);
    else if (arg == "--ca-out")
      ok = next(options.ca_pem_path);
    else if (arg == "--seed-base")
      ok = next(options.seed_base);
    else if (arg == "--user")
      ok = next(options.user);
    else if (arg == "--master-key")
      ok = next(options.master_key);
    else if (arg == "--regular-key") {
      if (!regular_reset) options.regular_keys.clear(), regular_reset = true;
      ok = next(v);
      options.regular_keys.push_back(v);
    } else if (arg == "--seed-api-key")
      ok = next(options.seed_api_key);
    else if (arg == "--token-ttl-ms") {
      std::uint64_t ms = 0;
      ok = number(ms);
      options.token_ttl = std::chrono::milliseconds(ms);
    } else if (arg == "--idle-timeout-ms") {
      std::uint64_t ms = 0;
      ok = number(ms);
      options.idle_timeout = std::chrono::milliseconds(ms);
    } else if (arg == "--max-request-bytes")
      ok = number(options.max_request_body_bytes);
    else if (arg == "--initial-cache-buster")
      ok = number(options.initial_cache_buster);
    else if (arg == "--log-capacity")
      ok = number(options.log_capacity);
    else if (arg == "--tile-cache-mb") {
      std::size_t mb = 0;
      ok = number(mb);
      options.tile_cache_bytes = mb << 20;
    } else if (arg == "--plan") {
      ok = next(options.plan) && (options.plan == "unlimited" || options.plan == "free" ||
                                  options.plan == "individual" || options.plan == "enterprise");
    } else if (arg == "--rate-limit") {
      ok = next(v);
      auto eq = v.find('=');
      std::vector<GcraTier> tiers;
      ok = ok && eq != std::string::npos && parse_rate_tiers(std::string_view(v).substr(eq + 1), tiers);
      if (ok) options.rate_limits[v.substr(0, eq)] = tiers;
    } else if (arg == "--templates") {
      std::string text;
      ok = next(v) && read_file(v, text);
      boost::system::error_code ec;
      auto json = ok ? boost::json::parse(text, ec) : boost::json::value();
      ok = ok && !ec && json.is_array();
      if (ok) options.templates.assign(json.get_array().begin(), json.get_array().end());
    } else if (arg == "--scenario") {
      std::string text;
      ok = next(v) && read_file(v, text);
      boost::system::error_code ec;
      auto json = ok ? boost::json::parse(text, ec) : boost::json::value();
      if (ok && ec) return usage_error("scenario " + v + " is not JSON: " + ec.message());
      if (ok) {
        if (auto e = parse_fault_set(json, options.faults)) return usage_error("scenario " + v + ": " + *e);
      }
    } else if (arg == "--fault") {
      FaultRule rule;
      ok = next(v);
      if (ok) {
        if (auto e = parse_fault_flag(v, rule)) return usage_error("--fault " + v + ": " + *e);
        flag_rules.push_back(rule);
      }
    } else if (arg == "--seed") {
      ok = number(seed);
      seed_set = true;
    } else {
      return usage_error("unknown option " + std::string(arg));
    }
    if (!ok) return usage_error("bad value for " + std::string(arg));
  }
  // Command-line rules come before scenario rules: the first match wins.
  options.faults.rules.insert(options.faults.rules.begin(), flag_rules.begin(), flag_rules.end());
  if (seed_set) options.faults.seed = seed;

  // Block the stop signals before the loop thread starts so that only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Server server(options);
  if (auto r = server.start(); !r) {
    std::cerr << "fake-carto: " << r.error().what() << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream out(port_file, std::ios::trunc);
    out << server.port() << "\n";
  }
  std::cout << "fake-carto listening on " << server.base_url() << " (user " << options.user << ", plan "
            << options.plan << ")" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  return 0;
}
