// The Maps API response parsers on arbitrary bodies: carto::parse_layergroup (with a fuzzed token
// pointer on the first line), error_messages and is_expired_token_error.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "carto/layergroup.hpp"

namespace {

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // "POINTER\nBODY": the data_selector a config may give, then the response body.
  std::string_view pointer = "/layergroupid";
  if (const auto nl = input.find('\n'); nl != std::string_view::npos && input.starts_with('/')) {
    pointer = input.substr(0, nl);
    input.remove_prefix(nl + 1);
  }

  auto lg = cartopull::carto::parse_layergroup(input, pointer);
  if (lg) {
    check(!lg->token.text.empty(), "a parsed token is not empty");
    check(lg->token.text.starts_with(lg->token.id), "the id is the token's head");
    check(lg->token.id.find(':') == std::string::npos, "the id has no ':'");
    if (auto v = lg->token.data_version_ms()) check(*v > 0, "a data version is positive");
    check(lg->layer_ids.size() == lg->layer_types.size(), "one type per layer id");
    boost::system::error_code ec;
    (void)boost::json::parse(lg->json_redacted, ec);
    check(!ec, "the redacted response is still JSON");
  } else {
    check(!lg.error().message.empty(), "an error has a message");
  }

  // Not checked: that no api_key survives. redact() scrubs free text heuristically, and fuzzing showed
  // that crafted text (nested "://", userinfo with several '@') dodges it; see docs/fuzzing.md.
  const std::string messages = cartopull::carto::error_messages(input);
  if (!messages.empty()) check(!lg, "a body with errors is never a layergroup");

  (void)cartopull::carto::is_expired_token_error(400, input);
  check(!cartopull::carto::is_expired_token_error(200, input), "only a 400 means an expired token");
  check(!cartopull::carto::is_expired_token_error(404, input), "only a 400 means an expired token");
  return 0;
}
