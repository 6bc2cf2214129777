#include "carto/layergroup.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "core/redact.hpp"

namespace cartopull::carto {

std::optional<std::int64_t> LayergroupToken::data_version_ms() const {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(cache_buster.data(), cache_buster.data() + cache_buster.size(), v);
  if (ec != std::errc() || p != cache_buster.data() + cache_buster.size() || v <= 0) return std::nullopt;
  return v;
}

LayergroupToken LayergroupToken::parse(std::string_view token) {
  LayergroupToken t;
  t.text = std::string(token);
  auto colon = token.find(':');
  t.id = std::string(token.substr(0, colon));
  if (colon != std::string_view::npos) t.cache_buster = std::string(token.substr(colon + 1));
  return t;
}

namespace {

// Masks credentials inside each string (keys included) of the document and the value of each member named
// like a credential (core/redact.hpp decides which), so the result stays JSON. Masking the serialized text
// instead broke it: a member named "api_key:" made redact() eat the quotes around it.
void redact_strings(boost::json::value& v) {
  if (v.is_string()) {
    const std::string masked = redact(v.as_string());
    if (masked != v.as_string()) v = masked;
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) redact_strings(e);
  } else if (v.is_object()) {
    boost::json::object masked;
    for (auto& member : v.as_object()) {
      const std::string probe = std::string(member.key()) + "=x";
      if (redact(probe) != probe) {
        member.value() = kRedacted;
      } else {
        redact_strings(member.value());
      }
      // Keys too: a member may be named by a URL that carries a key.
      masked.emplace(redact(member.key()), std::move(member.value()));
    }
    v = std::move(masked);
  }
}

}  // namespace

result<Layergroup> parse_layergroup(std::string_view body, std::string_view token_pointer) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec) return Error(errc::bad_response, "layergroup response is not JSON: " + ec.message());
  if (!doc.is_object()) return Error(errc::bad_response, "layergroup response is not a JSON object");
  if (auto* errors = doc.as_object().if_contains("errors")) {
    (void)errors;
    return Error(errc::bad_response, "layergroup response carries errors: " + error_messages(body));
  }
  auto* token = doc.find_pointer(token_pointer, ec);
  if (token == nullptr || !token->is_string() || token->as_string().empty()) {
    return Error(errc::bad_response, "layergroup response has no token at " + std::string(token_pointer));
  }
  Layergroup lg;
  lg.token = LayergroupToken::parse(token->as_string());
  if (auto* lu = doc.as_object().if_contains("last_updated"); lu && lu->is_string()) {
    lg.last_updated = std::string(lu->as_string());
  }
  if (auto* layers = doc.find_pointer("/metadata/layers", ec); layers && layers->is_array()) {
    for (const auto& layer : layers->as_array()) {
      std::string id, type;
      if (layer.is_object()) {
        if (auto* v = layer.as_object().if_contains("id"); v && v->is_string()) id = v->as_string();
        if (auto* v = layer.as_object().if_contains("type"); v && v->is_string()) type = v->as_string();
      }
      lg.layer_ids.push_back(std::move(id));
      lg.layer_types.push_back(std::move(type));
    }
  }
  // Metadata URLs (tile templates, cdn_url) may echo the request's api_key (§8.1): mask it.
  redact_strings(doc);
  lg.json_redacted = boost::json::serialize(doc);
  return lg;
}

std::string error_messages(std::string_view body) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return {};
  auto* errors = doc.as_object().if_contains("errors");
  if (errors == nullptr) return {};
  std::string out;
  auto add = [&](const boost::json::value& v) {
    if (!out.empty()) out += "; ";
    out += v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
  };
  if (errors->is_array()) {
    for (const auto& e : errors->as_array()) add(e);
  } else {
    add(*errors);
  }
  return redact(out);
}

bool is_expired_token_error(int status, std::string_view body) {
  return status == 400 &&
         body.find("Invalid or nonexistent map configuration token") != std::string_view::npos;
}

}  // namespace cartopull::carto
