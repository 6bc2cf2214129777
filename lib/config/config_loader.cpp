#include "config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace cartopull::config {
namespace {

namespace fs = std::filesystem;
using Keys = std::initializer_list<std::string_view>;

// n[key] that never throws: yaml-cpp throws when indexing a node that is absent.
YAML::Node at(const YAML::Node& n, std::string_view key) {
  if (!n.IsDefined() || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return n[std::string(key)];
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string join_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// Reads YAML nodes into typed fields, recording an issue (with the node's position) for anything
// wrong and leaving the default in place, so that one pass reports every problem.
class Reader {
 public:
  Reader(std::string file, const Environment& env, LoadOutcome& out)
      : file_(std::move(file)), env_(env), out_(out) {
    base_dir_ = fs::path(file_).parent_path();
  }

  void error(const YAML::Node& at, const std::string& key, std::string message) {
    add(out_.errors, at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), key, std::move(message));
  }
  void error_at(const YAML::Mark& mark, const std::string& key, std::string message) {
    add(out_.errors, mark, key, std::move(message));
  }
  void warn(const YAML::Node& at, const std::string& key, std::string message) {
    add(out_.warnings, at.Mark(), key, std::move(message));
  }

  // True when `n` is a map; reports unknown and duplicate keys. Absent (null) is false, silently.
  bool map(const YAML::Node& n, const std::string& path, Keys allowed) {
    if (!n.IsDefined() || n.IsNull()) return false;
    if (!n.IsMap()) {
      error(n, path, "expected a mapping of keys");
      return false;
    }
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      auto key = it->first.Scalar();
      if (!seen.insert(key).second) {
        error(it->first, join_path(path, key), "duplicate key");
        continue;
      }
      if (allowed.size() == 0) continue;
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string hint;
      std::size_t best = 3;
      for (auto candidate : allowed) {
        auto d = edit_distance(key, candidate);
        if (d < best) {
          best = d;
          hint = " (did you mean '" + std::string(candidate) + "'?)";
        }
      }
      error(it->first, join_path(path, key), "unknown key" + hint);
    }
    return true;
  }

  // The scalar at n[key] with ${NAME} references expanded; nullopt when absent or on error.
  std::optional<std::string> scalar(const YAML::Node& parent, std::string_view key, const std::string& path) {
    auto n = at(parent, key);
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    auto full = join_path(path, key);
    if (!n.IsScalar()) {
      error(n, full, "expected a single value");
      return std::nullopt;
    }
    return expand(n, full, n.Scalar());
  }

  void string(const YAML::Node& p, std::string_view key, const std::string& path, std::string& out) {
    if (auto v = scalar(p, key, path)) out = *v;
  }

  void boolean(const YAML::Node& p, std::string_view key, const std::string& path, bool& out) {
    auto v = scalar(p, key, path);
    if (!v) return;
    if (*v == "true" || *v == "yes" || *v == "on") {
      out = true;
    } else if (*v == "false" || *v == "no" || *v == "off") {
      out = false;
    } else {
      error(at(p, key), join_path(path, key), "expected true or false, got '" + *v + "'");
    }
  }

  template <class Int>
  void integer(const YAML::Node& p, std::string_view key, const std::string& path, Int& out, Int lo, Int hi) {
    auto v = scalar(p, key, path);
    if (!v) return;
    Int value{};
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    auto full = join_path(path, key);
    if (ec != std::errc() || ptr != v->data() + v->size()) {
      error(at(p, key), full, "expected an integer, got '" + *v + "'");
    } else if (value < lo || value > hi) {
      error(at(p, key), full,
            "out of range: " + *v + " (allowed " + std::to_string(lo) + ".." + std::to_string(hi) + ")");
    } else {
      out = value;
    }
  }

  void number(const YAML::Node& p, std::string_view key, const std::string& path, double& out, double lo,
              double hi) {
    auto v = scalar(p, key, path);
    if (!v) return;
    double value = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    auto full = join_path(path, key);
    if (ec != std::errc() || ptr != v->data() + v->size()) {
      error(at(p, key), full, "expected a number, got '" + *v + "'");
    } else if (!(value >= lo && value <= hi)) {
      std::ostringstream range;
      range << lo << ".." << hi;
      error(at(p, key), full, "out of range: " + *v + " (allowed " + range.str() + ")");
    } else {
      out = value;
    }
  }

  void duration(const YAML::Node& p, std::string_view key, const std::string& path, Duration& out,
                Duration lo = Duration::zero(), Duration hi = std::chrono::hours(24 * 366)) {
    auto v = scalar(p, key, path);
    if (!v) return;
    auto full = join_path(path, key);
    auto d = parse_duration(*v);
    if (!d) {
      error(at(p, key), full, d.error().message);
    } else if (*d < lo || *d > hi) {
      error(at(p, key), full,
            "out of range: " + *v + " (allowed " + format_duration(lo) + ".." + format_duration(hi) + ")");
    } else {
      out = *d;
    }
  }

  void bytes(const YAML::Node& p, std::string_view key, const std::string& path, std::uint64_t& out,
             std::uint64_t lo, std::uint64_t hi) {
    auto v = scalar(p, key, path);
    if (!v) return;
    auto full = join_path(path, key);
    auto b = parse_byte_size(*v);
    if (!b) {
      error(at(p, key), full, b.error().message);
    } else if (*b < lo || *b > hi) {
      error(at(p, key), full, "out of range: " + *v);
    } else {
      out = *b;
    }
  }

  template <class E>
  void choice(const YAML::Node& p, std::string_view key, const std::string& path, E& out,
              std::initializer_list<std::pair<std::string_view, E>> options) {
    auto v = scalar(p, key, path);
    if (!v) return;
    std::string names;
    for (const auto& [name, value] : options) {
      if (*v == name) {
        out = value;
        return;
      }
      names += names.empty() ? "" : ", ";
      names += name;
    }
    error(at(p, key), join_path(path, key), "'" + *v + "' is not one of: " + names);
  }

  // A credential from `key` (a ${ENV} reference; inline values are accepted with a warning),
  // `key_file` (a file holding it) or `key_credential` (a systemd LoadCredential= name).
  void secret(const YAML::Node& p, const std::string& key, const std::string& path, Secret& out) {
    auto inline_node = at(p, key);
    auto file_node = at(p, key + "_file");
    auto cred_node = at(p, key + "_credential");
    int given = (inline_node.IsDefined() && !inline_node.IsNull()) +
                (file_node.IsDefined() && !file_node.IsNull()) +
                (cred_node.IsDefined() && !cred_node.IsNull());
    if (given > 1) {
      error(p, join_path(path, key),
            "give only one of " + key + ", " + key + "_file, " + key + "_credential");
      return;
    }
    if (inline_node.IsDefined() && !inline_node.IsNull()) {
      if (!inline_node.IsScalar()) {
        error(inline_node, join_path(path, key), "expected a single value");
        return;
      }
      if (inline_node.Scalar().find("${") == std::string::npos) {
        warn(inline_node, join_path(path, key),
             "secret written inline; prefer ${ENV_VAR}, " + key + "_file or " + key + "_credential");
      }
      if (auto v = scalar(p, key, path)) out = Secret(std::move(*v));
    } else if (file_node.IsDefined() && !file_node.IsNull()) {
      auto file = scalar(p, key + "_file", path);
      if (!file) return;
      read_secret_file(file_node, join_path(path, key + "_file"), resolve(*file), out);
    } else if (cred_node.IsDefined() && !cred_node.IsNull()) {
      auto name = scalar(p, key + "_credential", path);
      if (!name) return;
      auto dir = env_.get("CREDENTIALS_DIRECTORY");
      auto full = join_path(path, key + "_credential");
      if (!dir || dir->empty()) {
        error(cred_node, full, "CREDENTIALS_DIRECTORY is not set (use LoadCredential= in the unit)");
        return;
      }
      if (name->find('/') != std::string::npos) {
        error(cred_node, full, "a credential name must not contain '/'");
        return;
      }
      read_secret_file(cred_node, full, fs::path(*dir) / *name, out);
    }
  }

  fs::path resolve(const std::string& p) const {
    fs::path path(p);
    return path.is_absolute() || base_dir_.empty() ? path : base_dir_ / path;
  }

  std::optional<std::string> read_file(const YAML::Node& at, const std::string& key, const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      error(at, key, "cannot read '" + p.string() + "': " + std::strerror(errno));
      return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  const std::string& file() const { return file_; }

 private:
  void add(std::vector<ConfigIssue>& into, const YAML::Mark& mark, const std::string& key,
           std::string message) {
    into.push_back({file_, mark.is_null() ? 0 : mark.line + 1, mark.is_null() ? 0 : mark.column + 1, key,
                    std::move(message)});
  }

  void read_secret_file(const YAML::Node& at, const std::string& key, const fs::path& p, Secret& out) {
    auto text = read_file(at, key, p);
    if (!text) return;
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' ')) {
      text->pop_back();
    }
    if (text->empty()) {
      error(at, key, "'" + p.string() + "' is empty");
      return;
    }
    out = Secret(std::move(*text));
  }

