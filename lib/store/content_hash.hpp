#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace cartopull::store {

// SHA-256 of a blob: the content address that lets identical tiles and images be stored once.
using ContentHash = std::array<std::uint8_t, 32>;

ContentHash content_hash(std::span<const std::uint8_t> bytes);
std::string to_hex(const ContentHash& hash);

}  // namespace cartopull::store
