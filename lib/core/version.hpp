#pragma once

#include <string_view>

#include "core/version_generated.hpp"

namespace cartopull {

inline constexpr std::string_view kVersion = CARTOPULL_VERSION_STRING;
// Sent as User-Agent on every request.
inline constexpr std::string_view kUserAgent = "cartopull/" CARTOPULL_VERSION_STRING;

}  // namespace cartopull
