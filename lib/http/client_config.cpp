#include "http/client_config.hpp"

#include "http/url.hpp"

namespace cartopull::http {

result<ClientOptions> client_options(const config::SourceConfig& source, ProxyConfig proxy) {
  ClientOptions o;
  o.dns_timeout = source.http.connect_timeout;
  o.connect_timeout = source.http.connect_timeout;
  o.tls_timeout = source.http.connect_timeout;
  o.io_timeout = source.http.read_timeout;
  o.request_timeout = source.http.request_timeout;
  o.max_body_bytes = source.http.max_body_bytes;
  o.max_redirects = source.http.max_redirects;
  o.max_connections_per_origin = source.http.max_connections_per_origin;
  o.ca_file = source.tls.ca_file;
  o.insecure_skip_verify = source.tls.insecure_skip_verify;
  o.proxy = std::move(proxy);
  if (!source.api_key.empty() && source.auth != config::AuthMode::none) {
    auto base = parse_target(source.base_url);
    if (!base) return base.error();
    o.auth.mode = source.auth == config::AuthMode::basic ? AuthMode::basic : AuthMode::query;
    o.auth.origin = base->origin.key();
    o.auth.user = source.user;
    o.auth.key = source.api_key;
  }
  return o;
}

}  // namespace cartopull::http
