#include "store/blob_hash.hpp"

#include <bit>
#include <cstring>

namespace cartopull::store {
namespace {

constexpr std::uint64_t kP1 = 0x9e3779b185ebca87ULL;
constexpr std::uint64_t kP2 = 0xc2b2ae3d27d4eb4fULL;
constexpr std::uint64_t kP3 = 0x165667b19e3779f9ULL;
constexpr std::uint64_t kP4 = 0xd6e8feb86659fd93ULL;

std::uint64_t load(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t lane(std::uint64_t acc, std::uint64_t word, std::uint64_t k) noexcept {
  return std::rotl(acc ^ (word * k), 31) * kP1;
}

std::uint64_t avalanche(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

}  // namespace

std::int64_t blob_hash(std::span<const std::uint8_t> bytes) noexcept {
  const std::uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  // Four independent lanes keep the multipliers busy in parallel.
  std::uint64_t a = kP1 ^ n, b = kP2, c = kP3, d = kP4;
  for (; n >= 32; n -= 32, p += 32) {
    a = lane(a, load(p), kP2);
    b = lane(b, load(p + 8), kP3);
    c = lane(c, load(p + 16), kP4);
    d = lane(d, load(p + 24), kP2);
  }
  std::uint8_t tail[32] = {};
  std::memcpy(tail, p, n);
  a = lane(a, load(tail), kP3);
  b = lane(b, load(tail + 8), kP4);
  c = lane(c, load(tail + 16), kP2);
  d = lane(d, load(tail + 24), kP3 ^ n);
  const std::uint64_t h = std::rotl(a, 1) + std::rotl(b, 7) + std::rotl(c, 12) + std::rotl(d, 18);
  return static_cast<std::int64_t>(avalanche(h ^ bytes.size() * kP4));
}

}  // namespace cartopull::store
