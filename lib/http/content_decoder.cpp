#include "http/content_decoder.hpp"

#include <zlib.h>

#include <array>

#include "http/headers.hpp"

namespace cartopull::http {

struct ContentDecoder::Zlib {
  z_stream s{};
  bool ready = false;
  ~Zlib() {
    if (ready) inflateEnd(&s);
  }
  bool init(int window_bits) {
    ready = inflateInit2(&s, window_bits) == Z_OK;
    return ready;
  }
};

result<ContentEncoding> parse_content_encoding(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty() || iequals(v, "identity")) return ContentEncoding::identity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return ContentEncoding::gzip;
  if (iequals(v, "deflate")) return ContentEncoding::deflate;
  return Error(errc::bad_response, "unsupported Content-Encoding: " + std::string(v.substr(0, 32)));
}

ContentDecoder::ContentDecoder(ContentEncoding encoding, std::uint64_t max_decoded_bytes)
    : encoding_(encoding), max_(max_decoded_bytes) {
  if (encoding_ == ContentEncoding::gzip) {
    z_ = std::make_unique<Zlib>();
    z_->init(15 + 16);  // gzip wrapper only
  }
}

ContentDecoder::~ContentDecoder() = default;

result<void> ContentDecoder::emit(std::string_view chunk, const BodySink& sink) {
  decoded_ += chunk.size();
  if (decoded_ > max_)
    return Error(errc::body_too_large, "response body exceeds " + std::to_string(max_) + " bytes");
  if (chunk.empty() || !sink) return {};
  return sink(chunk);
}

result<void> ContentDecoder::inflate_some(std::string_view in, const BodySink& sink) {
  if (!z_ || !z_->ready) return Error(errc::bad_response, "zlib initialisation failed");
  std::array<unsigned char, 64 * 1024> out;
  z_->s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_->s.avail_in = static_cast<uInt>(in.size());
  while (z_->s.avail_in > 0 && !ended_) {
    z_->s.next_out = out.data();
    z_->s.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&z_->s, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return Error(errc::bad_response, "corrupt compressed body");
    std::size_t n = out.size() - z_->s.avail_out;
    if (auto r = emit({reinterpret_cast<const char*>(out.data()), n}, sink); !r) return r;
    if (rc == Z_STREAM_END) ended_ = true;
    if (rc == Z_BUF_ERROR && n == 0) break;
  }
  return {};
}

result<void> ContentDecoder::feed(std::string_view in, const BodySink& sink) {
  if (encoding_ == ContentEncoding::identity) return emit(in, sink);
  if (!in.empty()) any_input_ = true;
  if (encoding_ == ContentEncoding::deflate && !z_) {
    // The zlib format starts with a header whose 16-bit value is a multiple of 31 (RFC 1950 §2.2).
    pending_.append(in);
    if (pending_.size() < 2) return {};
    auto b0 = static_cast<unsigned char>(pending_[0]), b1 = static_cast<unsigned char>(pending_[1]);
    bool zlib_format = (b0 & 0x0f) == 8 && ((b0 << 8) | b1) % 31 == 0;
    z_ = std::make_unique<Zlib>();
    z_->init(zlib_format ? 15 : -15);
    std::string first = std::move(pending_);
    pending_.clear();
    return inflate_some(first, sink);
  }
  return inflate_some(in, sink);
}

result<void> ContentDecoder::finish(const BodySink& sink) {
  if (encoding_ == ContentEncoding::identity) return {};
  if (!pending_.empty()) {
    std::string rest = std::move(pending_);
    pending_.clear();
    z_ = std::make_unique<Zlib>();
    z_->init(-15);
    if (auto r = inflate_some(rest, sink); !r) return r;
  }
  if (!any_input_) return {};  // an empty body (204, HEAD) has no compressed stream
  if (!ended_) return Error(errc::truncated_body, "compressed body ended early");
  return {};
}

}  // namespace cartopull::http
