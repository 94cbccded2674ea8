#include "host/common/tls_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/error.hpp>

namespace epp::common {

bool isIpLiteral(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

Result<std::shared_ptr<boost::asio::ssl::context>> makeTlsClientContext(
    const TlsClientOptions& options) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
  if (ec) return Error{"TLS options: " + ec.message()};
  if (options.insecureSkipVerify) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  if (options.caFile.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return Error{"the system's CA certificates: " + describeTlsError(ec)};
  } else {
    context->load_verify_file(options.caFile, ec);
    if (ec) return Error{fmt::format("CA file {}: {}", options.caFile, describeTlsError(ec))};
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

std::string describeTlsError(const boost::system::error_code& ec, SSL* ssl) {
  std::string text = ec.message();
  if (ssl != nullptr) {
    long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) text += fmt::format(" ({})", X509_verify_cert_error_string(result));
  }
  return text;
}

}  // namespace epp::common
