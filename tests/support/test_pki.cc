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

struct CertOptions {
  const char* cn;
  bool ca = false;
  bool client = false;
  long serial = 1;
  long notBefore = -3600;
  long notAfter = 30L * 24 * 3600;
};

// A certificate for `key`, signed by `issuerKey` (self-signed when `issuer` is null).
CertPtr makeCert(EVP_PKEY* key, const CertOptions& o, X509* issuer, EVP_PKEY* issuerKey) {
  CertPtr cert(X509_new());
  X509* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), o.serial);
  X509_gmtime_adj(X509_getm_notBefore(x), o.notBefore);
  X509_gmtime_adj(X509_getm_notAfter(x), o.notAfter);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(o.cn),
                             -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  if (o.ca) {
    addExtension(x, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    addExtension(x, &ctx, NID_subject_key_identifier, "hash");
  } else {
    addExtension(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(x, &ctx, NID_key_usage, "critical,digitalSignature");
    addExtension(x, &ctx, NID_ext_key_usage, o.client ? "clientAuth" : "serverAuth");
    if (!o.client) {
      addExtension(x, &ctx, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
    }
    addExtension(x, &ctx, NID_authority_key_identifier, "keyid");
  }
  if (X509_sign(x, issuerKey, EVP_sha256()) == 0) die("X509_sign");
  return cert;
}

void writePem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  // Written beside and renamed into place: a test rotating files never shows a reader a
  // half-written one.
  std::filesystem::path temp = path.string() + ".tmp";
  FILE* f = std::fopen(temp.c_str(), "w");
  if (f == nullptr) die("fopen");
  bool ok = cert ? PEM_write_X509(f, cert) == 1
                 : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  if (!ok) die("PEM_write");
  std::filesystem::rename(temp, path);
}

template <class T, T* (*Read)(FILE*, T**, pem_password_cb*, void*)>
T* readPem(const std::filesystem::path& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) die("fopen");
  T* value = Read(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (value == nullptr) die("PEM_read");
  return value;
}

}  // namespace

TestPki TestPki::create(const std::filesystem::path& dir, const std::string& name) {
  KeyPtr caKey = newKey();
  std::string caName = name + " test CA";
  CertPtr ca =
      makeCert(caKey.get(), {.cn = caName.c_str(), .ca = true, .serial = 1}, nullptr, caKey.get());
  KeyPtr serverKey = newKey();
  CertPtr server =
      makeCert(serverKey.get(), {.cn = "localhost", .serial = 2}, ca.get(), caKey.get());
  TestPki pki;
  pki.caCert = dir / (name + "-ca.crt");
  pki.caKey = dir / (name + "-ca.key");
  pki.serverCert = dir / (name + "-server.crt");
  pki.serverKey = dir / (name + "-server.key");
  writePem(pki.caCert, ca.get(), nullptr);
  writePem(pki.caKey, nullptr, caKey.get());
  writePem(pki.serverCert, server.get(), nullptr);
  writePem(pki.serverKey, nullptr, serverKey.get());
  return pki;
}

TestPki::Leaf TestPki::issue(const std::string& stem, const LeafOptions& options) const {
  CertPtr ca(readPem<X509, PEM_read_X509>(caCert));
  KeyPtr caPrivate(readPem<EVP_PKEY, PEM_read_PrivateKey>(caKey));
  KeyPtr key = newKey();
  CertPtr cert = makeCert(key.get(),
                          {.cn = options.commonName.c_str(),
                           .client = options.client,
                           .serial = options.serial,
                           .notBefore = options.notBeforeSeconds,
                           .notAfter = options.notAfterSeconds},
                          ca.get(), caPrivate.get());
  Leaf leaf{caCert.parent_path() / (stem + ".crt"), caCert.parent_path() / (stem + ".key")};
  // The key first: a watcher that sees the new certificate finds its key already there.
  writePem(leaf.key, nullptr, key.get());
  writePem(leaf.cert, cert.get(), nullptr);
  return leaf;
}

}  // namespace epp::testing
