#include "host/routing/split_request.h"

#include "host/loader/abi_views.h"

namespace epp::routing {

using loader::toStr;

SplitRequest::SplitRequest(std::string_view requestId, std::string_view path,
                           std::string_view model, std::string_view requested,
                           const Headers& headers,
                           std::span<const epp_endpoint_view* const> candidates, uint64_t seed)
    : requestId_(requestId), headers_(headers), candidates_(candidates), rng_(seed) {
  headerViews_.reserve(headers.size());
  for (const auto& [k, v] : headers) headerViews_.push_back({toStr(k), toStr(v)});
  view_.struct_size = sizeof view_;
  view_.handle = handle();
  view_.request_id = toStr(requestId);
  view_.path = toStr(path);
  view_.model = toStr(model);
  view_.target_model = toStr(requested);
  view_.lora_adapter = toStr({});
  view_.fairness_id = toStr("default-flow");
  view_.headers = headerViews_.data();
  view_.headers_count = headerViews_.size();
  view_.body = {nullptr, 0};
  view_.prompt = toStr({});
}

std::optional<std::string_view> SplitRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

epp_status SplitRequest::setHeader(std::string_view, std::string_view) {
  return EPP_ERR_UNIMPLEMENTED;
}

epp_status SplitRequest::setResponseHeader(std::string_view, std::string_view) {
  return EPP_ERR_UNIMPLEMENTED;
}

epp_status SplitRequest::prefixHashes(uint32_t, uint32_t, std::span<const uint64_t>&) {
  return EPP_ERR_UNIMPLEMENTED;
}

uint64_t SplitRequest::random() {
  // splitmix64, as the scheduling request's generator.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

epp_status SplitRequest::stateSet(const loader::InstanceHost&, void* state,
                                  void (*destroy)(void*)) {
  if (destroy != nullptr) destroy(state);  // the contract: ownership passes in every case
  return EPP_ERR_UNIMPLEMENTED;
}

void* SplitRequest::stateGet(const loader::InstanceHost&) const { return nullptr; }

epp_status SplitRequest::dataPut(std::string_view, std::span<const uint64_t>,
                                 std::span<const double>) {
  return EPP_ERR_UNIMPLEMENTED;
}

epp_status SplitRequest::dataGet(std::string_view, const epp_endpoint_list&, double*) const {
  return EPP_ERR_NOT_FOUND;
}

epp_status SplitRequest::pool(epp_endpoint_list& out) const {
  out = {candidates_.data(), candidates_.size()};
  return EPP_OK;
}

}  // namespace epp::routing
