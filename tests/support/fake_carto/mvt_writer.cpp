#include "support/fake_carto/mvt_writer.hpp"

namespace cartopull::fake {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, std::uint32_t field, std::uint32_t wire) {
  put_varint(out, (field << 3) | wire);
}

void put_bytes(std::string& out, std::uint32_t field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}

std::uint32_t zigzag(std::int64_t v) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(v) << 1) ^
                                    static_cast<std::uint64_t>(v >> 63));
}

}  // namespace

std::string encode_mvt(const std::string& layer_name, const std::vector<MvtPoint>& points,
                       std::uint32_t extent) {
  // Field numbers from the vector_tile.proto of the MVT 2.1 specification.
  std::string layer;
  put_key(layer, 15, 0);
  put_varint(layer, 2);  // version
  put_bytes(layer, 1, layer_name);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    std::string feature;
    put_key(feature, 1, 0);
    put_varint(feature, p.id);
    std::string tags;
    put_varint(tags, 0);  // key index: "cartodb_id"
    put_varint(tags, i);  // value index
    put_bytes(feature, 2, tags);
    put_key(feature, 3, 0);
    put_varint(feature, 1);  // GeomType POINT
    std::string geometry;
    put_varint(geometry, (1u & 0x7) | (1u << 3));  // MoveTo, count 1
    put_varint(geometry, zigzag(p.x));
    put_varint(geometry, zigzag(p.y));
    put_bytes(feature, 4, geometry);
    put_bytes(layer, 2, feature);
  }
  put_bytes(layer, 3, "cartodb_id");
  for (const auto& p : points) {
    std::string value;
    put_key(value, 5, 0);  // uint_value
    put_varint(value, p.id);
    put_bytes(layer, 4, value);
  }
  put_key(layer, 5, 0);
  put_varint(layer, extent);
  std::string tile;
  put_bytes(tile, 3, layer);
  return tile;
}

}  // namespace cartopull::fake
