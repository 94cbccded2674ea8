#include "tests/support/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace epp::testing {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "test_pki: %s failed\n", what);
  std::abort();
}

KeyPtr newKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) die("EVP_EC_gen");
  return key;
}

void addExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) die("X509_add_ext");
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, signed by `issuerKey` (self-signed when `issuer` is
// null), valid from an hour ago for thirty days.
CertPtr makeCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuerKey, long serial) {
  CertPtr cert(X509_new());
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  if (issuer == nullptr) {
    addExtension(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(x, &ctx, NID_subject_key_identifier, "hash");
  } else {
    addExtension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(x, &ctx, NID_key_usage, "critical,digitalSignature");
    addExtension(x, &ctx, NID_ext_key_usage, "serverAuth");
    addExtension(x, &ctx, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
    addExtension(x, &ctx, NID_authority_key_identifier, "keyid");
  }
  if (X509_sign(x, issuerKey, EVP_sha256()) == 0) die("X509_sign");
  return cert;
}

void writePem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) die("fopen");
  bool ok = cert ? PEM_write_X509(f, cert) == 1
                 : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  if (!ok) die("PEM_write");
}

}  // namespace

TestPki TestPki::create(const std::filesystem::path& dir, const std::string& name) {
  KeyPtr caKey = newKey();
  std::string caName = name + " test CA";
  CertPtr ca = makeCert(caKey.get(), caName.c_str(), nullptr, caKey.get(), 1);
  KeyPtr serverKey = newKey();
  CertPtr server = makeCert(serverKey.get(), "localhost", ca.get(), caKey.get(), 2);
  TestPki pki;
  pki.caCert = dir / (name + "-ca.crt");
  pki.serverCert = dir / (name + "-server.crt");
  pki.serverKey = dir / (name + "-server.key");
  writePem(pki.caCert, ca.get(), nullptr);
  writePem(pki.serverCert, server.get(), nullptr);
  writePem(pki.serverKey, nullptr, serverKey.get());
  return pki;
}

}  // namespace epp::testing
