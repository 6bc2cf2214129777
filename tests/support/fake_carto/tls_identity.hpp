#pragma once

#include <string>

#include "core/result.hpp"

namespace cartopull::fake {

// A throwaway PKI made at run time with the OpenSSL C API (no key is ever committed): an EC P-256
// CA and a server certificate it signs for DNS:localhost and IP:127.0.0.1, valid from an hour ago
// for 7 days. All PEM text.
struct TlsIdentity {
  std::string ca_cert_pem;      // give this to clients as their trust anchor
  std::string server_cert_pem;  // leaf only; the CA is not sent in the chain
  std::string server_key_pem;   // PKCS#8, unencrypted
};

result<TlsIdentity> make_tls_identity();

}  // namespace cartopull::fake
