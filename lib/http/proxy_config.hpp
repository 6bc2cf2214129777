#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/url.hpp"

namespace cartopull::http {

// Which proxy a request goes through, from HTTP_PROXY / HTTPS_PROXY / NO_PROXY (or their lower-case
// forms, which win, as curl does). Every proxied request is tunnelled with CONNECT, so TLS stays end to end.
struct ProxyConfig {
  std::string http_proxy{};   // for http:// targets, e.g. "http://proxy:3128"; empty: direct
  std::string https_proxy{};  // for https:// targets
  std::string no_proxy{};     // comma-separated hosts/domains/IPs; "*" disables proxying

  // Reads the environment; `getenv` is injectable for tests.
  static ProxyConfig from_env(const char* (*getenv_fn)(const char*) = nullptr);

  // The proxy's origin for a target, or nothing for a direct connection.
  std::optional<Origin> proxy_for(const Origin& target) const;
};

// NO_PROXY matching: "example.com" and ".example.com" match the host and its subdomains; an entry may carry
// ":port"; IP literals match exactly; "*" matches everything.
bool no_proxy_matches(std::string_view no_proxy, const Origin& target);

}  // namespace cartopull::http
