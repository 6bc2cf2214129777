#include "support/http_test/test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace cartopull::test {
namespace {

std::atomic<long> g_serial{1};

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TestPki: ") + what);
}

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EC key generation");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* new_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, bool expired) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), g_serial++);
  if (expired) {
    X509_gmtime_adj(X509_getm_notBefore(x), -3 * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(x), -86400L);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(x), -3600L);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L);
  }
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  return x;
}

std::string pem_cert(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

std::string pem_key(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

struct TestPki::Impl {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::string pem;
  ~Impl() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestPki::TestPki(const std::string& ca_name) : impl_(std::make_unique<Impl>()) {
  impl_->key = new_key();
  impl_->cert = new_cert(impl_->key, ca_name, nullptr, false);
  add_ext(impl_->cert, impl_->cert, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(impl_->cert, impl_->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(impl_->cert, impl_->cert, NID_subject_key_identifier, "hash");
  check(X509_sign(impl_->cert, impl_->key, EVP_sha256()) > 0, "CA signature");
  impl_->pem = pem_cert(impl_->cert);
}

TestPki::~TestPki() = default;

TlsIdentity TestPki::issue(const std::vector<std::string>& names, bool expired) {
  EVP_PKEY* key = new_key();
  X509* x = new_cert(key, "cartopull test server", impl_->cert, expired);
  add_ext(x, impl_->cert, NID_basic_constraints, "CA:FALSE");
  add_ext(x, impl_->cert, NID_ext_key_usage, "serverAuth");
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "" : ",") + n;
  if (!san.empty()) add_ext(x, impl_->cert, NID_subject_alt_name, san);
  check(X509_sign(x, impl_->key, EVP_sha256()) > 0, "leaf signature");
  TlsIdentity id{pem_cert(x), pem_key(key)};
  X509_free(x);
  EVP_PKEY_free(key);
  return id;
}

const std::string& TestPki::ca_pem() const {
  return impl_->pem;
}

std::string TestPki::write_ca_file() const {
  static std::atomic<int> counter{0};
  auto path = std::filesystem::temp_directory_path() /
              ("cartopull-test-ca-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".pem");
  std::ofstream(path) << impl_->pem;
  return path.string();
}

}  // namespace cartopull::test
