#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"
#include "plugins/common/inflight_ledger.h"
#include "plugins/picker/consistent_hash_picker/hash_ring.h"

namespace epp::plugins {

// consistent-hash-picker: sends requests with the same key to the same endpoint, for
// locality (a session's or a shared prompt prefix's KV cache stays warm). The key is a
// request header's value (`hashHeader`, default x-session-id) or, without it, the first
// `prefixChars` characters of the prompt. Endpoints sit on a hash ring at `virtualNodes`
// points each, placed by their name and port, so adding or removing one moves only ~1/N of
// the keys and every eppd replica maps a key alike. Bounded load: an endpoint whose
// in-flight count would exceed ceil(loadFactor x mean) is passed over for the next one
// clockwise. Scores are ignored.
class ConsistentHashPicker : public cpp::Plugin,
                             public cpp::Picker,
                             public cpp::PreRequestHook,
                             public cpp::ResponseHooks,
                             public cpp::EndpointHooks {
 public:
  static constexpr std::string_view kDefaultHeader = "x-session-id";

  explicit ConsistentHashPicker(const cpp::CreateContext& ctx);

  size_t pick(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<const double> scores, std::span<uint32_t> picked) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void requestComplete(const cpp::Request& request, const cpp::Response* response,
                       epp_request_outcome outcome) override;
  void endpointsRemoved(std::span<const uint64_t> endpointIds) override;

  // Where a request falls on the ring (exposed for tests).
  uint64_t keyOf(const cpp::Request& request) const;
  // The ring identity of an endpoint: a hash of its name and port, or of "ip:port" when it
  // has no name.
  static uint64_t memberKey(const cpp::Endpoint& endpoint);

 private:
  int64_t maxNumOfEndpoints_;
  std::string header_;
  size_t prefixChars_;
  double loadFactor_;
  HashRingCache rings_;
  InflightLedger ledger_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppConsistentHashPickerEntry(const epp_entry_args* args);