  // ${NAME} and ${NAME:-default}; "$$" is a literal '$'.
  std::optional<std::string> expand(const YAML::Node& at, const std::string& key, const std::string& in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '$') {
        out.push_back(in[i]);
        continue;
      }
      if (i + 1 < in.size() && in[i + 1] == '$') {
        out.push_back('$');
        ++i;
        continue;
      }
      if (i + 1 >= in.size() || in[i + 1] != '{') {
        out.push_back('$');
        continue;
      }
      auto close = in.find('}', i + 2);
      if (close == std::string::npos) {
        error(at, key, "unterminated ${...} reference");
        return std::nullopt;
      }
      std::string ref = in.substr(i + 2, close - i - 2);
      std::optional<std::string> fallback;
      if (auto sep = ref.find(":-"); sep != std::string::npos) {
        fallback = ref.substr(sep + 2);
        ref.resize(sep);
      }
      static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
      if (!std::regex_match(ref, kName)) {
        error(at, key, "invalid variable name in ${" + ref + "}");
        return std::nullopt;
      }
      auto value = env_.get(ref);
      if (value && !value->empty()) {
        out += *value;
      } else if (fallback) {
        out += *fallback;
      } else {
        error(at, key, "environment variable " + ref + " is not set");
        return std::nullopt;
      }
      i = close;
    }
    return out;
  }

  std::string file_;
  fs::path base_dir_;
  const Environment& env_;
  LoadOutcome& out_;
};

