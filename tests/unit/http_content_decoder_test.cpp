#include <gtest/gtest.h>
#include <zlib.h>

#include "http/content_decoder.hpp"

namespace cartopull::http {
namespace {

std::string compress(std::string_view data, int window_bits) {
  z_stream s{};
  deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, static_cast<uLong>(data.size())) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

// Feeds `wire` in pieces of `piece` bytes and returns the decoded text or the error.
result<std::string> decode(ContentEncoding enc, const std::string& wire, std::size_t piece,
                           std::uint64_t limit) {
  ContentDecoder d(enc, limit);
  std::string out;
  BodySink sink = [&](std::string_view c) -> result<void> {
    out.append(c);
    return {};
  };
  for (std::size_t i = 0; i < wire.size(); i += piece)
    if (auto r = d.feed(std::string_view(wire).substr(i, piece), sink); !r) return r.error();
  if (auto r = d.finish(sink); !r) return r.error();
  return out;
}

TEST(ContentDecoder, decodes_gzip_zlib_and_raw_deflate_in_any_piece_size) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "tile " + std::to_string(i) + "\n";
  struct Case {
    ContentEncoding enc;
    int window_bits;
  };
  for (Case c : {Case{ContentEncoding::gzip, 15 + 16}, Case{ContentEncoding::deflate, 15},
                 Case{ContentEncoding::deflate, -15}}) {
    std::string wire = compress(text, c.window_bits);
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, wire.size()}) {
      auto r = decode(c.enc, wire, piece, 1 << 20);
      ASSERT_TRUE(r.has_value()) << c.window_bits << "/" << piece << ": " << r.error().what();
      EXPECT_EQ(*r, text);
    }
  }
}

TEST(ContentDecoder, bounds_the_decoded_size) {
  std::string bomb = compress(std::string(10 << 20, '\0'), 15 + 16);  // 10 MiB in ~10 KiB
  auto r = decode(ContentEncoding::gzip, bomb, 4096, 1 << 20);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::body_too_large);
}

TEST(ContentDecoder, a_cut_stream_is_truncated_and_garbage_is_bad) {
  std::string wire = compress(std::string(100000, 'q'), 15 + 16);
  auto cut = decode(ContentEncoding::gzip, wire.substr(0, wire.size() / 2), 512, 1 << 20);
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, errc::truncated_body);
  auto bad = decode(ContentEncoding::gzip, "this is not gzip at all", 512, 1 << 20);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, errc::bad_response);
}

TEST(ContentDecoder, empty_body_and_identity_pass_through) {
  EXPECT_EQ(*decode(ContentEncoding::gzip, "", 1, 10), "");
  EXPECT_EQ(*decode(ContentEncoding::identity, "abc", 1, 10), "abc");
  EXPECT_FALSE(decode(ContentEncoding::identity, "abcdef", 2, 5).has_value());
}

TEST(ContentDecoder, parses_content_encoding) {
  EXPECT_EQ(*parse_content_encoding(""), ContentEncoding::identity);
  EXPECT_EQ(*parse_content_encoding("GZIP"), ContentEncoding::gzip);
  EXPECT_EQ(*parse_content_encoding("x-gzip"), ContentEncoding::gzip);
  EXPECT_EQ(*parse_content_encoding(" deflate "), ContentEncoding::deflate);
  EXPECT_FALSE(parse_content_encoding("br").has_value());
}

}  // namespace
}  // namespace cartopull::http
