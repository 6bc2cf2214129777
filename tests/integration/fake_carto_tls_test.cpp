// fake-carto over HTTPS with a CA and server certificate generated at run time.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/fake_carto/server.hpp"
#include "support/fake_carto/sync_client.hpp"
#include "support/fake_carto/tls_identity.hpp"

namespace cartopull::fake {
namespace {

TEST(FakeCartoTls, serves_https_trusted_through_the_written_ca) {
  const auto ca_path =
      std::filesystem::temp_directory_path() / ("fake-carto-ca-" + std::to_string(::getpid()) + ".pem");
  Options o;
  o.tls = true;
  o.ca_pem_path = ca_path.string();
  Server server(o);
  ASSERT_TRUE(server.start());
  EXPECT_EQ(server.base_url(), "https://localhost:" + std::to_string(server.port()));
  std::ifstream in(ca_path);
  std::stringstream pem;
  pem << in.rdbuf();
  EXPECT_EQ(pem.str(), server.ca_pem());
  EXPECT_NE(pem.str().find("BEGIN CERTIFICATE"), std::string::npos);
  std::filesystem::remove(ca_path);

  SyncClient client(server.port(), server.ca_pem());
  auto r = client.get("/v1/layergroup?api_key=master-key");
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("https://"), std::string::npos);  // metadata URLs use the scheme served
  EXPECT_EQ(client.get("/health").status, 200);
  EXPECT_EQ(client.connects(), 1u);
}

TEST(FakeCartoTls, a_client_trusting_another_ca_fails_the_handshake) {
  Options o;
  o.tls = true;
  Server server(o);
  ASSERT_TRUE(server.start());
  auto other = make_tls_identity();
  ASSERT_TRUE(other);
  EXPECT_NE(other->ca_cert_pem, server.ca_pem());  // fresh keys every time
  SyncClient client(server.port(), other->ca_cert_pem);
  auto r = client.get("/health");
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.status, 0);
}

TEST(FakeCartoTls, plain_http_against_the_tls_port_gets_no_http_response) {
  Options o;
  o.tls = true;
  Server server(o);
  ASSERT_TRUE(server.start());
  auto raw = raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(raw.body.find("HTTP/1.1 200"), std::string::npos);
}

}  // namespace
}  // namespace cartopull::fake
