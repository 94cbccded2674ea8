// File: host/extproc/tls_credentials.h
//
// TLS (and mTLS) for the ext_proc listener, from PEM files that are re-read while eppd runs,
// as the reference EPP's --enable-cert-reload does: gRPC's file-watcher certificate
// provider reads the certificate, key and client CA files every `refresh`, and new
// connections get what it read last (open connections keep their session). Replace the
// certificate and key together (a Kubernetes Secret volume swaps both at once): a
// certificate read without its new key makes handshakes fail until the key follows.
//
//   TlsServerFiles files{.certFile = "/tls/tls.crt", .keyFile = "/tls/tls.key"};
//   auto info = checkTlsServerFiles(files);          // refuse to start on bad files
//   auto creds = makeTlsServerCredentials(files);    // for grpc::ServerBuilder
//   TlsFileMonitor monitor(files, [](auto& r) { log(r); });  // logs each rotation
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "host/common/result.h"

namespace epp::extproc {

struct TlsServerFiles {
  std::string certFile;      // PEM chain, leaf first
  std::string keyFile;       // PEM private key of the leaf
  std::string clientCaFile;  // set: clients must present a certificate chaining to it
  std::chrono::seconds refresh{5};
};

// The leaf certificate the files hold now.
struct TlsCertificateInfo {
  std::string subject;  // one line, as OpenSSL prints it
  std::string serial;   // hex
  int64_t notAfterUnix = 0;
  bool expired = false;
  int clientCaCertificates = 0;  // in clientCaFile
};

// Reads and checks the files: readable PEM, a private key that matches the leaf, a client
// CA bundle with at least one certificate. An expired certificate is not an error here (a
// renewed one may be on its way); `expired` says so.
common::Result<TlsCertificateInfo> checkTlsServerFiles(const TlsServerFiles& files);

// Server credentials serving the files (re-read every files.refresh); with clientCaFile a
// client certificate is required and verified.
std::shared_ptr<grpc::ServerCredentials> makeTlsServerCredentials(const TlsServerFiles& files);

// Watches the files' modification times on a thread of its own and reports every change
// once checked (new certificate, or why the files are unusable), so that a rotation, or a
// rotation gone wrong, is logged and counted. gRPC does the serving; this only observes.
class TlsFileMonitor {
 public:
  using Report = std::function<void(const common::Result<TlsCertificateInfo>&)>;
  TlsFileMonitor(TlsServerFiles files, Report report);
  ~TlsFileMonitor();
  TlsFileMonitor(const TlsFileMonitor&) = delete;
  TlsFileMonitor& operator=(const TlsFileMonitor&) = delete;

 private:
  void run();
  std::string stamp() const;

  TlsServerFiles files_;
  Report report_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace epp::extproc
