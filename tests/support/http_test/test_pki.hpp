#pragma once

#include <memory>
#include <string>
#include <vector>

namespace cartopull::test {

// A certificate and its private key, PEM.
struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
};

// A throw-away certificate authority generated at test time with the OpenSSL C API (P-256 keys), so that no
// key is ever committed. Not thread-safe.
class TestPki {
 public:
  explicit TestPki(const std::string& ca_name = "cartopull test CA");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // A leaf certificate signed by this CA. `names` are subjectAltName entries such as "DNS:localhost" or
  // "IP:127.0.0.1". An expired certificate ended a day ago.
  TlsIdentity issue(const std::vector<std::string>& names, bool expired = false);

  const std::string& ca_pem() const;
  // Writes the CA certificate to a new file under the temp directory and returns its path.
  std::string write_ca_file() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cartopull::test