// YAML -> JSON for inline MapConfigs and template params; quoted scalars stay strings.
boost::json::value to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Sequence: {
      boost::json::array a;
      for (const auto& item : n) a.push_back(to_json(item));
      return a;
    }
    case YAML::NodeType::Map: {
      boost::json::object o;
      for (auto it = n.begin(); it != n.end(); ++it) o[it->first.Scalar()] = to_json(it->second);
      return o;
    }
    case YAML::NodeType::Scalar: break;
  }
  const auto& s = n.Scalar();
  if (n.Tag() == "!") return boost::json::string(s);
  if (s == "true") return true;
  if (s == "false") return false;
  if (s == "null" || s == "~") return nullptr;
  std::int64_t i = 0;
  if (auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      ec == std::errc() && p == s.data() + s.size()) {
    return i;
  }
  double d = 0;
  if (auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      ec == std::errc() && p == s.data() + s.size()) {
    return d;
  }
  return boost::json::string(s);
}

bool is_loopback_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

class Loader {
 public:
  Loader(Reader& r, LoadOutcome& out) : r_(r), out_(out) {}

  void root(const YAML::Node& doc) {
    auto& c = out_.config;
    if (!doc.IsDefined() || doc.IsNull()) {
      r_.error(doc, "", "the file is empty");
      return;
    }
    if (!r_.map(doc, "", {"log", "store", "server", "defaults", "sources", "jobs"})) return;
    log(at(doc, "log"));
    store(at(doc, "store"));
    server(at(doc, "server"));
    defaults(at(doc, "defaults"));
    sources(doc, at(doc, "sources"));
    jobs(at(doc, "jobs"));
    (void)c;
  }

 private:
  void log(const YAML::Node& n) {
    auto& c = out_.config.log;
    if (!r_.map(n, "log", {"level", "format", "file"})) return;
    r_.choice<std::string>(n, "level", "log", c.level,
                           {{"trace", "trace"},
                            {"debug", "debug"},
                            {"info", "info"},
                            {"warn", "warn"},
                            {"error", "error"},
                            {"critical", "critical"},
                            {"off", "off"}});
    r_.choice(n, "format", "log", c.format, {{"text", LogFormat::text}, {"json", LogFormat::json}});
    r_.string(n, "file", "log", c.file);
    if (!c.file.empty()) c.file = r_.resolve(c.file).string();
  }

  void store(const YAML::Node& n) {
    auto& c = out_.config.store;
    if (!r_.map(n, "store", {"path", "busy_timeout", "keep_runs", "keep_for", "queue_bytes"})) return;
    r_.string(n, "path", "store", c.path);
    if (c.path.empty())
      r_.error(at(n, "path"), "store.path", "must not be empty");
    else if (c.path != ":memory:")
      c.path = r_.resolve(c.path).string();
    r_.duration(n, "busy_timeout", "store", c.busy_timeout, Duration(1), std::chrono::minutes(10));
    r_.integer<std::uint32_t>(n, "keep_runs", "store", c.keep_runs, 0, 1'000'000);
    r_.duration(n, "keep_for", "store", c.keep_for);
    r_.bytes(n, "queue_bytes", "store", c.queue_bytes, 1 << 20, 1ULL << 34);
  }

