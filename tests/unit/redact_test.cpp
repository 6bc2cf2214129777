#include "core/redact.hpp"

#include <gtest/gtest.h>

using cartopull::redact;
using cartopull::redact_header;

TEST(Redact, masks_secret_query_parameters) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"https://u.carto.com/api/v1/map?api_key=abc123", "https://u.carto.com/api/v1/map?api_key=REDACTED"},
      {"/map/named/t?auth_token=tok&config=%7B%7D", "/map/named/t?auth_token=REDACTED&config=%7B%7D"},
      {"/x?a=1&map_key=k#frag", "/x?a=1&map_key=REDACTED#frag"},
      {"/x?API_KEY=K1", "/x?API_KEY=REDACTED"},
      {"GET /v1/tiles/1/0/0.png?api_key=s3cr3t HTTP/1.1",
       "GET /v1/tiles/1/0/0.png?api_key=REDACTED HTTP/1.1"},
      {"/x?api_key=", "/x?api_key="},
  };
  for (const auto& c : cases) EXPECT_EQ(redact(c.in), c.out) << c.in;
}

TEST(Redact, leaves_similar_names_alone) {
  EXPECT_EQ(redact("/x?my_api_key_hint=1&api_keys=2"), "/x?my_api_key_hint=1&api_keys=2");
  EXPECT_EQ(redact("no secrets here: layergroupid=abc"), "no secrets here: layergroupid=abc");
}

TEST(Redact, masks_json_and_yaml_members) {
  EXPECT_EQ(redact(R"({"url":"x","api_key":"abc","n":1})"), R"({"url":"x","api_key":"REDACTED","n":1})");
  EXPECT_EQ(redact(R"({"auth_token": "a\"b"})"), R"({"auth_token": "REDACTED"})");
  EXPECT_EQ(redact("api_key: abc"), "api_key: REDACTED");
}

TEST(Redact, masks_url_userinfo_password) {
  EXPECT_EQ(redact("https://user:pw@host/p"), "https://user:REDACTED@host/p");
  EXPECT_EQ(redact("http://token@proxy:3128"), "http://REDACTED@proxy:3128");
  EXPECT_EQ(redact("https://host/p?q=a@b"), "https://host/p?q=a@b");
}

TEST(Redact, masks_authorization_headers_in_text_and_values) {
  EXPECT_EQ(redact("Authorization: Basic dXNlcjprZXk=\r\nHost: x"),
            "Authorization: Basic REDACTED\r\nHost: x");
  EXPECT_EQ(redact_header("Authorization", "Bearer abc"), "Bearer REDACTED");
  EXPECT_EQ(redact_header("proxy-authorization", "xyz"), "REDACTED");
  EXPECT_EQ(redact_header("Content-Type", "image/png"), "image/png");
}

TEST(Redact, masks_every_occurrence) {
  auto out = redact("a?api_key=one then b?api_key=two and {\"map_key\":\"three\"}");
  EXPECT_EQ(out.find("one"), std::string::npos);
  EXPECT_EQ(out.find("two"), std::string::npos);
  EXPECT_EQ(out.find("three"), std::string::npos);
}

TEST(Redact, masks_a_key_inside_the_user_part_of_userinfo) {
  const auto r = cartopull::redact("https://u@api_key=LEAKED:pw@host/x");
  EXPECT_EQ(r.find("LEAKED"), std::string::npos) << r;
  EXPECT_EQ(r.find("pw@"), std::string::npos) << r;
}
