#include "http/url.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <charconv>

#include "core/redact.hpp"

namespace cartopull::http {

std::string Origin::key() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

bool is_ip_literal(std::string_view host) noexcept {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

result<Target> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return Error(errc::config_invalid, "not an absolute URL: " + redact(url));
  const auto& u = *parsed;
  // Boost.URL 1.81 reads "https://h:9a/x" as port 9 and path "a/x": a path after an authority must
  // start with '/' (RFC 3986 §3.3), so that is no URL, not a request to port 9 for "a/x".
  if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
    return Error(errc::config_invalid, "not an absolute URL: " + redact(url));
  Target t;
  if (u.scheme_id() == boost::urls::scheme::https)
    t.origin.tls = true;
  else if (u.scheme_id() != boost::urls::scheme::http)
    return Error(errc::config_invalid, "not an http(s) URL: " + redact(url));
  if (u.host_type() == boost::urls::host_type::ipv6)
    t.origin.host = u.host_address();
  else
    t.origin.host = u.encoded_host();
  if (t.origin.host.empty()) return Error(errc::config_invalid, "URL without host: " + redact(url));
  if (u.has_port()) {
    auto p = u.port();
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc{} || end != p.data() + p.size() || v == 0 || v > 65535)
      return Error(errc::config_invalid, "bad port in URL: " + redact(url));
    t.origin.port = static_cast<std::uint16_t>(v);
  } else {
    t.origin.port = t.origin.tls ? 443 : 80;
  }
  t.target = u.encoded_path();
  if (t.target.empty()) t.target = "/";
  if (u.has_query()) {
    t.target += '?';
    t.target += u.encoded_query();
  }
  t.url = std::string(url);
  return t;
}

result<std::string> resolve_location(std::string_view base, std::string_view location) {
  auto b = boost::urls::parse_absolute_uri(base);
  auto ref = boost::urls::parse_uri_reference(location);
  if (!b || !ref) return Error(errc::bad_response, "bad redirect Location: " + redact(location));
  boost::urls::url dest;
  if (auto r = boost::urls::resolve(*b, *ref, dest); !r)
    return Error(errc::bad_response, "bad redirect Location: " + redact(location));
  dest.remove_fragment();
  return std::string(dest.buffer());
}

result<std::string> add_query_param(std::string_view url, std::string_view name, std::string_view value) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return Error(errc::config_invalid, "not an absolute URL: " + redact(url));
  boost::urls::url u(*parsed);
  // Encoded here, not by params().append: Boost.URL 1.81 leaves '+' literal, which the server's
  // query parser (Node's querystring in Windshaft) reads as a space.
  const auto n = boost::urls::encode(name, boost::urls::unreserved_chars);
  // In a value, '=' and the other sub-delimiters stay readable; '&', '+', '#' and '%' never do.
  static constexpr auto kValueChars =
      boost::urls::unreserved_chars + boost::urls::grammar::lut_chars("=:@/?,!$'()*;");
  const auto v = boost::urls::encode(value, kValueChars);
  u.encoded_params().append({boost::urls::pct_string_view(n), boost::urls::pct_string_view(v)});
  return std::string(u.buffer());
}

}  // namespace cartopull::http
