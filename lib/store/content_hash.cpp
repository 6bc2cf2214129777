#include "store/content_hash.hpp"

#include <openssl/evp.h>

namespace cartopull::store {

ContentHash content_hash(std::span<const std::uint8_t> bytes) {
  ContentHash hash{};
  unsigned int size = 0;
  // EVP uses the CPU's SHA extensions when present, which keeps hashing off the write path's budget.
  EVP_Digest(bytes.data(), bytes.size(), hash.data(), &size, EVP_sha256(), nullptr);
  return hash;
}

std::string to_hex(const ContentHash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(hash.size() * 2);
  for (const auto byte : hash) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

}  // namespace cartopull::store
