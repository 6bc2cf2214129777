#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/duration.hpp"
#include "config/secret.hpp"

// The whole configuration as plain typed structs. Every default here is the documented default of
// config/cartopull.example.yaml; config_loader.cpp fills these from YAML and validates them whole.
namespace cartopull::config {

using namespace std::chrono_literals;

enum class LogFormat { text, json };

struct LogConfig {
  std::string level = "info";  // trace | debug | info | warn | error | critical | off
  LogFormat format = LogFormat::text;
  std::string file;  // empty: stderr only; otherwise also appended here, reopened on SIGUSR1
};

struct StoreConfig {
  std::string path = "/var/lib/cartopull/cartopull.db";
  Duration busy_timeout = 5s;
  std::uint32_t keep_runs = 100;            // run history kept per job; 0 keeps all
  Duration keep_for = Duration::zero();     // run history age limit; 0 keeps all
  std::uint64_t queue_bytes = 16ULL << 20;  // write queue bound; 16 MiB: peak RSS < 64 MB (docs/bench.md)
};

struct ServerConfig {
  std::string listen = "127.0.0.1:9464";  // host:port of /metrics, /healthz, /readyz, /api/*
  Secret bearer_token;                    // required for /api/* when listening beyond loopback
  std::uint32_t max_connections = 64;
  Duration shutdown_timeout = 60s;  // drain limit for in-flight runs on SIGTERM
};

struct HttpConfig {
  Duration connect_timeout = 10s;  // DNS + TCP connect + TLS handshake, each
  Duration read_timeout = 30s;     // each read or write step
  Duration request_timeout = 60s;  // whole request including queueing and retries' waits
  std::uint64_t max_body_bytes = 64ULL << 20;
  std::uint32_t max_redirects = 5;
  std::uint32_t max_connections_per_origin = 16;
};

struct RetryConfig {
  std::uint32_t max_attempts = 5;  // including the first
  Duration backoff_base = 1s;
  double backoff_factor = 2.0;
  Duration backoff_cap = 60s;
  Duration retry_after_cap = 300s;  // a longer Retry-After fails the item as rate limited
  double budget_ratio = 0.2;        // retries allowed as a fraction of first attempts
};

struct ConcurrencyConfig {
  std::uint32_t max = 32;  // global cap on in-flight requests
  std::uint32_t initial = 1;
  bool adaptive = true;  // AIMD per endpoint group between 1 and max
};

struct RateLimit {
  double rate = 1.0;        // requests per second
  std::uint32_t burst = 1;  // requests allowed at once
};

// CARTO's rate-limit endpoint groups (carto-maps-api.md §6), with the Free plan's published limits.
std::map<std::string, RateLimit> default_rate_limits();

struct Defaults {
  HttpConfig http;
  RetryConfig retry;
  ConcurrencyConfig concurrency;
  std::map<std::string, RateLimit> rate_limits = default_rate_limits();
  double failure_threshold = 0.05;       // a run with more failed items than this fraction is failed
  std::uint32_t max_token_renewals = 3;  // re-instantiations in a row, as carto.js does
};

enum class ApiShape { seed, v1 };
enum class AuthMode { query, basic, none };

struct TlsConfig {
  std::string ca_file;  // extra CA bundle, added to the system store
  bool insecure_skip_verify = false;
};

struct SourceConfig {
  std::string name;
  ApiShape shape = ApiShape::seed;
  std::string base_url;  // seed: https://g.maps.carto.com/v1/; v1: https://{user}.carto.com/api/v1/
  std::string user;      // CARTO username (v1 shape; also the Basic auth user)
  Secret api_key;
  AuthMode auth = AuthMode::query;
  TlsConfig tls;
  HttpConfig http;    // defaults.http with this source's overrides
  RetryConfig retry;  // defaults.retry with overrides
  ConcurrencyConfig concurrency;
  std::map<std::string, RateLimit> rate_limits;  // defaults.rate_limits with overrides
};

struct ScheduleConfig {
  std::optional<Duration> every;  // interval; exclusive with cron
  std::string cron;               // 5 fields: minute hour day-of-month month day-of-week
  std::string timezone = "UTC";
  Duration jitter = Duration::zero();
  Duration offset = Duration::zero();
  bool run_at_start = false;
  bool manual() const { return !every && cron.empty(); }
  bool operator==(const ScheduleConfig&) const = default;
};

enum class ResourceKind {
  // seed shape (dlt's endpoint table)
  map,
  layergroup,
  static_image,
  tiles,
  metadata,
  // real v1 shape
  anonymous_map,    // POST or GET /map with a MapConfig
  named_map,        // POST /map/named/{template_id}
  named_templates,  // GET /map/named (master key)
  named_template,   // GET /map/named/{template_id} (master key)
  named_tiles,      // GET /map/named/{template_id}/{layer}/{z}/{x}/{y}.{format}
  static_center,
  static_bbox,
  static_named,
};

enum class WriteDisposition { append, replace, merge };

struct BBox {
  double west = -180, south = -85.0511287798066, east = 180, north = 85.0511287798066;
};

struct TilesConfig {
  std::uint32_t min_zoom = 0;
  std::uint32_t max_zoom = 0;
  std::vector<BBox> bbox;                   // union of WGS84 boxes; empty with no coverage_file: the world
  std::string coverage_file;                // GeoJSON polygon(s)
  std::vector<std::string> formats{"png"};  // png | png32 | mvt | grid.json | jpg
  std::string layer;                        // layer filter: "" (default), all, 0,1, or ids
  std::uint32_t scale = 1;                  // 1 or 2 (@2x)
  bool prune_empty = false;                 // skip children of empty (204) or blank tiles
};

struct StaticConfig {
  std::uint32_t width = 600;
  std::uint32_t height = 400;
  std::string format = "png";  // png | jpg
  std::optional<double> lat, lng;
  std::optional<std::uint32_t> zoom;
  std::optional<BBox> bbox;
};

struct ResourceConfig {
  std::string name;
  ResourceKind kind = ResourceKind::map;
  std::string path;    // path template relative to the source's base_url; empty: the kind's
  std::string method;  // GET or POST; empty: the kind's default
  std::map<std::string, std::string> params;  // extra query parameters
  std::string data_selector;                  // JSON Pointer into the response, e.g. /layergroupid
  WriteDisposition write_disposition = WriteDisposition::append;
  std::vector<std::string> primary_key;  // merge key
  std::string parent;                    // resource of this job feeding {placeholders}
  std::string map_config;                // MapConfig as JSON text (inline, or read from map_config_file)
  std::string map_config_file;
  std::string template_id;
  std::string template_params;  // JSON object text
  Secret auth_token;
  std::optional<std::uint64_t> max_body_bytes;
  TilesConfig tiles;
  StaticConfig static_image;
};

struct JobConfig {
  std::string name;
  std::string source;
  ScheduleConfig schedule;
  std::vector<ResourceConfig> resources;
};

struct Config {
  std::string file;  // where it was read from
  LogConfig log;
  StoreConfig store;
  ServerConfig server;
  Defaults defaults;
  std::map<std::string, SourceConfig> sources;
  std::vector<JobConfig> jobs;

  const JobConfig* find_job(std::string_view name) const;
};

const char* to_string(ResourceKind kind) noexcept;
const char* to_string(ApiShape shape) noexcept;

}  // namespace cartopull::config
