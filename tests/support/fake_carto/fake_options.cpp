#include "support/fake_carto/fake_options.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace cartopull::fake {
namespace {

std::vector<GcraTier> rps(std::uint32_t n) {
  return {GcraTier{n, n, std::chrono::milliseconds(1000)}};
}

}  // namespace

std::map<std::string, std::vector<GcraTier>> plan_rate_limits(std::string_view plan) {
  using std::chrono::milliseconds;
  std::map<std::string, std::vector<GcraTier>> m;
  const char* groups[] = {"anonymous", "static",       "static_named", "tile",
                          "named",     "named_list",   "named_get",    "named_tiles",
                          "metadata",  "named_create", "named_update", "named_delete"};
  if (plan == "enterprise") {
    m = {{"anonymous", rps(10)},
         {"static", rps(3)},
         {"static_named", rps(3)},
         {"named_list", rps(3)},
         {"named_get", rps(10)},
         {"named", rps(10)},
         {"named_tiles", rps(25)},
         {"metadata", rps(10)},
         {"named_create", rps(3)},
         {"named_update", rps(10)},
         {"named_delete", rps(3)},
         {"tile", {GcraTier{120, 120, milliseconds(1000)}, GcraTier{750, 1500, milliseconds(60000)}}}};
  } else if (plan == "individual") {
    m = {{"anonymous", rps(5)},
         {"static", rps(1)},
         {"static_named", rps(1)},
         {"named_list", rps(1)},
         {"named_get", rps(5)},
         {"named", rps(5)},
         {"named_tiles", rps(10)},
         {"metadata", rps(5)},
         {"named_create", rps(1)},
         {"named_update", rps(5)},
         {"named_delete", rps(1)},
         {"tile", {GcraTier{40, 40, milliseconds(1000)}, GcraTier{300, 600, milliseconds(60000)}}}};
  } else if (plan == "free") {
    m = {{"anonymous", rps(2)},
         {"static", rps(1)},
         {"static_named", rps(1)},
         {"named_list", rps(1)},
         {"named_get", rps(2)},
         {"named", rps(2)},
         {"named_tiles", rps(10)},
         {"metadata", rps(2)},
         {"named_create", rps(1)},
         {"named_update", rps(2)},
         {"named_delete", rps(1)},
         {"tile", {GcraTier{20, 20, milliseconds(1000)}, GcraTier{300, 600, milliseconds(60000)}}}};
  } else {
    for (const char* g : groups) m[g] = rps(1'000'000'000);
  }
  return m;
}

bool parse_rate_tiers(std::string_view text, std::vector<GcraTier>& out) {
  out.clear();
  while (!text.empty()) {
    auto plus = text.find('+');
    auto item = text.substr(0, plus);
    unsigned burst = 0, count = 0, period = 0;
    auto colon = item.find(':'), slash = item.find('/');
    if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon) return false;
    auto num = [](std::string_view s, unsigned& v) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc() && p == s.data() + s.size();
    };
    if (!num(item.substr(0, colon), burst) || !num(item.substr(colon + 1, slash - colon - 1), count) ||
        !num(item.substr(slash + 1), period) || count == 0 || period == 0) {
      return false;
    }
    out.push_back(GcraTier{burst, count, std::chrono::milliseconds(period)});
    text = plus == std::string_view::npos ? std::string_view() : text.substr(plus + 1);
  }
  return !out.empty();
}

std::vector<boost::json::value> default_templates() {
  auto layergroup = [] {
    return boost::json::parse(R"({"version":"1.3.0","layers":[{"type":"mapnik","options":{
      "sql":"select * from populated_places","cartocss_version":"2.1.1",
      "cartocss":"#layer { marker-fill: <%= color %>; }","interactivity":["cartodb_id","name"]}}]})");
  };
  boost::json::object placeholders{
      {"color", boost::json::object{{"type", "css_color"}, {"default", "#FF6600"}}}};
  boost::json::object view{{"zoom", 3}, {"center", boost::json::object{{"lng", 0}, {"lat", 20}}}};
  boost::json::object open{{"version", "0.0.1"},
                           {"name", "demo_open"},
                           {"auth", boost::json::object{{"method", "open"}}},
                           {"placeholders", placeholders},
                           {"layergroup", layergroup()},
                           {"view", view}};
  boost::json::object priv = open;
  priv["name"] = "demo_private";
  priv["auth"] = boost::json::object{{"method", "token"}, {"valid_tokens", boost::json::array{"demo-token"}}};
  return {open, priv};
}

boost::json::value seed_map_config() {
  return boost::json::parse(R"({"version":"1.3.0","layers":[{"type":"mapnik","options":{
    "sql":"select * from european_countries_e","cartocss_version":"2.1.1",
    "cartocss":"#layer { polygon-fill: #FFF; }","interactivity":["cartodb_id","iso3"]}}]})");
}

}  // namespace cartopull::fake
