#include "http/proxy_config.hpp"

#include <cstdlib>

#include "http/headers.hpp"

namespace cartopull::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* plain_getenv(const char* name) {
  return std::getenv(name);
}

}  // namespace

ProxyConfig ProxyConfig::from_env(const char* (*getenv_fn)(const char*)) {
  if (!getenv_fn) getenv_fn = plain_getenv;
  auto read = [&](const char* lower, const char* upper) {
    const char* v = getenv_fn(lower);
    if (!v || !*v) v = getenv_fn(upper);
    return std::string(v ? v : "");
  };
  ProxyConfig c;
  c.http_proxy = read("http_proxy", "HTTP_PROXY");
  c.https_proxy = read("https_proxy", "HTTPS_PROXY");
  c.no_proxy = read("no_proxy", "NO_PROXY");
  return c;
}

bool no_proxy_matches(std::string_view no_proxy, const Origin& target) {
  while (!no_proxy.empty()) {
    auto comma = no_proxy.find(',');
    std::string_view entry = trim(no_proxy.substr(0, comma));
    no_proxy = comma == std::string_view::npos ? std::string_view{} : no_proxy.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // An optional port (not for a bare IPv6 literal, which has several colons).
    if (auto colon = entry.rfind(':'); colon != std::string_view::npos && entry.find(':') == colon) {
      if (entry.substr(colon + 1) != std::to_string(target.port)) continue;
      entry = entry.substr(0, colon);
    }
    if (!entry.empty() && entry.front() == '[' && entry.back() == ']')
      entry = entry.substr(1, entry.size() - 2);
    if (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
    std::string_view host = target.host;
    if (iequals(host, entry)) return true;
    if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
        iequals(host.substr(host.size() - entry.size()), entry) && !is_ip_literal(host))
      return true;
  }
  return false;
}

std::optional<Origin> ProxyConfig::proxy_for(const Origin& target) const {
  const std::string& proxy = target.tls ? https_proxy : http_proxy;
  if (proxy.empty() || no_proxy_matches(no_proxy, target)) return std::nullopt;
  // "host:port" without a scheme is common in the wild.
  std::string url = proxy.find("://") == std::string::npos ? "http://" + proxy : proxy;
  auto t = parse_target(url);
  if (!t) return std::nullopt;
  Origin o = t->origin;
  o.tls = false;  // CONNECT to the proxy itself is plain TCP
  return o;
}

}  // namespace cartopull::http
