#include "config/secret.hpp"

#include <openssl/crypto.h>

namespace cartopull::config {

Secret::Secret(Secret&& other) noexcept : value_(std::move(other.value_)) {
  other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

Secret::~Secret() {
  wipe();
}

void Secret::wipe() noexcept {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  value_.clear();
}

bool Secret::equals(std::string_view candidate) const noexcept {
  if (candidate.size() != value_.size()) return false;
  return CRYPTO_memcmp(candidate.data(), value_.data(), value_.size()) == 0;
}

}  // namespace cartopull::config
