// The transport's building blocks without a socket: request ids, subset hints, header
// conversion, reply messages and body chunking.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "host/extproc/headers.h"
#include "host/extproc/request_id.h"
#include "host/extproc/responses.h"

namespace epp::extproc {
namespace {

using ::testing::ElementsAre;

TEST(RequestIdTest, IsUuidV4AndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = newRequestId();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[14], '4');
    EXPECT_EQ(id[18], '-');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    EXPECT_EQ(id[23], '-');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

pb::Metadata hint(const google::protobuf::Value& value) {
  pb::Metadata metadata;
  (*(*metadata.mutable_filter_metadata())[std::string(kSubsetHintNamespace)]
        .mutable_fields())[std::string(kSubsetHintKey)] = value;
  return metadata;
}

TEST(SubsetHintTest, ReadsListStringAndAbsence) {
  std::vector<std::string> out;
  EXPECT_FALSE(readSubsetHint(pb::Metadata(), out));

  google::protobuf::Value list;
  list.mutable_list_value()->add_values()->set_string_value("10.0.0.1:80");
  list.mutable_list_value()->add_values()->set_string_value(" 10.0.0.2:80 ");
  list.mutable_list_value()->add_values()->set_string_value("");
  EXPECT_TRUE(readSubsetHint(hint(list), out));
  EXPECT_THAT(out, ElementsAre("10.0.0.1:80", "10.0.0.2:80"));

  google::protobuf::Value text;
  text.set_string_value("10.0.0.3:80, 10.0.0.4:80");
  EXPECT_TRUE(readSubsetHint(hint(text), out));
  EXPECT_THAT(out, ElementsAre("10.0.0.3:80", "10.0.0.4:80"));

  google::protobuf::Value empty;
  empty.mutable_list_value();
  EXPECT_TRUE(readSubsetHint(hint(empty), out));
  EXPECT_TRUE(out.empty());

  google::protobuf::Value number;
  number.set_number_value(3);
  EXPECT_TRUE(readSubsetHint(hint(number), out));
  EXPECT_TRUE(out.empty());
}

TEST(HeadersTest, TakesRawValueAndFallsBackToValue) {
  pb::HeaderMap map;
  auto* a = map.add_headers();
  a->set_key(":path");
  a->set_raw_value("/v1/completions");
  auto* b = map.add_headers();
  b->set_key("x-old");
  b->set_value("legacy");
  HeaderList out;
  takeHeaders(map, out);
  EXPECT_THAT(out, ElementsAre(std::pair<std::string, std::string>(":path", "/v1/completions"),
                               std::pair<std::string, std::string>("x-old", "legacy")));
}

TEST(ResponsesTest, RoutedHeadersCarryEverythingEnvoyNeeds) {
  RoutingDecision decision;
  decision.destination = "10.0.0.1:8000,10.0.0.2:8000";
  decision.setHeaders = {{"x-gateway-model-name", "m"}};
  pb::ProcessingResponse reply = routedHeadersResponse(decision, {{"x-request-id", "id"}});
  ASSERT_TRUE(reply.has_request_headers());
  const pb::CommonResponse& common = reply.request_headers().response();
  EXPECT_TRUE(common.clear_route_cache());
  EXPECT_EQ(common.status(), pb::CommonResponse::CONTINUE);
  ASSERT_EQ(common.header_mutation().set_headers_size(), 3);
  for (const auto& option : common.header_mutation().set_headers()) {
    EXPECT_TRUE(option.header().value().empty());
    EXPECT_EQ(option.append_action(), pb::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  }
  EXPECT_EQ(common.header_mutation().set_headers(0).header().key(),
            "x-gateway-destination-endpoint");
  EXPECT_EQ(common.header_mutation().set_headers(0).header().raw_value(), decision.destination);
  EXPECT_EQ(common.header_mutation().set_headers(2).header().key(), "x-request-id");
  const auto& lb = reply.dynamic_metadata().fields().at("envoy.lb").struct_value();
  EXPECT_EQ(lb.fields().at("x-gateway-destination-endpoint").string_value(), decision.destination);
}

TEST(ResponsesTest, ImmediateResponseBodyAndDetails) {
  pb::ProcessingResponse reply = immediateResponse(429, "ResourceExhausted", "shed", {});
  ASSERT_TRUE(reply.has_immediate_response());
  EXPECT_EQ(reply.immediate_response().status().code(), 429);
  EXPECT_EQ(reply.immediate_response().body(), "inference error: ResourceExhausted - shed");
  EXPECT_EQ(reply.immediate_response().details(), "ResourceExhausted");
  EXPECT_FALSE(reply.has_dynamic_metadata());
}

std::vector<std::pair<std::string, bool>> drain(BodyChunker& chunker) {
  std::vector<std::pair<std::string, bool>> chunks;
  pb::ProcessingResponse message;
  while (!chunker.done()) {
    chunker.next(message);
    const auto& streamed = message.request_body().response().body_mutation().streamed_response();
    chunks.emplace_back(streamed.body(), streamed.end_of_stream());
  }
  return chunks;
}

TEST(BodyChunkerTest, CutsAtTheLimitWithEndOfStreamOnTheLast) {
  BodyChunker chunker(std::string(10, 'a') + std::string(10, 'b') + "c", 10, false);
  EXPECT_THAT(drain(chunker), ElementsAre(std::pair<std::string, bool>(std::string(10, 'a'), false),
                                          std::pair<std::string, bool>(std::string(10, 'b'), false),
                                          std::pair<std::string, bool>("c", true)));
}

TEST(BodyChunkerTest, ExactMultipleHasNoEmptyTail) {
  BodyChunker chunker(std::string(124000, 'x'), 62000, false);
  auto chunks = drain(chunker);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].first.size(), 62000u);
  EXPECT_TRUE(chunks[1].second);
}

TEST(BodyChunkerTest, EmptyBodyIsOneEmptyChunk) {
  BodyChunker chunker(std::string(), 62000, false);
  EXPECT_THAT(drain(chunker), ElementsAre(std::pair<std::string, bool>("", true)));
  BodyChunker withTrailers(std::string(), 62000, true);
  EXPECT_THAT(drain(withTrailers), ElementsAre(std::pair<std::string, bool>("", false)));
}

TEST(BodyChunkerTest, SharedInputIsCopiedAndSoleInputIsTaken) {
  auto shared = std::make_shared<RequestInput>();
  shared->body = "hello world";
  auto keep = shared;
  BodyChunker copying(std::move(shared), 5, true);
  EXPECT_THAT(drain(copying), ElementsAre(std::pair<std::string, bool>("hello", false),
                                          std::pair<std::string, bool>(" worl", false),
                                          std::pair<std::string, bool>("d", false)));
  EXPECT_EQ(keep->body, "hello world");  // someone else still reads it: untouched

  BodyChunker taking(std::move(keep), 100, false);
  EXPECT_THAT(drain(taking), ElementsAre(std::pair<std::string, bool>("hello world", true)));
}

TEST(ResponsesTest, ErrorCodeWords) {
  EXPECT_STREQ(errorCodeForStatus(400), "BadRequest");
  EXPECT_STREQ(errorCodeForStatus(404), "NotFound");
  EXPECT_STREQ(errorCodeForStatus(413), "PayloadTooLarge");
  EXPECT_STREQ(errorCodeForStatus(429), "ResourceExhausted");
  EXPECT_STREQ(errorCodeForStatus(500), "Internal");
  EXPECT_STREQ(errorCodeForStatus(503), "ServiceUnavailable");
}

}  // namespace
}  // namespace epp::extproc
