#pragma once

#include <string>

namespace cartopull::fake {

// One CARTO API error, rendered as {"errors":[message],"errors_with_context":[{type,message,subtype?}]}
// with the real status code (carto-maps-api.md section 5: default 400).
struct ApiError {
  ApiError() = default;
  ApiError(int s, std::string m, std::string t = "unknown", std::string st = "")
      : status(s), message(std::move(m)), type(std::move(t)), subtype(std::move(st)) {}

  int status = 400;
  std::string message;
  std::string type = "unknown";
  std::string subtype;  // empty: omitted

  // The JSON body of the error.
  std::string body() const;
};

}  // namespace cartopull::fake
