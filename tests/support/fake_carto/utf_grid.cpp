#include "support/fake_carto/utf_grid.hpp"

#include <boost/json.hpp>

namespace cartopull::fake {
namespace {

// UTFGrid key encoding: codepoint 32 + index, skipping '"' (34) and '\' (92).
std::uint32_t encode_id(std::uint32_t index) {
  std::uint32_t c = index + 32;
  if (c >= 34) ++c;
  if (c >= 92) ++c;
  return c;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

std::string encode_utf_grid(std::uint32_t size, const std::vector<UtfGridFeature>& features) {
  std::vector<std::uint32_t> cells(static_cast<std::size_t>(size) * size, 0);  // 0 = no feature
  for (std::size_t i = 0; i < features.size(); ++i) {
    const auto& f = features[i];
    for (std::uint32_t y = f.y0; y < f.y1 && y < size; ++y)
      for (std::uint32_t x = f.x0; x < f.x1 && x < size; ++x)
        cells[y * size + x] = static_cast<std::uint32_t>(i + 1);
  }
  boost::json::object root;
  boost::json::array grid;
  for (std::uint32_t y = 0; y < size; ++y) {
    std::string row;
    for (std::uint32_t x = 0; x < size; ++x) append_utf8(row, encode_id(cells[y * size + x]));
    grid.emplace_back(row);
  }
  boost::json::array keys;
  keys.emplace_back("");
  boost::json::object data;
  for (const auto& f : features) {
    auto key = std::to_string(f.id);
    keys.emplace_back(key);
    data[key] = boost::json::object{{"cartodb_id", f.id}};
  }
  root["grid"] = std::move(grid);
  root["keys"] = std::move(keys);
  root["data"] = std::move(data);
  return boost::json::serialize(root);
}

}  // namespace cartopull::fake
