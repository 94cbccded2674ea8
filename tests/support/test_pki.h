// File: tests/support/test_pki.h
//
// A throwaway PKI for TLS tests, made with the OpenSSL API (no `openssl` command needed):
// a CA, and a server certificate it signed for 127.0.0.1, ::1 and localhost, written as PEM
// files. Two TestPki objects are unrelated CAs, so one can play "the wrong CA". issue()
// signs more certificates with the same CA: other names and serials, expired ones, client
// certificates for mTLS.
#pragma once

#include <filesystem>
#include <string>

namespace epp::testing {

struct TestPki {
  std::filesystem::path caCert;      // <dir>/<name>-ca.crt
  std::filesystem::path caKey;       // <dir>/<name>-ca.key
  std::filesystem::path serverCert;  // <dir>/<name>-server.crt (leaf only)
  std::filesystem::path serverKey;   // <dir>/<name>-server.key (unencrypted)

  // Writes the files into `dir` (which must exist). Aborts the test binary on an OpenSSL
  // failure: nothing can be tested without them.
  static TestPki create(const std::filesystem::path& dir, const std::string& name = "test");

  struct LeafOptions {
    std::string commonName = "localhost";
    // A client certificate (extendedKeyUsage clientAuth, no subject alternative names)
    // instead of a server certificate for 127.0.0.1, ::1 and localhost.
    bool client = false;
    long serial = 100;
    // Validity, in seconds from now: by default from an hour ago for thirty days. A
    // negative notAfter makes an expired certificate.
    long notBeforeSeconds = -3600;
    long notAfterSeconds = 30L * 24 * 3600;
  };
  struct Leaf {
    std::filesystem::path cert;  // <dir>/<stem>.crt
    std::filesystem::path key;   // <dir>/<stem>.key
  };
  // A new key and a certificate for it signed by this CA, written next to the CA's files.
  Leaf issue(const std::string& stem, const LeafOptions& options) const;
  Leaf issue(const std::string& stem) const { return issue(stem, LeafOptions{}); }
};

}  // namespace epp::testing