  void server(const YAML::Node& n) {
    auto& c = out_.config.server;
    if (r_.map(n, "server",
               {"listen", "bearer_token", "bearer_token_file", "bearer_token_credential", "max_connections",
                "shutdown_timeout"})) {
      r_.string(n, "listen", "server", c.listen);
      r_.secret(n, "bearer_token", "server", c.bearer_token);
      r_.integer<std::uint32_t>(n, "max_connections", "server", c.max_connections, 1, 100'000);
      r_.duration(n, "shutdown_timeout", "server", c.shutdown_timeout, Duration::zero(),
                  std::chrono::hours(1));
    }
    static const std::regex kListen(R"(^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})$)");
    std::smatch m;
    if (!std::regex_match(c.listen, m, kListen) || std::stoul(m[2].str()) > 65535) {
      r_.error(at(n, "listen"), "server.listen",
               "expected host:port (e.g. 127.0.0.1:9464), got '" + c.listen + "'");
    } else if (!is_loopback_listen(c.listen) && c.bearer_token.empty()) {
      r_.error(at(n, "listen"), "server.listen",
               "listening beyond loopback needs server.bearer_token (or bearer_token_file) for /api/*");
    }
  }

  void http(const YAML::Node& n, const std::string& path, HttpConfig& c) {
    if (!r_.map(n, path,
                {"connect_timeout", "read_timeout", "request_timeout", "max_body_bytes", "max_redirects",
                 "max_connections_per_origin"})) {
      return;
    }
    r_.duration(n, "connect_timeout", path, c.connect_timeout, Duration(1), std::chrono::minutes(10));
    r_.duration(n, "read_timeout", path, c.read_timeout, Duration(1), std::chrono::hours(1));
    r_.duration(n, "request_timeout", path, c.request_timeout, Duration(1), std::chrono::hours(24));
    r_.bytes(n, "max_body_bytes", path, c.max_body_bytes, 1024, 1ULL << 34);
    r_.integer<std::uint32_t>(n, "max_redirects", path, c.max_redirects, 0, 20);
    r_.integer<std::uint32_t>(n, "max_connections_per_origin", path, c.max_connections_per_origin, 1, 1024);
  }

  void retry(const YAML::Node& n, const std::string& path, RetryConfig& c) {
    if (!r_.map(n, path,
                {"max_attempts", "backoff_base", "backoff_factor", "backoff_cap", "retry_after_cap",
                 "budget_ratio"})) {
      return;
    }
    r_.integer<std::uint32_t>(n, "max_attempts", path, c.max_attempts, 1, 100);
    r_.duration(n, "backoff_base", path, c.backoff_base, Duration(1), std::chrono::hours(1));
    r_.number(n, "backoff_factor", path, c.backoff_factor, 1.0, 10.0);
    r_.duration(n, "backoff_cap", path, c.backoff_cap, Duration(1), std::chrono::hours(24));
    r_.duration(n, "retry_after_cap", path, c.retry_after_cap, Duration::zero(), std::chrono::hours(24));
    r_.number(n, "budget_ratio", path, c.budget_ratio, 0.0, 10.0);
    if (c.backoff_cap < c.backoff_base) {
      r_.error(at(n, "backoff_cap"), join_path(path, "backoff_cap"), "must not be below backoff_base");
    }
  }

  void concurrency(const YAML::Node& n, const std::string& path, ConcurrencyConfig& c) {
    if (!r_.map(n, path, {"max", "initial", "adaptive"})) return;
    r_.integer<std::uint32_t>(n, "max", path, c.max, 1, 1024);
    r_.integer<std::uint32_t>(n, "initial", path, c.initial, 1, 1024);
    r_.boolean(n, "adaptive", path, c.adaptive);
    if (c.initial > c.max) r_.error(at(n, "initial"), join_path(path, "initial"), "must not exceed max");
  }

  void rate_limits(const YAML::Node& n, const std::string& path, std::map<std::string, RateLimit>& c) {
    if (!n.IsDefined() || n.IsNull()) return;
    auto known = default_rate_limits();
    if (!r_.map(n, path, {})) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      auto group = it->first.Scalar();
      auto gpath = join_path(path, group);
      if (!known.contains(group)) {
        std::string names;
        for (const auto& [k, v] : known) names += (names.empty() ? "" : ", ") + k;
        r_.error(it->first, gpath, "unknown endpoint group (known: " + names + ")");
        continue;
      }
      auto& limit = c[group];
      if (!r_.map(it->second, gpath, {"rate", "burst"})) {
        if (!it->second.IsMap()) r_.error(it->second, gpath, "expected {rate, burst}");
        continue;
      }
      r_.number(it->second, "rate", gpath, limit.rate, 0.001, 100'000.0);
      limit.burst = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(limit.rate));
      r_.integer<std::uint32_t>(it->second, "burst", gpath, limit.burst, 1, 1'000'000);
    }
  }

  void defaults(const YAML::Node& n) {
    auto& d = out_.config.defaults;
    if (r_.map(n, "defaults",
               {"http", "retry", "concurrency", "rate_limits", "failure_threshold", "max_token_renewals"})) {
      http(at(n, "http"), "defaults.http", d.http);
      retry(at(n, "retry"), "defaults.retry", d.retry);
      concurrency(at(n, "concurrency"), "defaults.concurrency", d.concurrency);
      rate_limits(at(n, "rate_limits"), "defaults.rate_limits", d.rate_limits);
      r_.number(n, "failure_threshold", "defaults", d.failure_threshold, 0.0, 1.0);
      r_.integer<std::uint32_t>(n, "max_token_renewals", "defaults", d.max_token_renewals, 0, 100);
    }
  }

