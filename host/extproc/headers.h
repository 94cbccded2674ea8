// File: host/extproc/headers.h
//
// Conversions between Envoy's header messages and the pipeline's HeaderList, and the
// subset-hint lookup in metadata_context. Envoy sends header values in `raw_value` and reads
// only `raw_value` back (extproc-abi-reload.md §0.3), so that is all we ever write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/extproc/proto/ext_proc.pb.h"
#include "host/extproc/request_pipeline.h"

namespace epp::extproc {

namespace pb = ::envoy::service::ext_proc::v3;

inline constexpr std::string_view kDestinationHeader = "x-gateway-destination-endpoint";
inline constexpr std::string_view kRequestIdHeader = "x-request-id";
inline constexpr std::string_view kLbNamespace = "envoy.lb";
inline constexpr std::string_view kSubsetHintNamespace = "envoy.lb.subset_hint";
inline constexpr std::string_view kSubsetHintKey = "x-gateway-destination-endpoint-subset";

// The value Envoy sent: `raw_value`, or `value` from an Envoy that predates raw values.
const std::string& headerValue(const pb::HeaderValue& header);

// Moves every header of `map` into `out` (keys as sent: Envoy lower-cases them).
void takeHeaders(pb::HeaderMap& map, HeaderList& out);

// Appends `key: value` to `mutation` as a raw_value with OVERWRITE_IF_EXISTS_OR_ADD: the
// gateway must replace whatever the client sent under the same name.
void addSetHeader(pb::HeaderMutation& mutation, std::string_view key, std::string_view value);

// The first value of `key` in `headers`, or nullptr.
const std::string* findHeader(const HeaderList& headers, std::string_view key);

// Reads metadata_context.filter_metadata["envoy.lb.subset_hint"]
// ["x-gateway-destination-endpoint-subset"]. Returns false when the key is absent. A list
// value gives its string items; a single string (some gateways send one) is split on
// commas. Blank entries are dropped, so an empty list stays empty.
bool readSubsetHint(const pb::Metadata& metadata, std::vector<std::string>& out);

}  // namespace epp::extproc
