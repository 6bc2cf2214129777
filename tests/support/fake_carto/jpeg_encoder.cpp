#include "support/fake_carto/jpeg_encoder.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>

namespace cartopull::fake {
namespace {

// T.81 Annex K.1 quantisation tables, natural (row-major) order.
constexpr std::array<int, 64> kLumaQ = {
    16, 11,  10,  16, 24, 40, 51, 61, 12,  12,  14,  19,  26, 58, 60, 55,  14,  13,  16,  24, 40, 57,
    69, 56,  14,  17, 22, 29, 51, 87, 80,  62,  18,  22,  37, 56, 68, 109, 103, 77,  24,  35, 55, 64,
    81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98,  112, 100, 103, 99};
constexpr std::array<int, 64> kChromaQ = {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                                          24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
                                          99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
                                          99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};
// zigzag index -> natural index.
constexpr std::array<int, 64> kZigzag = {0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
                                         12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
                                         35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
                                         58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

// T.81 Annex K.3 Huffman tables: code counts per length 1..16, then the symbols.
constexpr std::array<std::uint8_t, 16> kDcLumaBits = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
constexpr std::array<std::uint8_t, 16> kDcChromaBits = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
constexpr std::array<std::uint8_t, 12> kDcVals = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
constexpr std::array<std::uint8_t, 16> kAcLumaBits = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
constexpr std::array<std::uint8_t, 162> kAcLumaVals = {
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
    0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33,
    0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34,
    0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55,
    0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76,
    0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5,
    0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
    0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa};
constexpr std::array<std::uint8_t, 16> kAcChromaBits = {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
constexpr std::array<std::uint8_t, 162> kAcChromaVals = {
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
    0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62,
    0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54,
    0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
    0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3,
    0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
    0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa};

struct Code {
  std::uint16_t bits = 0;
  std::uint8_t length = 0;
};

// Canonical codes from the count-per-length list (T.81 Annex C).
template <std::size_t N>
std::array<Code, 256> build_codes(const std::array<std::uint8_t, 16>& counts,
                                  const std::array<std::uint8_t, N>& vals) {
  std::array<Code, 256> out{};
  std::uint16_t code = 0;
  std::size_t k = 0;
  for (int len = 1; len <= 16; ++len) {
    for (int i = 0; i < counts[static_cast<std::size_t>(len - 1)]; ++i) {
      out[vals[k++]] = Code{code++, static_cast<std::uint8_t>(len)};
    }
    code = static_cast<std::uint16_t>(code << 1);
  }
  return out;
}

class BitWriter {
 public:
  explicit BitWriter(std::string& out) : out_(out) {}
  void put(std::uint32_t bits, int length) {
    for (int i = length - 1; i >= 0; --i) {
      acc_ = static_cast<std::uint8_t>((acc_ << 1) | ((bits >> i) & 1));
      if (++count_ == 8) flush_byte();
    }
  }
  void finish() {
    while (count_ != 0) put(1, 1);  // pad with one bits (T.81 F.1.2.3)
  }

 private:
  void flush_byte() {
    out_.push_back(static_cast<char>(acc_));
    if (acc_ == 0xff) out_.push_back('\0');  // byte stuffing
    acc_ = 0;
    count_ = 0;
  }
  std::string& out_;
  std::uint8_t acc_ = 0;
  int count_ = 0;
};

int magnitude_bits(int v) {
  v = std::abs(v);
  int n = 0;
  while (v) {
    ++n;
    v >>= 1;
  }
  return n;
}

void put_u16(std::string& out, unsigned v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

template <std::size_t N>
void put_dht(std::string& out, int class_id, const std::array<std::uint8_t, 16>& counts,
             const std::array<std::uint8_t, N>& vals) {
  out += "\xff\xc4";
  put_u16(out, static_cast<unsigned>(2 + 1 + 16 + N));
  out.push_back(static_cast<char>(class_id));
  for (auto c : counts) out.push_back(static_cast<char>(c));
  for (auto v : vals) out.push_back(static_cast<char>(v));
}

}  // namespace

std::string encode_jpeg(std::uint32_t width, std::uint32_t height, const std::vector<std::uint8_t>& rgb,
                        int quality) {
  assert(rgb.size() == static_cast<std::size_t>(width) * height * 3);
  quality = std::clamp(quality, 1, 100);
  const int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  std::array<std::array<int, 64>, 2> q{};
  for (int i = 0; i < 64; ++i) {
    q[0][static_cast<std::size_t>(i)] =
        std::clamp((kLumaQ[static_cast<std::size_t>(i)] * scale + 50) / 100, 1, 255);
    q[1][static_cast<std::size_t>(i)] =
        std::clamp((kChromaQ[static_cast<std::size_t>(i)] * scale + 50) / 100, 1, 255);
  }
  static const auto dc_codes =
      std::array{build_codes(kDcLumaBits, kDcVals), build_codes(kDcChromaBits, kDcVals)};
  static const auto ac_codes =
      std::array{build_codes(kAcLumaBits, kAcLumaVals), build_codes(kAcChromaBits, kAcChromaVals)};
  static const auto cosines = [] {
    std::array<double, 64> c{};
    for (int x = 0; x < 8; ++x)
      for (int u = 0; u < 8; ++u)
        c[static_cast<std::size_t>(x * 8 + u)] = std::cos((2 * x + 1) * u * M_PI / 16);
    return c;
  }();

  std::string out = "\xff\xd8";
  out += "\xff\xe0";  // APP0 JFIF 1.01, 72 dpi like CARTO's static maps
  put_u16(out, 16);
  out += std::string("JFIF\0\x01\x01\x01", 8);
  put_u16(out, 72);
  put_u16(out, 72);
  out += std::string("\0\0", 2);
  for (int t = 0; t < 2; ++t) {
    out += "\xff\xdb";
    put_u16(out, 67);
    out.push_back(static_cast<char>(t));
    for (int i = 0; i < 64; ++i)
      out.push_back(static_cast<char>(
          q[static_cast<std::size_t>(t)][static_cast<std::size_t>(kZigzag[static_cast<std::size_t>(i)])]));
  }
  out += "\xff\xc0";  // SOF0 baseline
  put_u16(out, 17);
  out.push_back(8);
  put_u16(out, height);
  put_u16(out, width);
  out.push_back(3);
  out += std::string("\x01\x11\x00\x02\x11\x01\x03\x11\x01", 9);
  put_dht(out, 0x00, kDcLumaBits, kDcVals);
  put_dht(out, 0x10, kAcLumaBits, kAcLumaVals);
  put_dht(out, 0x01, kDcChromaBits, kDcVals);
  put_dht(out, 0x11, kAcChromaBits, kAcChromaVals);
  out += "\xff\xda";
  put_u16(out, 12);
  out.push_back(3);
  out += std::string("\x01\x00\x02\x11\x03\x11\x00\x3f\x00", 9);

  BitWriter bits(out);
  std::array<int, 3> previous_dc{0, 0, 0};
  std::array<double, 64> block{}, tmp{};
  for (std::uint32_t by = 0; by < height; by += 8) {
    for (std::uint32_t bx = 0; bx < width; bx += 8) {
      for (int comp = 0; comp < 3; ++comp) {
        for (int y = 0; y < 8; ++y) {
          for (int x = 0; x < 8; ++x) {
            // Edge blocks repeat the last row/column.
            const auto px = std::min(bx + static_cast<std::uint32_t>(x), width - 1);
            const auto py = std::min(by + static_cast<std::uint32_t>(y), height - 1);
            const auto* p = &rgb[(static_cast<std::size_t>(py) * width + px) * 3];
            const double r = p[0], g = p[1], b = p[2];
            double v = comp == 0   ? 0.299 * r + 0.587 * g + 0.114 * b
                       : comp == 1 ? -0.168736 * r - 0.331264 * g + 0.5 * b + 128
                                   : 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
            block[static_cast<std::size_t>(y * 8 + x)] = v - 128;
          }
        }
        // Separable forward DCT-II: rows, then columns.
        for (int y = 0; y < 8; ++y)
          for (int u = 0; u < 8; ++u) {
            double s = 0;
            for (int x = 0; x < 8; ++x)
              s += block[static_cast<std::size_t>(y * 8 + x)] * cosines[static_cast<std::size_t>(x * 8 + u)];
            tmp[static_cast<std::size_t>(y * 8 + u)] = s * (u == 0 ? M_SQRT1_2 : 1.0) / 2;
          }
        std::array<int, 64> coef{};
        const auto& qt = q[comp == 0 ? 0 : 1];
        for (int u = 0; u < 8; ++u)
          for (int v = 0; v < 8; ++v) {
            double s = 0;
            for (int y = 0; y < 8; ++y)
              s += tmp[static_cast<std::size_t>(y * 8 + u)] * cosines[static_cast<std::size_t>(y * 8 + v)];
            s = s * (v == 0 ? M_SQRT1_2 : 1.0) / 2;
            const auto idx = static_cast<std::size_t>(v * 8 + u);
            coef[idx] = static_cast<int>(std::lround(s / qt[idx]));
          }
        const int table = comp == 0 ? 0 : 1;
        const auto& dc = dc_codes[static_cast<std::size_t>(table)];
        const auto& ac = ac_codes[static_cast<std::size_t>(table)];
        auto put_value = [&](int value, int size) {
          if (size == 0) return;
          const int raw = value < 0 ? value + (1 << size) - 1 : value;
          bits.put(static_cast<std::uint32_t>(raw), size);
        };
        const int diff = coef[0] - previous_dc[static_cast<std::size_t>(comp)];
        previous_dc[static_cast<std::size_t>(comp)] = coef[0];
        const int dsize = magnitude_bits(diff);
        bits.put(dc[static_cast<std::size_t>(dsize)].bits, dc[static_cast<std::size_t>(dsize)].length);
        put_value(diff, dsize);
        int run = 0;
        for (int i = 1; i < 64; ++i) {
          const int v = coef[static_cast<std::size_t>(kZigzag[static_cast<std::size_t>(i)])];
          if (v == 0) {
            ++run;
            continue;
          }
          while (run > 15) {
            bits.put(ac[0xf0].bits, ac[0xf0].length);  // ZRL
            run -= 16;
          }
          const int size = magnitude_bits(v);
          const auto symbol = static_cast<std::size_t>((run << 4) | size);
          bits.put(ac[symbol].bits, ac[symbol].length);
          put_value(v, size);
          run = 0;
        }
        if (run > 0) bits.put(ac[0x00].bits, ac[0x00].length);  // EOB
      }
    }
  }
  bits.finish();
  out += "\xff\xd9";
  return out;
}

}  // namespace cartopull::fake
