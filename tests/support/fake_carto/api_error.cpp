#include "support/fake_carto/api_error.hpp"

#include <boost/json.hpp>

namespace cartopull::fake {

std::string ApiError::body() const {
  boost::json::object context{{"type", type}, {"message", message}};
  if (!subtype.empty()) context["subtype"] = subtype;
  boost::json::object root{{"errors", boost::json::array{boost::json::value(message)}},
                           {"errors_with_context", boost::json::array{context}}};
  return boost::json::serialize(root);
}

}  // namespace cartopull::fake
