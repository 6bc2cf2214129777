#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "core/result.hpp"

namespace cartopull::http {

// Receives each decoded chunk of a response body; an error stops the transfer.
using BodySink = std::function<result<void>(std::string_view chunk)>;

// Content-Encoding of a response body, decoded with zlib.
enum class ContentEncoding { identity, gzip, deflate };
// "gzip"/"x-gzip", "deflate", empty/"identity"; anything else: an error (we never asked for it).
result<ContentEncoding> parse_content_encoding(std::string_view value);

// Streams a body through zlib, bounding the *decoded* size so that a small compressed body cannot expand
// past the limit (errc::body_too_large). "deflate" accepts the zlib format and raw deflate, as browsers do.
// Not thread-safe; one per response.
class ContentDecoder {
 public:
  ContentDecoder(ContentEncoding encoding, std::uint64_t max_decoded_bytes);
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Decodes `in` and passes the output to `sink` in chunks of at most 64 KiB.
  result<void> feed(std::string_view in, const BodySink& sink);
  // At end of body: a compressed stream that did not reach its end is errc::truncated_body.
  result<void> finish(const BodySink& sink);

  std::uint64_t decoded_bytes() const { return decoded_; }

 private:
  result<void> emit(std::string_view chunk, const BodySink& sink);
  result<void> inflate_some(std::string_view in, const BodySink& sink);

  struct Zlib;
  ContentEncoding encoding_;
  std::uint64_t max_;
  std::uint64_t decoded_ = 0;
  std::unique_ptr<Zlib> z_;
  std::string pending_;  // first bytes of a deflate body until the zlib/raw format is known
  bool ended_ = false;
  bool any_input_ = false;
};

}  // namespace cartopull::http
