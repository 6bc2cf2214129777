// URL handling on arbitrary text: http::parse_target, resolve_location, add_query_param and
// is_ip_literal. Input: "URL\nLOCATION\nVALUE" (missing parts are empty).
#include <boost/url/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/url.hpp"

namespace {

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

std::string_view next_line(std::string_view& in) {
  const auto nl = in.find('\n');
  const auto line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto url = next_line(in);
  const auto location = next_line(in);
  const auto value = in;
  using namespace cartopull::http;

  if (auto t = parse_target(url)) {
    check(!t->origin.host.empty(), "a target has a host");
    check(t->origin.port != 0, "a target has a port");
    check(t->target.starts_with('/'), "the request target is in origin form");
    check(t->url == url, "the URL is kept as given");
    check(t->origin.key().starts_with(t->origin.tls ? "https://" : "http://"), "the pool key has the scheme");
    // What goes on the wire parses back to the same origin and target.
    const bool v6 = t->origin.host.find(':') != std::string::npos;
    const std::string wire = std::string(t->origin.tls ? "https://" : "http://") + (v6 ? "[" : "") +
                             t->origin.host + (v6 ? "]" : "") + ":" + std::to_string(t->origin.port) +
                             t->target;
    auto again = parse_target(wire);
    check(again.has_value(), "the wire form parses");
    check(again->origin == t->origin, "the wire form has the same origin");
    check(again->target == t->target, "the wire form has the same target");
  }

  if (auto dest = resolve_location(url, location)) {
    auto parsed = boost::urls::parse_absolute_uri(*dest);
    check(parsed.has_value(), "a resolved Location is an absolute URI");
    check(!parsed->has_fragment(), "a resolved Location has no fragment");
  }

  if (auto with = add_query_param(url, "api_key", value)) {
    auto parsed = boost::urls::parse_absolute_uri(*with);
    check(parsed.has_value(), "adding a parameter keeps an absolute URI");
    bool found = false;
    for (auto p : parsed->params())
      if (p.key == "api_key" && p.value == value) found = true;
    check(found, "the added parameter decodes to the value given");
  }

  (void)is_ip_literal(url);
  return 0;
}
