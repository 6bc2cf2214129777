#pragma once

#include "config/config.hpp"
#include "core/result.hpp"
#include "http/client.hpp"
#include "http/proxy_config.hpp"

namespace cartopull::http {

// ClientOptions for one configured source: its timeouts (connect_timeout bounds DNS, connect and the TLS
// handshake each; read_timeout each read/write step; request_timeout the whole exchange), body and
// redirect limits, pool size, TLS settings, and its API key in the configured form, bound to the origin
// of base_url. `proxy` is usually ProxyConfig::from_env(). Fails (config_invalid) on a bad base_url.
result<ClientOptions> client_options(const config::SourceConfig& source, ProxyConfig proxy);

}  // namespace cartopull::http
