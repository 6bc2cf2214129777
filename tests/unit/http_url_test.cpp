#include <gtest/gtest.h>

#include "http/client_config.hpp"
#include "http/proxy_config.hpp"
#include "http/url.hpp"

namespace cartopull::http {
namespace {

TEST(HttpUrl, splits_absolute_urls_for_the_wire) {
  struct Case {
    std::string url;
    bool tls;
    std::string host;
    std::uint16_t port;
    std::string target;
  };
  for (const Case& c :
       {Case{"https://u.carto.com/api/v1/map?x=1", true, "u.carto.com", 443, "/api/v1/map?x=1"},
        Case{"http://127.0.0.1:8080", false, "127.0.0.1", 8080, "/"},
        Case{"https://[::1]:9443/a%20b", true, "::1", 9443, "/a%20b"},
        Case{"HTTP://Example.com/", false, "Example.com", 80, "/"}}) {
    auto t = parse_target(c.url);
    ASSERT_TRUE(t.has_value()) << c.url;
    EXPECT_EQ(t->origin.tls, c.tls) << c.url;
    EXPECT_EQ(t->origin.host, c.host) << c.url;
    EXPECT_EQ(t->origin.port, c.port) << c.url;
    EXPECT_EQ(t->target, c.target) << c.url;
  }
  for (std::string bad : {"ftp://x/", "/relative", "http://", "http://h:99999/", "not a url"})
    EXPECT_FALSE(parse_target(bad).has_value()) << bad;
}

// Found by fuzz/url_fuzzer: Boost.URL 1.81 reads "h:9a/x" as port 9 with the path "a/x".
TEST(HttpUrl, rejects_a_port_followed_by_anything_but_a_path) {
  for (std::string bad : {"https://h:9a/x", "https://[::2]:9a%30b?q", "http://h:80x"})
    EXPECT_FALSE(parse_target(bad).has_value()) << bad;
}

// Found by fuzz/url_fuzzer: '+' went out literally, which the server decodes as a space.
TEST(HttpUrl, add_query_param_encodes_plus_and_controls) {
  auto with = add_query_param("https://u.carto.com/api/v1/map?x=1", "api_key", std::string("a+b c\0d", 7));
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(*with, "https://u.carto.com/api/v1/map?x=1&api_key=a%2Bb%20c%00d");
}

TEST(HttpUrl, errors_never_echo_the_api_key) {
  auto t = parse_target("ftp://h/?api_key=topsecret");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message.find("topsecret"), std::string::npos) << t.error().message;
}

TEST(HttpUrl, resolves_redirect_locations) {
  struct Case {
    std::string base, location, expect;
  };
  for (const Case& c :
       {Case{"http://a/b/c?q", "d", "http://a/b/d"}, Case{"http://a/b/c", "/x?y=1", "http://a/x?y=1"},
        Case{"https://a/b", "https://other:8443/z#frag", "https://other:8443/z"},
        Case{"https://a/b", "//cdn/t.png", "https://cdn/t.png"}}) {
    auto r = resolve_location(c.base, c.location);
    ASSERT_TRUE(r.has_value()) << c.location;
    EXPECT_EQ(*r, c.expect);
  }
}

TEST(HttpUrl, adds_a_percent_encoded_query_parameter) {
  auto r = add_query_param("https://h/p?a=1", "api_key", "k&y=z");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, "https://h/p?a=1&api_key=k%26y=z");
}

TEST(NoProxy, matches_hosts_domains_ports_and_ips) {
  auto o = [](std::string host, std::uint16_t port = 443) { return Origin{true, std::move(host), port}; };
  struct Case {
    std::string no_proxy;
    Origin target;
    bool match;
  };
  for (const Case& c :
       {Case{"", o("a.com"), false}, Case{"*", o("a.com"), true}, Case{"carto.com", o("carto.com"), true},
        Case{"carto.com", o("u.carto.com"), true}, Case{".carto.com", o("u.carto.com"), true},
        Case{"carto.com", o("notcarto.com"), false}, Case{"x.org, carto.com", o("U.CARTO.COM"), true},
        Case{"carto.com:8443", o("carto.com"), false}, Case{"carto.com:443", o("carto.com"), true},
        Case{"127.0.0.1", o("127.0.0.1"), true}, Case{"0.0.1", o("127.0.0.1"), false},
        Case{"[::1]", o("::1"), true}}) {
    EXPECT_EQ(no_proxy_matches(c.no_proxy, c.target), c.match) << c.no_proxy << " vs " << c.target.host;
  }
}

TEST(ProxyConfig, reads_the_environment_lower_case_first) {
  static const std::map<std::string, std::string> env = {
      {"HTTPS_PROXY", "http://upper:1"}, {"https_proxy", "lower:3128"}, {"NO_PROXY", "internal"}};
  auto c = ProxyConfig::from_env([](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.https_proxy, "lower:3128");
  EXPECT_EQ(c.http_proxy, "");
  EXPECT_EQ(c.no_proxy, "internal");
  auto p = c.proxy_for(Origin{true, "u.carto.com", 443});
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->host, "lower");
  EXPECT_EQ(p->port, 3128);
  EXPECT_FALSE(c.proxy_for(Origin{true, "db.internal", 443}).has_value());
  EXPECT_FALSE(c.proxy_for(Origin{false, "u.carto.com", 80}).has_value());
}

TEST(ClientConfig, maps_a_source_onto_client_options) {
  config::SourceConfig s;
  s.base_url = "https://alice.carto.com/api/v1/";
  s.user = "alice";
  s.api_key = config::Secret("k");
  s.auth = config::AuthMode::basic;
  s.http.connect_timeout = std::chrono::milliseconds(1500);
  s.http.read_timeout = std::chrono::milliseconds(2500);
  s.http.max_body_bytes = 1234;
  s.tls.ca_file = "/etc/extra.pem";
  auto o = client_options(s, ProxyConfig{});
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->connect_timeout.count(), 1500);
  EXPECT_EQ(o->tls_timeout.count(), 1500);
  EXPECT_EQ(o->io_timeout.count(), 2500);
  EXPECT_EQ(o->max_body_bytes, 1234u);
  EXPECT_EQ(o->ca_file, "/etc/extra.pem");
  EXPECT_EQ(o->auth.mode, AuthMode::basic);
  EXPECT_EQ(o->auth.origin, "https://alice.carto.com:443");
  EXPECT_EQ(o->auth.key.reveal(), "k");
  s.auth = config::AuthMode::none;
  EXPECT_EQ(client_options(s, ProxyConfig{})->auth.mode, AuthMode::none);
}

}  // namespace
}  // namespace cartopull::http
