#include "host/runtime/security_metrics.h"

#include "host/common/metrics_registry.h"

namespace epp::runtime {

SecurityMetrics& SecurityMetrics::get() {
  static SecurityMetrics* metrics = new SecurityMetrics();  // never destroyed, as Metrics
  return *metrics;
}

SecurityMetrics::SecurityMetrics()
    : limits_(prometheus::BuildCounter()
                  .Name("eppd_request_limit_rejections_total")
                  .Help("Requests refused by a server limit: body_bytes (413), header_count "
                        "or header_bytes (431)")
                  .Register(common::metricsRegistry())),
      tlsReloads_(prometheus::BuildCounter()
                      .Name("eppd_tls_certificate_reloads_total")
                      .Help("Changes of the ext_proc TLS certificate, key or client CA files "
                            "seen, by result (failure: the files are unusable)")
                      .Register(common::metricsRegistry())),
      tlsExpiry_(prometheus::BuildGauge()
                     .Name("eppd_tls_certificate_expiry_timestamp_seconds")
                     .Help("When the ext_proc TLS certificate expires (Unix time)")
                     .Register(common::metricsRegistry())
                     .Add({})) {
  // Present from the start, so rate() sees the first refusal.
  for (const char* limit : {"body_bytes", "header_count", "header_bytes"}) {
    limits_.Add({{"limit", limit}});
  }
  for (const char* result : {"success", "failure"}) tlsReloads_.Add({{"result", result}});
}

void SecurityMetrics::requestRefused(const std::string& limit) {
  limits_.Add({{"limit", limit}}).Increment();
}

void SecurityMetrics::tlsCertificate(int64_t notAfterUnix) {
  tlsExpiry_.Set(static_cast<double>(notAfterUnix));
}

void SecurityMetrics::tlsReload(bool success) {
  tlsReloads_.Add({{"result", success ? "success" : "failure"}}).Increment();
}

}  // namespace epp::runtime
