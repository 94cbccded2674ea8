#include "host/extproc/tls_credentials.h"

#include <fmt/format.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>

namespace epp::extproc {
namespace {

using common::Error;

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using CertPtr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

// OpenSSL's last error, or `fallback`; clears the queue.
std::string sslError(const char* fallback) {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

common::Result<BioPtr> openFile(const std::string& path, const char* what) {
  if (path.empty()) return Error{fmt::format("tls: no {} given", what)};
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    return Error{fmt::format("tls: cannot read {} {}: {}", what, path, sslError("cannot open"))};
  }
  return bio;
}

std::string subjectOf(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE);
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string serialOf(X509* cert) {
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!bn) return "";
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

std::string stampOf(const std::string& path) {
  if (path.empty()) return "-";
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "missing";
  return fmt::format("{}:{}:{}.{}:{}", info.st_dev, info.st_ino, info.st_mtim.tv_sec,
                     info.st_mtim.tv_nsec, info.st_size);
}

}  // namespace

common::Result<TlsCertificateInfo> checkTlsServerFiles(const TlsServerFiles& files) {
  ERR_clear_error();
  auto certBio = openFile(files.certFile, "certificate file");
  if (!certBio) return Error{certBio.error()};
  CertPtr leaf(PEM_read_bio_X509(certBio->get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    return Error{fmt::format("tls: {} holds no PEM certificate: {}", files.certFile,
                             sslError("no certificate"))};
  }
  auto keyBio = openFile(files.keyFile, "key file");
  if (!keyBio) return Error{keyBio.error()};
  KeyPtr key(PEM_read_bio_PrivateKey(keyBio->get(), nullptr, nullptr, nullptr));
  if (!key) {
    return Error{fmt::format("tls: {} holds no unencrypted PEM private key: {}", files.keyFile,
                             sslError("no key"))};
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return Error{fmt::format("tls: the key in {} does not belong to the certificate in {}",
                             files.keyFile, files.certFile)};
  }
  TlsCertificateInfo info;
  info.subject = subjectOf(leaf.get());
  info.serial = serialOf(leaf.get());
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf.get()), &tm) == 1) info.notAfterUnix = timegm(&tm);
  info.expired = X509_cmp_current_time(X509_get0_notAfter(leaf.get())) < 0;
  if (!files.clientCaFile.empty()) {
    auto caBio = openFile(files.clientCaFile, "client CA file");
    if (!caBio) return Error{caBio.error()};
    while (CertPtr ca{PEM_read_bio_X509(caBio->get(), nullptr, nullptr, nullptr)}) {
      ++info.clientCaCertificates;
    }
    ERR_clear_error();  // the end of the file reads as an error
    if (info.clientCaCertificates == 0) {
      return Error{
          fmt::format("tls: client CA file {} holds no PEM certificate", files.clientCaFile)};
    }
  }
  return info;
}

std::shared_ptr<grpc::ServerCredentials> makeTlsServerCredentials(const TlsServerFiles& files) {
  auto seconds = static_cast<unsigned>(std::max<int64_t>(1, files.refresh.count()));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.keyFile, files.certFile, files.clientCaFile, seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (files.clientCaFile.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

TlsFileMonitor::TlsFileMonitor(TlsServerFiles files, Report report)
    : files_(std::move(files)), report_(std::move(report)) {
  thread_ = std::thread([this] { run(); });
}

TlsFileMonitor::~TlsFileMonitor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string TlsFileMonitor::stamp() const {
  return stampOf(files_.certFile) + "|" + stampOf(files_.keyFile) + "|" +
         stampOf(files_.clientCaFile);
}

void TlsFileMonitor::run() {
  std::string last = stamp();
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, files_.refresh, [this] { return stop_; })) {
    std::string now = stamp();
    if (now == last) continue;
    last = now;
    lock.unlock();
    report_(checkTlsServerFiles(files_));
    lock.lock();
  }
}

}  // namespace epp::extproc
