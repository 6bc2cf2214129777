#include "support/fake_carto/named_template.hpp"

#include <boost/json.hpp>
#include <cctype>

#include "support/fake_carto/map_config.hpp"

namespace cartopull::fake {
namespace {

// ^[a-z0-9][0-9a-z_-]*$, case-insensitive.
bool valid_name(const std::string& name) {
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

std::optional<ApiError> parse_named_template(const boost::json::value& json, NamedTemplate& out) {
  if (!json.is_object()) return ApiError(400, "Invalid template: not an object");
  const auto& o = json.get_object();
  const auto* version = o.if_contains("version");
  const std::string v = version && version->is_string() ? std::string(version->get_string()) : "";
  if (v != "0.0.1") return ApiError(400, "Unsupported template version " + v);
  const auto* name = o.if_contains("name");
  if (!name || !name->is_string() || name->get_string().empty())
    return ApiError(400, "Missing template name");
  NamedTemplate t;
  t.json = json;
  t.name = std::string(name->get_string());
  if (!valid_name(t.name)) return ApiError(400, "Invalid characters in template name '" + t.name + "'");
  if (const auto* auth = o.if_contains("auth"); auth && auth->is_object()) {
    const auto* method = auth->get_object().if_contains("method");
    if (method && method->is_string() && method->get_string() == "token") {
      const auto* vt = auth->get_object().if_contains("valid_tokens");
      if (!vt || !vt->is_array() || vt->get_array().empty())
        return ApiError(400, "Invalid 'token' authentication: missing valid_tokens");
      for (const auto& tok : vt->get_array())
        if (tok.is_string()) t.tokens.emplace_back(tok.get_string());
    }
  }
  if (const auto* ph = o.if_contains("placeholders"); ph && ph->is_object()) {
    for (const auto& [key, spec] : ph->get_object()) {
      if (!spec.is_object() || !spec.get_object().contains("default"))
        return ApiError(400, "Missing default for placeholder '" + std::string(key) + "'");
    }
  }
  const auto* layergroup = o.if_contains("layergroup");
  if (!layergroup) return ApiError(400, "Missing layergroup in template");  // (inferred wording)
  out = std::move(t);
  return std::nullopt;
}

}  // namespace cartopull::fake
