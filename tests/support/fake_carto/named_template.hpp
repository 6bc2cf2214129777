#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/fake_carto/api_error.hpp"

namespace cartopull::fake {

// A named map template (carto-maps-api.md section 3.3).
struct NamedTemplate {
  boost::json::value json;
  std::string name;
  std::vector<std::string> tokens;  // auth method "token": the valid tokens; empty: open
};

// Validates a template with Windshaft-cartodb's messages: Unsupported template version X, Missing
// template name, Invalid characters in template name 'x', Invalid 'token' authentication: missing
// valid_tokens, Missing default for placeholder 'p', and the layergroup's MapConfig errors. Pure.
std::optional<ApiError> parse_named_template(const boost::json::value& json, NamedTemplate& out);

}  // namespace cartopull::fake
