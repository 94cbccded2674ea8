// File: tools/sim/tests/http_client.h
//
// A blocking HTTP/1.1 client for the simulator's tests (Boost.Beast), plus small readers
// for what it answers: Prometheus text samples and SSE events.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace epp::sim::testing {

struct HttpResult {
  int status = 0;  // 0: no HTTP answer (connection refused, reset or closed)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  double seconds = 0;                          // wall time of the exchange
};

HttpResult httpCall(int port, std::string_view method, std::string_view target,
                    std::string_view body = {},
                    std::vector<std::pair<std::string, std::string>> headers = {});

// One sample of Prometheus text: name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
std::vector<Sample> parseSamples(std::string_view text);
// The value of the first sample named `name` whose labels include `labels`.
std::optional<double> sampleValue(const std::vector<Sample>& samples, std::string_view name,
                                  const std::map<std::string, std::string>& labels = {});
// Family names declared by "# TYPE" lines, with their type.
std::map<std::string, std::string> familyTypes(std::string_view text);

// The payloads of "data: ..." SSE events, in order.
std::vector<std::string> sseData(std::string_view body);

}  // namespace epp::sim::testing
