// File: host/common/tls_client.h
//
// Client-side TLS for eppd's outgoing HTTPS (the Kubernetes API server; metric scraping):
// a context that verifies the peer against a CA bundle, and the per-connection settings
// (SNI, host name check) a stream needs before its handshake. A context is made per
// connection attempt by its users, so a rotated CA file is read again.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <memory>
#include <string>

#include "host/common/result.h"

namespace epp::common {

struct TlsClientOptions {
  // PEM bundle of trusted CAs; empty: the system's default trust store.
  std::string caFile;
  // No certificate or host name check at all (encryption only).
  bool insecureSkipVerify = false;
};

// TLS 1.2 or newer; the error names the CA file and what OpenSSL said.
Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsClientContext(
    const TlsClientOptions& options);

// Sets SNI (for a name, not an IP literal) and, unless verification is off, checks the
// certificate names `host` (a DNS name or an IP address). `Stream` is an asio or Beast
// ssl stream.
bool isIpLiteral(const std::string& host);

template <class Stream>
Status prepareTlsClientStream(Stream& stream, const std::string& host, bool verify) {
  // SNI carries names only (RFC 6066).
  if (!isIpLiteral(host) && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
    return Error{"cannot set the TLS server name " + host};
  }
  if (verify) {
    stream.set_verify_mode(boost::asio::ssl::verify_peer);
    stream.set_verify_callback(boost::asio::ssl::host_name_verification(host));
  } else {
    stream.set_verify_mode(boost::asio::ssl::verify_none);
  }
  return {};
}

// "certificate verify failed (unable to get local issuer certificate)": the error and, for a
// failed handshake on `ssl`, which certificate check failed.
std::string describeTlsError(const boost::system::error_code& ec, SSL* ssl = nullptr);

}  // namespace epp::common