  void sources(const YAML::Node& doc, const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) {
      // An absent key has no position of its own; the document's start still gives file:line.
      r_.error(doc, "sources", "at least one source is required");
      return;
    }
    if (!r_.map(n, "sources", {})) return;
    if (n.size() == 0) {
      r_.error(n, "sources", "at least one source is required");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      auto name = it->first.Scalar();
      auto path = join_path("sources", name);
      if (!valid_name(name)) {
        r_.error(it->first, path, "a source name is letters, digits, '_', '-' or '.'");
      }
      SourceConfig s;
      s.name = name;
      s.http = out_.config.defaults.http;
      s.retry = out_.config.defaults.retry;
      s.concurrency = out_.config.defaults.concurrency;
      s.rate_limits = out_.config.defaults.rate_limits;
      source(it->second, path, s);
      out_.config.sources.emplace(name, std::move(s));
    }
  }

  void source(const YAML::Node& n, const std::string& path, SourceConfig& s) {
    if (!r_.map(n, path,
                {"shape", "base_url", "user", "api_key", "api_key_file", "api_key_credential", "auth", "tls",
                 "http", "retry", "concurrency", "rate_limits"})) {
      r_.error(n, path, "expected a mapping with at least base_url or shape");
      return;
    }
    r_.choice(n, "shape", path, s.shape, {{"seed", ApiShape::seed}, {"v1", ApiShape::v1}});
    r_.string(n, "user", path, s.user);
    r_.string(n, "base_url", path, s.base_url);
    r_.secret(n, "api_key", path, s.api_key);
    r_.choice(n, "auth", path, s.auth,
              {{"query", AuthMode::query}, {"basic", AuthMode::basic}, {"none", AuthMode::none}});
    if (r_.map(at(n, "tls"), join_path(path, "tls"), {"ca_file", "insecure_skip_verify"})) {
      r_.string(at(n, "tls"), "ca_file", join_path(path, "tls"), s.tls.ca_file);
      if (!s.tls.ca_file.empty()) {
        s.tls.ca_file = r_.resolve(s.tls.ca_file).string();
        if (!std::filesystem::exists(s.tls.ca_file)) {
          r_.error(at(at(n, "tls"), "ca_file"), join_path(path, "tls.ca_file"),
                   "no such file: " + s.tls.ca_file);
        }
      }
      r_.boolean(at(n, "tls"), "insecure_skip_verify", join_path(path, "tls"), s.tls.insecure_skip_verify);
      if (s.tls.insecure_skip_verify) {
        r_.warn(at(at(n, "tls"), "insecure_skip_verify"), join_path(path, "tls.insecure_skip_verify"),
                "TLS certificate verification is off for this source");
      }
    }
    http(at(n, "http"), join_path(path, "http"), s.http);
    retry(at(n, "retry"), join_path(path, "retry"), s.retry);
    concurrency(at(n, "concurrency"), join_path(path, "concurrency"), s.concurrency);
    rate_limits(at(n, "rate_limits"), join_path(path, "rate_limits"), s.rate_limits);

    if (s.base_url.empty()) {
      if (s.shape == ApiShape::seed) {
        s.base_url = "https://g.maps.carto.com/v1/";
      } else if (!s.user.empty()) {
        s.base_url = "https://" + s.user + ".carto.com/api/v1/";
      } else {
        r_.error(n, join_path(path, "base_url"), "a v1 source needs base_url or user");
      }
    }
    if (!s.base_url.empty()) {
      auto url = boost::urls::parse_absolute_uri(s.base_url);
      if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
        r_.error(at(n, "base_url"), join_path(path, "base_url"),
                 "expected an http:// or https:// URL, got '" + s.base_url + "'");
      } else if (url->has_query() || url->has_fragment()) {
        r_.error(at(n, "base_url"), join_path(path, "base_url"),
                 "must not carry a query or fragment (put parameters on resources)");
      } else if (s.base_url.back() != '/') {
        s.base_url.push_back('/');  // resource paths are relative to it
      }
    }
    if (s.auth == AuthMode::basic && s.user.empty()) {
      r_.error(at(n, "auth"), join_path(path, "auth"), "basic auth needs user");
    }
  }

  static bool valid_name(const std::string& name) {
    static const std::regex kName("[A-Za-z0-9_.-]{1,64}");
    return std::regex_match(name, kName);
  }

  void jobs(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return;  // a config with no jobs serves metrics only
    if (!n.IsSequence()) {
      r_.error(n, "jobs", "expected a list of jobs");
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto path = "jobs[" + std::to_string(i) + "]";
      JobConfig j;
      job(n[i], path, j);
      if (!j.name.empty() && !names.insert(j.name).second) {
        r_.error(at(n[i], "name"), path + ".name", "duplicate job name '" + j.name + "'");
      }
      out_.config.jobs.push_back(std::move(j));
    }
  }

  void job(const YAML::Node& n, const std::string& path, JobConfig& j) {
    if (!r_.map(n, path, {"name", "source", "schedule", "resources"})) {
      r_.error(n, path, "expected a job with name, source and resources");
      return;
    }
    r_.string(n, "name", path, j.name);
    if (j.name.empty()) {
      r_.error(n, path + ".name", "is required");
    } else if (!valid_name(j.name)) {
      r_.error(at(n, "name"), path + ".name", "a job name is 1-64 letters, digits, '_', '-' or '.'");
    }
    r_.string(n, "source", path, j.source);
    if (j.source.empty()) {
      r_.error(n, path + ".source", "is required");
    } else if (!out_.config.sources.contains(j.source)) {
      r_.error(at(n, "source"), path + ".source", "unknown source '" + j.source + "'");
    }
    schedule(at(n, "schedule"), path + ".schedule", j.schedule);
    auto res = at(n, "resources");
    if (!res.IsDefined() || res.IsNull() || !res.IsSequence() || res.size() == 0) {
      r_.error(res.IsDefined() ? res : n, path + ".resources", "expected a non-empty list of resources");
      return;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < res.size(); ++i) {
      auto rpath = path + ".resources[" + std::to_string(i) + "]";
      ResourceConfig r;
      resource(res[i], rpath, r);
      if (!r.parent.empty() && !names.contains(r.parent)) {
        r_.error(at(res[i], "parent"), rpath + ".parent",
                 "parent '" + r.parent + "' must be a resource listed earlier in this job");
      }
      if (!r.name.empty() && !names.insert(r.name).second) {
        r_.error(at(res[i], "name"), rpath + ".name", "duplicate resource name '" + r.name + "'");
      }
      j.resources.push_back(std::move(r));
    }
  }

  void schedule(const YAML::Node& n, const std::string& path, ScheduleConfig& s) {
    if (!r_.map(n, path, {"every", "cron", "timezone", "jitter", "offset", "run_at_start"})) return;
    if (at(n, "every").IsDefined() && !at(n, "every").IsNull()) {
      Duration every{};
      r_.duration(n, "every", path, every, std::chrono::seconds(1), std::chrono::hours(24 * 366));
      if (every.count() > 0) s.every = every;
    }
    r_.string(n, "cron", path, s.cron);
    r_.string(n, "timezone", path, s.timezone);
    r_.duration(n, "jitter", path, s.jitter);
    r_.duration(n, "offset", path, s.offset);
    r_.boolean(n, "run_at_start", path, s.run_at_start);
    if (s.every && !s.cron.empty()) {
      r_.error(at(n, "cron"), path + ".cron", "give either every or cron, not both");
    }
    if (!s.cron.empty()) {
      static const std::regex kCron(R"(^\s*[0-9A-Za-z*,/-]+(\s+[0-9A-Za-z*,/-]+){4}\s*$)");
      if (!std::regex_match(s.cron, kCron)) {
        r_.error(at(n, "cron"), path + ".cron",
                 "expected 5 fields (minute hour day-of-month month day-of-week), got '" + s.cron + "'");
      }
    }
    if (s.timezone != "UTC" && !std::filesystem::exists("/usr/share/zoneinfo/" + s.timezone)) {
      r_.error(at(n, "timezone"), path + ".timezone", "unknown time zone '" + s.timezone + "'");
    }
    if (s.every && s.jitter >= *s.every) {
      r_.error(at(n, "jitter"), path + ".jitter", "must be shorter than every");
    }
    if (s.every && s.offset >= *s.every) {
      r_.error(at(n, "offset"), path + ".offset", "must be shorter than every");
    }
  }

  void bbox(const YAML::Node& n, const std::string& path, BBox& b) {
    if (!n.IsSequence() || n.size() != 4) {
      r_.error(n, path, "expected [west, south, east, north] in degrees");
      return;
    }
    double v[4] = {};
    for (std::size_t i = 0; i < 4; ++i) {
      const auto& s = n[i].Scalar();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v[i]);
      if (!n[i].IsScalar() || ec != std::errc() || p != s.data() + s.size()) {
        r_.error(n[i], path, "expected a number, got '" + s + "'");
        return;
      }
    }
    b = {v[0], v[1], v[2], v[3]};
    constexpr double kMaxLat = 85.0511287798066;
    if (b.west < -180 || b.east > 180 || b.west >= b.east) {
      r_.error(n, path, "longitudes must satisfy -180 <= west < east <= 180");
    } else if (b.south < -kMaxLat - 1e-9 || b.north > kMaxLat + 1e-9 || b.south >= b.north) {
      r_.error(n, path, "latitudes must satisfy -85.0511 <= south < north <= 85.0511 (Web Mercator)");
    }
  }

  void resource(const YAML::Node& n, const std::string& path, ResourceConfig& r) {
    if (!r_.map(
            n, path,
            {"name", "kind", "path", "method", "params", "data_selector", "write_disposition", "primary_key",
             "parent", "map_config", "map_config_file", "template_id", "template_params", "auth_token",
             "auth_token_file", "auth_token_credential", "max_body_bytes", "tiles", "static"})) {
      r_.error(n, path, "expected a resource with name and kind");
      return;
    }
    r_.string(n, "name", path, r.name);
    if (r.name.empty())
      r_.error(n, path + ".name", "is required");
    else if (!valid_name(r.name))
      r_.error(at(n, "name"), path + ".name", "letters, digits, '_', '-' or '.'");
    if (!at(n, "kind").IsDefined()) {
      r_.error(n, path + ".kind", "is required");
    }
    using K = ResourceKind;
    r_.choice(n, "kind", path, r.kind,
              {{"map", K::map},
               {"layergroup", K::layergroup},
               {"static", K::static_image},
               {"tiles", K::tiles},
               {"metadata", K::metadata},
               {"anonymous_map", K::anonymous_map},
               {"named_map", K::named_map},
               {"named_templates", K::named_templates},
               {"named_template", K::named_template},
               {"named_tiles", K::named_tiles},
               {"static_center", K::static_center},
               {"static_bbox", K::static_bbox},
               {"static_named", K::static_named}});
    r_.string(n, "path", path, r.path);
    r_.choice<std::string>(n, "method", path, r.method, {{"GET", "GET"}, {"POST", "POST"}});
    if (r_.map(at(n, "params"), path + ".params", {})) {
      for (auto it = at(n, "params").begin(); it != at(n, "params").end(); ++it) {
        if (auto v = r_.scalar(at(n, "params"), it->first.Scalar(), path + ".params")) {
          r.params[it->first.Scalar()] = *v;
        }
      }
    }
    r_.string(n, "data_selector", path, r.data_selector);
    if (!r.data_selector.empty() && r.data_selector.front() != '/') {
      r_.error(at(n, "data_selector"), path + ".data_selector",
               "a JSON Pointer starts with '/' (e.g. /layergroupid)");
    }
    r_.choice(n, "write_disposition", path, r.write_disposition,
              {{"append", WriteDisposition::append},
               {"replace", WriteDisposition::replace},
               {"merge", WriteDisposition::merge}});
    auto pk = at(n, "primary_key");
    if (pk.IsDefined() && !pk.IsNull()) {
      if (pk.IsScalar()) {
        r.primary_key.push_back(pk.Scalar());
      } else if (pk.IsSequence()) {
        for (const auto& k : pk) r.primary_key.push_back(k.Scalar());
      } else {
        r_.error(pk, path + ".primary_key", "expected a column name or a list of them");
      }
    }
    if (r.write_disposition == WriteDisposition::merge && r.primary_key.empty()) {
      r_.error(at(n, "write_disposition"), path + ".primary_key", "merge needs primary_key");
    }
    r_.string(n, "parent", path, r.parent);
    auto mc = at(n, "map_config");
    if (mc.IsDefined() && !mc.IsNull()) {
      if (mc.IsMap()) {
        r.map_config = boost::json::serialize(to_json(mc));
      } else if (mc.IsScalar()) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(mc.Scalar(), ec);
        if (ec || !parsed.is_object()) {
          r_.error(mc, path + ".map_config", "expected a MapConfig object (YAML or JSON text)");
        } else {
          r.map_config = boost::json::serialize(parsed);
        }
      } else {
        r_.error(mc, path + ".map_config", "expected a MapConfig object");
      }
    }
    r_.string(n, "map_config_file", path, r.map_config_file);
    if (!r.map_config_file.empty()) {
      if (!r.map_config.empty()) {
        r_.error(at(n, "map_config_file"), path + ".map_config_file",
                 "give map_config or map_config_file, not both");
      }
      auto file = r_.resolve(r.map_config_file);
      r.map_config_file = file.string();
      if (auto text = r_.read_file(at(n, "map_config_file"), path + ".map_config_file", file)) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(*text, ec);
        if (ec || !parsed.is_object()) {
          r_.error(at(n, "map_config_file"), path + ".map_config_file",
                   file.string() + " does not hold a JSON object" + (ec ? ": " + ec.message() : ""));
        } else {
          r.map_config = boost::json::serialize(parsed);
        }
      }
    }
    r_.string(n, "template_id", path, r.template_id);
    auto tp = at(n, "template_params");
    if (tp.IsDefined() && !tp.IsNull()) {
      if (!tp.IsMap())
        r_.error(tp, path + ".template_params", "expected a mapping of placeholder values");
      else
        r.template_params = boost::json::serialize(to_json(tp));
    }
    r_.secret(n, "auth_token", path, r.auth_token);
    if (at(n, "max_body_bytes").IsDefined()) {
      std::uint64_t limit = out_.config.defaults.http.max_body_bytes;
      r_.bytes(n, "max_body_bytes", path, limit, 1024, 1ULL << 34);
      r.max_body_bytes = limit;
    }
    tiles(at(n, "tiles"), path + ".tiles", r);
    static_image(at(n, "static"), path + ".static", r);
    requirements(n, path, r);
  }

  void tiles(const YAML::Node& n, const std::string& path, ResourceConfig& r) {
    auto& t = r.tiles;
    if (!r_.map(
            n, path,
            {"min_zoom", "max_zoom", "bbox", "coverage_file", "formats", "layer", "scale", "prune_empty"})) {
      return;
    }
    r_.integer<std::uint32_t>(n, "min_zoom", path, t.min_zoom, 0, 30);
    r_.integer<std::uint32_t>(n, "max_zoom", path, t.max_zoom, 0, 30);
    if (t.min_zoom > t.max_zoom) r_.error(at(n, "min_zoom"), path + ".min_zoom", "must not exceed max_zoom");
    auto bb = at(n, "bbox");
    if (bb.IsDefined() && !bb.IsNull()) {
      // One box [w,s,e,n] or a list of boxes.
      if (bb.IsSequence() && bb.size() > 0 && bb[0].IsSequence()) {
        for (std::size_t i = 0; i < bb.size(); ++i) {
          BBox b;
          bbox(bb[i], path + ".bbox[" + std::to_string(i) + "]", b);
          t.bbox.push_back(b);
        }
      } else {
        BBox b;
        bbox(bb, path + ".bbox", b);
        t.bbox.push_back(b);
      }
    }
    r_.string(n, "coverage_file", path, t.coverage_file);
    if (!t.coverage_file.empty()) {
      t.coverage_file = r_.resolve(t.coverage_file).string();
      if (!std::filesystem::exists(t.coverage_file)) {
        r_.error(at(n, "coverage_file"), path + ".coverage_file", "no such file: " + t.coverage_file);
      }
    }
    auto f = at(n, "formats");
    if (f.IsDefined() && !f.IsNull()) {
      t.formats.clear();
      if (f.IsScalar())
        t.formats.push_back(f.Scalar());
      else if (f.IsSequence())
        for (const auto& x : f) t.formats.push_back(x.Scalar());
      static const std::set<std::string> kFormats = {"png", "png32", "mvt", "grid.json", "jpg"};
      for (const auto& x : t.formats) {
        if (!kFormats.contains(x)) {
          r_.error(f, path + ".formats", "'" + x + "' is not one of: png, png32, mvt, grid.json, jpg");
        }
      }
      if (t.formats.empty()) r_.error(f, path + ".formats", "must list at least one format");
    }
    r_.string(n, "layer", path, t.layer);
    r_.integer<std::uint32_t>(n, "scale", path, t.scale, 1, 2);
    r_.boolean(n, "prune_empty", path, t.prune_empty);
  }

  void static_image(const YAML::Node& n, const std::string& path, ResourceConfig& r) {
    auto& s = r.static_image;
    if (!r_.map(n, path, {"width", "height", "format", "lat", "lng", "zoom", "bbox"})) return;
    // CARTO's static maps are limited to 4000x4000 pixels (carto-maps-api.md §6).
    r_.integer<std::uint32_t>(n, "width", path, s.width, 1, 4000);
    r_.integer<std::uint32_t>(n, "height", path, s.height, 1, 4000);
    r_.choice<std::string>(n, "format", path, s.format, {{"png", "png"}, {"jpg", "jpg"}});
    if (at(n, "lat").IsDefined()) {
      double v = 0;
      r_.number(n, "lat", path, v, -85.0511287798066, 85.0511287798066);
      s.lat = v;
    }
    if (at(n, "lng").IsDefined()) {
      double v = 0;
      r_.number(n, "lng", path, v, -180, 180);
      s.lng = v;
    }
    if (at(n, "zoom").IsDefined()) {
      std::uint32_t z = 0;
      r_.integer<std::uint32_t>(n, "zoom", path, z, 0, 30);
      s.zoom = z;
    }
    if (at(n, "bbox").IsDefined()) {
      BBox b;
      bbox(at(n, "bbox"), path + ".bbox", b);
      s.bbox = b;
    }
  }

  // What each kind needs beyond the common keys.
  void requirements(const YAML::Node& n, const std::string& path, const ResourceConfig& r) {
    using K = ResourceKind;
    auto need = [&](bool ok, const char* key, const char* what) {
      if (!ok) r_.error(n, path + "." + key, std::string("kind ") + to_string(r.kind) + " needs " + what);
    };
    switch (r.kind) {
      case K::anonymous_map:
        need(!r.map_config.empty(), "map_config", "map_config or map_config_file");
        break;
      case K::named_map:
      case K::named_template:
      case K::named_tiles:
      case K::static_named: need(!r.template_id.empty(), "template_id", "template_id"); break;
      case K::static_center:
        need(r.static_image.lat && r.static_image.lng && r.static_image.zoom, "static",
             "static.lat, static.lng and static.zoom");
        break;
      case K::static_bbox: need(r.static_image.bbox.has_value(), "static", "static.bbox"); break;
      default: break;
    }
    bool tiled = r.kind == K::tiles || r.kind == K::named_tiles;
    if (!tiled && at(n, "tiles").IsDefined()) {
      r_.error(at(n, "tiles"), path + ".tiles",
               std::string("kind ") + to_string(r.kind) + " takes no tiles block");
    }
  }

  Reader& r_;
  LoadOutcome& out_;
};

}  // namespace

std::string ConfigIssue::to_string() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  s += ": ";
  if (!key.empty()) s += key + ": ";
  s += message;
  return s;
}

Environment Environment::process() {
  return {[](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  }};
}

LoadOutcome parse_config(std::string_view yaml_text, const std::string& file, const Environment& env) {
  LoadOutcome out;
  out.config.file = file;
  Reader reader(file, env, out);
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    reader.error_at(e.mark, "", "YAML syntax error: " + e.msg);
    return out;
  }
  try {
    Loader(reader, out).root(doc);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on shapes we did not expect (e.g. a scalar indexed as a map).
    reader.error_at(e.mark, "", "unexpected structure: " + e.msg);
  }
  return out;
}

LoadOutcome load_config_file(const std::string& path, const Environment& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadOutcome out;
    out.config.file = path;
    out.errors.push_back({path, 0, 0, "", std::string("cannot read: ") + std::strerror(errno)});
    return out;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path, env);
}

Error to_error(const LoadOutcome& outcome) {
  std::string message;
  for (const auto& issue : outcome.errors) {
    if (!message.empty()) message += '\n';
    message += issue.to_string();
  }
  return Error(errc::config_invalid, std::move(message));
}

}  // namespace cartopull::config
