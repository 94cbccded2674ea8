// File: tests/support/test_pki.h
//
// A throwaway PKI for TLS tests, made with the OpenSSL API (no `openssl` command needed):
// a CA, and a server certificate it signed for 127.0.0.1, ::1 and localhost, written as PEM
// files. Two TestPki objects are unrelated CAs, so one can play "the wrong CA".
#pragma once

#include <filesystem>
#include <string>

namespace epp::testing {

struct TestPki {
  std::filesystem::path caCert;      // <dir>/<name>-ca.crt
  std::filesystem::path serverCert;  // <dir>/<name>-server.crt (leaf only)
  std::filesystem::path serverKey;   // <dir>/<name>-server.key (unencrypted)

  // Writes the three files into `dir` (which must exist). Aborts the test binary on an
  // OpenSSL failure: nothing can be tested without them.
  static TestPki create(const std::filesystem::path& dir, const std::string& name = "test");
};

}  // namespace epp::testing
