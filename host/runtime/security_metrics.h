// File: host/runtime/security_metrics.h
//
// Metrics of eppd's defences (the admin token's are in admin_server.cc):
//   eppd_request_limit_rejections_total{limit}   requests refused by a server limit:
//                                                body_bytes (413), header_count and
//                                                header_bytes (431)
//   eppd_tls_certificate_reloads_total{result}   changes of the ext_proc TLS files seen:
//                                                success, or failure (unusable files)
//   eppd_tls_certificate_expiry_timestamp_seconds  notAfter of the certificate in the files
//                                                (Unix time): alert before it passes
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <string>

namespace epp::runtime {

class SecurityMetrics {
 public:
  static SecurityMetrics& get();

  void requestRefused(const std::string& limit);
  void tlsCertificate(int64_t notAfterUnix);
  void tlsReload(bool success);

 private:
  SecurityMetrics();
  prometheus::Family<prometheus::Counter>& limits_;
  prometheus::Family<prometheus::Counter>& tlsReloads_;
  prometheus::Gauge& tlsExpiry_;
};

}  // namespace epp::runtime
