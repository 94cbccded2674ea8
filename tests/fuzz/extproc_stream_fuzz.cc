// File: tests/fuzz/extproc_stream_fuzz.cc
//
// One ext_proc stream per input, driven into the real Stream reactor: an in-process gRPC
// server (one for every input) with eppd's ExtProcServer in front of a pipeline that
// decides as the input says, and a client that sends the messages the input decodes to in
// any order (request/response headers, bodies, trailers, empty messages, end_of_stream
// anywhere, observability_mode, a subset hint, limits crossed).
//
// When the pipeline answers inline the conversation is deterministic, and the replies and
// the final status are checked against a model of stream.h's protocol: routing reply,
// body chunks and trailers; ImmediateResponse 400 for a violation before routing, gRPC
// INVALID_ARGUMENT after; 413 and 431 at the limits; echoed response messages; nothing in
// observability mode. When it answers later, from another thread, or the client cancels,
// the invariants that hold whatever the timing are checked: at most one routing reply,
// nothing after an ImmediateResponse, every ResponseObserver told onComplete exactly once,
// no stream left alive.
#include <fuzzer/FuzzedDataProvider.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/common/logging.h"
#include "host/extproc/extproc_server.h"
#include "host/extproc/headers.h"
#include "host/extproc/request_pipeline.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace epp::extproc;  // NOLINT: a test of this namespace alone

constexpr size_t kMaxBody = 2048;
constexpr size_t kMaxHeaders = 8;
constexpr size_t kMaxHeaderBytes = 512;
constexpr size_t kMaxChunk = 97;
constexpr const char* kDestination = "10.0.0.1:8000";
constexpr const char* kPluginDestination = "10.9.9.9:9";

enum class Mode { kRouted, kError, kNoDestination, kThrow, kTwice, kDeferred, kDeferredError };

struct Plan {
  Mode mode = Mode::kRouted;
  int errorStatus = 503;
  bool replaceBody = false;
  bool setHeader = false;
  bool pluginDestination = false;
  bool pluginDestinationEmpty = false;
  bool observer = true;
  bool cancel = false;
  bool answerBeforeHalfClose = false;
  std::vector<pb::ProcessingRequest> messages;

  bool inline_() const { return mode != Mode::kDeferred && mode != Mode::kDeferredError; }
};

// ---- the pipeline -------------------------------------------------------------------------

std::atomic<int> gObserversLive{0};

class FuzzObserver final : public ResponseObserver {
 public:
  FuzzObserver() { gObserversLive.fetch_add(1); }
  ~FuzzObserver() override {
    FUZZ_CHECK(completeCalls_ == 1, "observer destroyed after %d onComplete calls", completeCalls_);
    gObserversLive.fetch_sub(1);
  }
  void onResponseHeaders(const HeaderList&, HeaderList& setHeaders) override {
    FUZZ_CHECK(completeCalls_ == 0);
    setHeaders.emplace_back("x-fuzz-observed", "1");
  }
  void onResponseBody(std::string&, bool) override { FUZZ_CHECK(completeCalls_ == 0); }
  void onComplete(bool) override { ++completeCalls_; }

 private:
  int completeCalls_ = 0;
};

class FuzzPipeline final : public RequestPipeline {
 public:
  void begin(const Plan* plan) {
    std::lock_guard lock(mu_);
    plan_ = plan;
    routeCalls_ = 0;
    held_ = nullptr;
    heldInput_.reset();
  }

  void route(std::shared_ptr<RequestInput> input, RouteCallback done) override {
    checkInput(*input);
    std::unique_lock lock(mu_);
    ++routeCalls_;
    FUZZ_CHECK(routeCalls_ == 1, "route() called twice for one stream");
    const Plan& plan = *plan_;
    switch (plan.mode) {
      case Mode::kRouted:
        lock.unlock();
        done(routed(plan, *input));
        return;
      case Mode::kError:
        lock.unlock();
        done(RoutingDecision::error(plan.errorStatus, "", "fuzz error"));
        return;
      case Mode::kNoDestination: {
        RoutingDecision d = routed(plan, *input);
        d.destination.clear();
        d.setHeaders.clear();
        lock.unlock();
        done(std::move(d));
        return;
      }
      case Mode::kThrow:
        throw std::runtime_error("fuzz pipeline throws");
      case Mode::kTwice:
        lock.unlock();
        done(routed(plan, *input));
        done(routed(plan, *input));  // a pipeline bug: must be ignored
        return;
      case Mode::kDeferred:
      case Mode::kDeferredError:
        held_ = std::move(done);
        heldInput_ = std::move(input);
        return;
    }
  }

  // Answers a held request (deferred modes), from the calling thread.
  void answerHeld() {
    RouteCallback done;
    std::shared_ptr<RequestInput> input;
    const Plan* plan = nullptr;
    {
      std::lock_guard lock(mu_);
      done = std::move(held_);
      held_ = nullptr;
      input = std::move(heldInput_);
      plan = plan_;
    }
    if (!done) return;
    if (plan->mode == Mode::kDeferredError) {
      done(RoutingDecision::error(plan->errorStatus, "", "fuzz error"));
    } else {
      done(routed(*plan, *input));
    }
  }

  int routeCalls() {
    std::lock_guard lock(mu_);
    return routeCalls_;
  }

 private:
  static RoutingDecision routed(const Plan& plan, const RequestInput& input) {
    RoutingDecision d;
    d.destination = kDestination;
    if (plan.setHeader) d.setHeaders.emplace_back("x-fuzz-set", "yes");
    if (plan.pluginDestination) {
      d.setHeaders.emplace_back(std::string(kDestinationHeader),
                                plan.pluginDestinationEmpty ? "" : kPluginDestination);
    }
    if (plan.replaceBody) {
      d.bodyReplaced = true;
      d.body = "R:" + input.body;
    }
    if (plan.observer) d.observer = std::make_unique<FuzzObserver>();
    return d;
  }

  // What the transport promises the pipeline about every request it routes.
  static void checkInput(const RequestInput& input) {
    FUZZ_CHECK(!input.requestId.empty());
    const std::string* id = findHeader(input.headers, kRequestIdHeader);
    FUZZ_CHECK(id != nullptr && *id == input.requestId);
    FUZZ_CHECK(input.body.size() <= kMaxBody);
    FUZZ_CHECK(input.headers.size() <= kMaxHeaders + 1);
    FUZZ_CHECK(!input.headersOnly || input.body.empty());
    FUZZ_CHECK(input.cancelled != nullptr);
    for (const std::string& item : input.subsetHint) {
      FUZZ_CHECK(!item.empty() && item.find(',') == std::string::npos);
      FUZZ_CHECK(item.front() != ' ' && item.back() != ' ');
    }
    if (!input.hasSubsetHint) FUZZ_CHECK(input.subsetHint.empty());
  }

  std::mutex mu_;
  const Plan* plan_ = nullptr;
  int routeCalls_ = 0;
  RouteCallback held_;
  std::shared_ptr<RequestInput> heldInput_;
};

// ---- decoding the input --------------------------------------------------------------------

std::string ascii(FuzzedDataProvider& in, size_t max) {
  std::string s = in.ConsumeRandomLengthString(max);
  for (char& c : s) c = static_cast<char>(static_cast<unsigned char>(c) & 0x7f);
  return s;
}

void fillHeaders(FuzzedDataProvider& in, pb::HeaderMap& map) {
  static const char* const kKeys[] = {":path",          ":method",
                                      "x-request-id",   "content-type",
                                      "content-length", "x-gateway-destination-endpoint"};
  size_t count = in.ConsumeIntegralInRange<size_t>(0, kMaxHeaders + 2);
  for (size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    pb::HeaderValue* h = map.add_headers();
    uint8_t pick = in.ConsumeIntegralInRange<uint8_t>(0, 7);
    h->set_key(pick < 6 ? kKeys[pick] : ascii(in, 24));
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 0:
        h->set_value(ascii(in, 64));
        break;
      case 1:
        h->set_raw_value(in.ConsumeRandomLengthString(64));
        break;
      case 2:
        h->set_value(ascii(in, 16));
        h->set_raw_value(in.ConsumeRandomLengthString(64));
        break;
      default:
        h->set_raw_value(std::string(in.ConsumeIntegralInRange<size_t>(0, 300), 'v'));
    }
  }
}

void addSubsetHint(FuzzedDataProvider& in, pb::ProcessingRequest& message) {
  google::protobuf::Struct& ns =
      (*message.mutable_metadata_context()
            ->mutable_filter_metadata())[std::string(kSubsetHintNamespace)];
  google::protobuf::Value& value = (*ns.mutable_fields())[std::string(kSubsetHintKey)];
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      value.set_string_value(ascii(in, 40));
      break;
    case 1:
      for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
        value.mutable_list_value()->add_values()->set_string_value(ascii(in, 24));
      }
      value.mutable_list_value()->add_values()->set_number_value(1);
      break;
    default:
      value.set_number_value(7);
  }
}

Plan decode(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Plan plan;
  plan.mode = static_cast<Mode>(in.ConsumeIntegralInRange(0, 9) % 7);
  if (in.ConsumeIntegralInRange(0, 9) < 3) plan.mode = Mode::kRouted;
  plan.errorStatus = in.ConsumeIntegralInRange(0, 3) == 0 ? in.ConsumeIntegralInRange(-1, 700)
                                                          : 400 + in.ConsumeIntegralInRange(0, 4);
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  plan.replaceBody = flags & 1;
  plan.setHeader = flags & 2;
  plan.pluginDestination = (flags & 12) == 12;
  plan.pluginDestinationEmpty = flags & 16;
  plan.observer = !(flags & 32);
  plan.cancel = (flags & 0xc0) == 0xc0 && !plan.inline_();
  plan.answerBeforeHalfClose = flags & 64;
  while (in.remaining_bytes() > 0 && plan.messages.size() < 48) {
    pb::ProcessingRequest& m = plan.messages.emplace_back();
    const uint8_t kind = in.ConsumeIntegralInRange<uint8_t>(0, 6);
    const uint8_t bits = in.ConsumeIntegral<uint8_t>();
    const bool eos = bits & 1;
    if ((bits & 0xf0) == 0xf0) m.set_observability_mode(true);
    switch (kind) {
      case 0:
      case 2: {
        pb::HttpHeaders* h = kind == 0 ? m.mutable_request_headers() : m.mutable_response_headers();
        fillHeaders(in, *h->mutable_headers());
        h->set_end_of_stream(eos);
        break;
      }
      case 1:
      case 3: {
        pb::HttpBody* b = kind == 1 ? m.mutable_request_body() : m.mutable_response_body();
        size_t n = in.ConsumeIntegralInRange<size_t>(0, (bits & 2) ? 1200 : 120);
        b->set_body(in.ConsumeBytesAsString(n));
        b->set_end_of_stream(eos);
        break;
      }
      case 4:
        fillHeaders(in, *m.mutable_request_trailers()->mutable_trailers());
        break;
      case 5:
        fillHeaders(in, *m.mutable_response_trailers()->mutable_trailers());
        break;
      default:
        break;  // no request or response content: a violation
    }
    if ((bits & 0x0c) == 0x0c) addSubsetHint(in, m);
  }
  return plan;
}

// EPP_FUZZ_DEBUG=1: what an input decodes to, for reading a crash.
void dump(const Plan& plan) {
  std::fprintf(stderr,
               "mode %d status %d replaceBody %d setHeader %d pluginDestination %d/%d observer %d "
               "cancel %d answerBeforeHalfClose %d\n",
               static_cast<int>(plan.mode), plan.errorStatus, plan.replaceBody, plan.setHeader,
               plan.pluginDestination, plan.pluginDestinationEmpty, plan.observer, plan.cancel,
               plan.answerBeforeHalfClose);
  for (const pb::ProcessingRequest& m : plan.messages) {
    std::fprintf(stderr, "  > %s\n", m.ShortDebugString().c_str());
  }
}

// ---- the model (inline decisions) ----------------------------------------------------------

struct Expected {
  enum Kind {
    kRoutedHeaders,
    kRequestBody,
    kRequestTrailers,
    kResponseHeaders,
    kResponseBody,
    kResponseTrailers,
    kImmediate
  } kind;
  std::string body;     // request body (all chunks) or response chunk
  bool eos = false;     // response body; request body: end of stream on the last chunk
  int status = 0;       // immediate
  size_t bodySize = 0;  // routed headers: content-length (0: none)
  std::string destination;
};

struct Outcome {
  std::vector<Expected> replies;
  grpc::StatusCode code = grpc::StatusCode::OK;
};

bool overLimit(const pb::HeaderMap& map) {
  size_t bytes = 0;
  for (const pb::HeaderValue& h : map.headers()) {
    bytes += h.key().size() + h.value().size() + h.raw_value().size();
  }
  return static_cast<size_t>(map.headers_size()) > kMaxHeaders || bytes > kMaxHeaderBytes;
}

Outcome model(const Plan& plan) {
  enum class Phase { kAwait, kBody, kRouted, kRejected } phase = Phase::kAwait;
  Outcome out;
  std::string body;
  bool headersOnly = false;
  bool trailers = false;
  bool responseHeadersSeen = false;
  bool responseComplete = false;
  bool silent = false;
  auto immediate = [&](int status) {
    out.replies.push_back({Expected::kImmediate, "", false, status, 0, ""});
    phase = Phase::kRejected;
  };
  auto violation = [&] {
    if (phase == Phase::kRouted) {
      out.code = grpc::StatusCode::INVALID_ARGUMENT;
    } else if (phase != Phase::kRejected) {
      immediate(400);
    }
    phase = Phase::kRejected;
    return false;
  };
  auto decide = [&] {
    switch (plan.mode) {
      case Mode::kError:
        immediate(plan.errorStatus < 100 || plan.errorStatus > 599 ? 500 : plan.errorStatus);
        return;
      case Mode::kNoDestination:
      case Mode::kThrow:
        immediate(500);
        return;
      default:
        break;
    }
    phase = Phase::kRouted;
    std::string sent = plan.replaceBody ? "R:" + body : body;
    std::string destination =
        plan.pluginDestination && !plan.pluginDestinationEmpty ? kPluginDestination : kDestination;
    out.replies.push_back(
        {Expected::kRoutedHeaders, "", false, 0, headersOnly ? 0 : sent.size(), destination});
    if (!headersOnly) {
      out.replies.push_back({Expected::kRequestBody, sent, !trailers, 0, 0, ""});
      if (trailers) out.replies.push_back({Expected::kRequestTrailers, "", false, 0, 0, ""});
    }
  };
  auto step = [&](const pb::ProcessingRequest& m) -> bool {
    if (m.observability_mode()) silent = true;
    if (silent) return true;
    if (phase == Phase::kRejected) return violation();
    switch (m.request_case()) {
      case pb::ProcessingRequest::kRequestHeaders:
        if (phase != Phase::kAwait) return violation();
        if (overLimit(m.request_headers().headers())) {
          immediate(431);
          return false;
        }
        if (m.request_headers().end_of_stream()) {
          headersOnly = true;
          decide();
        } else {
          phase = Phase::kBody;
        }
        return true;
      case pb::ProcessingRequest::kRequestBody:
        if (phase != Phase::kBody) return violation();
        if (body.size() + m.request_body().body().size() > kMaxBody) {
          immediate(413);
          return false;
        }
        body += m.request_body().body();
        if (m.request_body().end_of_stream()) decide();
        return true;
      case pb::ProcessingRequest::kRequestTrailers:
        if (phase != Phase::kBody) return violation();
        if (overLimit(m.request_trailers().trailers())) {
          immediate(431);
          return false;
        }
        trailers = true;
        decide();
        return true;
      case pb::ProcessingRequest::kResponseHeaders:
        if (phase != Phase::kRouted || responseHeadersSeen) return violation();
        responseHeadersSeen = true;
        if (m.response_headers().end_of_stream()) responseComplete = true;
        out.replies.push_back({Expected::kResponseHeaders, "", false, 0, 0, ""});
        return true;
      case pb::ProcessingRequest::kResponseBody:
        if (phase != Phase::kRouted || responseComplete) return violation();
        out.replies.push_back({Expected::kResponseBody, m.response_body().body(),
                               m.response_body().end_of_stream(), 0, 0, ""});
        if (m.response_body().end_of_stream()) responseComplete = true;
        return true;
      case pb::ProcessingRequest::kResponseTrailers:
        if (phase != Phase::kRouted) return violation();
        responseComplete = true;
        out.replies.push_back({Expected::kResponseTrailers, "", false, 0, 0, ""});
        return true;
      case pb::ProcessingRequest::REQUEST_NOT_SET:
        break;
    }
    return violation();
  };
  for (const pb::ProcessingRequest& m : plan.messages) {
    if (!step(m)) break;
  }
  return out;
}

// ---- checking what came back ----------------------------------------------------------------

const std::string* setHeader(const pb::HeaderMutation& mutation, std::string_view key,
                             int* count = nullptr) {
  const std::string* found = nullptr;
  for (const pb::HeaderValueOption& option : mutation.set_headers()) {
    if (option.header().key() != key) continue;
    if (count != nullptr) ++*count;
    if (found == nullptr) found = &option.header().raw_value();
  }
  return found;
}

std::string describe(const pb::ProcessingResponse& r) {
  std::string text = r.ShortDebugString();
  return text.size() > 300 ? text.substr(0, 300) + "..." : text;
}

// Matches `replies` against the model's, one expected entry at a time (a request body is one
// entry for all its chunks).
void checkExact(const Plan& plan, const std::vector<pb::ProcessingResponse>& replies,
                const grpc::Status& status) {
  Outcome want = model(plan);
  FUZZ_CHECK(status.error_code() == want.code, "status %d (%s), model says %d",
             static_cast<int>(status.error_code()), status.error_message().c_str(),
             static_cast<int>(want.code));
  size_t i = 0;
  for (const Expected& e : want.replies) {
    FUZZ_CHECK(i < replies.size(), "reply %zu missing (kind %d); %zu received", i,
               static_cast<int>(e.kind), replies.size());
    const pb::ProcessingResponse& r = replies[i];
    switch (e.kind) {
      case Expected::kRoutedHeaders: {
        FUZZ_CHECK(r.has_request_headers(), "reply %zu: %s", i, describe(r).c_str());
        const pb::CommonResponse& common = r.request_headers().response();
        FUZZ_CHECK(common.clear_route_cache());
        int destinations = 0;
        const std::string* dest =
            setHeader(common.header_mutation(), kDestinationHeader, &destinations);
        FUZZ_CHECK(dest != nullptr && *dest == e.destination && destinations == 1, "%s",
                   describe(r).c_str());
        const auto& lb = r.dynamic_metadata().fields().at(std::string(kLbNamespace));
        FUZZ_CHECK(lb.struct_value().fields().at(std::string(kDestinationHeader)).string_value() ==
                   e.destination);
        const std::string* length = setHeader(common.header_mutation(), "content-length");
        if (e.bodySize > 0) {
          FUZZ_CHECK(length != nullptr && *length == std::to_string(e.bodySize));
        } else {
          FUZZ_CHECK(length == nullptr);
        }
        FUZZ_CHECK((setHeader(common.header_mutation(), "x-fuzz-set") != nullptr) ==
                   plan.setHeader);
        ++i;
        break;
      }
      case Expected::kRequestBody: {
        std::string joined;
        bool last = false;
        size_t chunks = 0;
        while (!last) {
          FUZZ_CHECK(i < replies.size() && replies[i].has_request_body(), "body chunk %zu", chunks);
          const auto& streamed =
              replies[i].request_body().response().body_mutation().streamed_response();
          FUZZ_CHECK(streamed.body().size() <= kMaxChunk);
          joined += streamed.body();
          ++chunks;
          ++i;
          last = joined.size() == e.body.size();
          FUZZ_CHECK(streamed.end_of_stream() == (last && e.eos), "chunk %zu eos", chunks);
          FUZZ_CHECK(joined.size() <= e.body.size());
          if (!last) FUZZ_CHECK(streamed.body().size() == kMaxChunk);
        }
        FUZZ_CHECK(joined == e.body);
        break;
      }
      case Expected::kRequestTrailers:
        FUZZ_CHECK(r.has_request_trailers(), "%s", describe(r).c_str());
        ++i;
        break;
      case Expected::kResponseHeaders: {
        FUZZ_CHECK(r.has_response_headers(), "reply %zu: %s", i, describe(r).c_str());
        const auto& mutation = r.response_headers().response().header_mutation();
        FUZZ_CHECK((setHeader(mutation, "x-fuzz-observed") != nullptr) == plan.observer);
        ++i;
        break;
      }
      case Expected::kResponseBody: {
        FUZZ_CHECK(r.has_response_body(), "reply %zu: %s", i, describe(r).c_str());
        const auto& streamed = r.response_body().response().body_mutation().streamed_response();
        FUZZ_CHECK(streamed.body() == e.body && streamed.end_of_stream() == e.eos);
        ++i;
        break;
      }
      case Expected::kResponseTrailers:
        FUZZ_CHECK(r.has_response_trailers(), "reply %zu: %s", i, describe(r).c_str());
        ++i;
        break;
      case Expected::kImmediate:
        FUZZ_CHECK(r.has_immediate_response(), "reply %zu: %s", i, describe(r).c_str());
        FUZZ_CHECK(r.immediate_response().status().code() == e.status, "status %d, want %d",
                   static_cast<int>(r.immediate_response().status().code()), e.status);
        FUZZ_CHECK(r.immediate_response().body().rfind("inference error: ", 0) == 0);
        ++i;
        break;
    }
  }
  FUZZ_CHECK(i == replies.size(), "%zu replies, the model expects %zu; extra: %s", replies.size(),
             i, describe(replies[i]).c_str());
}

// What holds whatever the timing of the pipeline's answer and the client's cancel.
void checkInvariants(const std::vector<pb::ProcessingResponse>& replies,
                     const grpc::Status& status) {
  int routed = 0;
  bool immediate = false;
  for (const pb::ProcessingResponse& r : replies) {
    FUZZ_CHECK(!immediate, "a reply after the ImmediateResponse: %s", describe(r).c_str());
    if (r.has_immediate_response()) {
      FUZZ_CHECK(routed == 0, "an ImmediateResponse after the routing reply");
      immediate = true;
    }
    if (r.has_request_headers()) ++routed;
    FUZZ_CHECK(routed <= 1, "two routing replies");
    if (r.has_response_headers() || r.has_response_body() || r.has_response_trailers()) {
      FUZZ_CHECK(routed == 1, "a response-path reply before the routing reply");
    }
  }
  const grpc::StatusCode code = status.error_code();
  FUZZ_CHECK(code == grpc::StatusCode::OK || code == grpc::StatusCode::INVALID_ARGUMENT ||
                 code == grpc::StatusCode::CANCELLED,
             "status %d: %s", static_cast<int>(code), status.error_message().c_str());
}

// ---- the server -----------------------------------------------------------------------------

// One thread that runs a job at a time (the reading side of each stream): a thread per input
// would cost more than the stream itself.
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  void start(std::function<void()> job) {
    std::lock_guard lock(mu_);
    job_ = std::move(job);
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !job_ && !busy_; });
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return job_ != nullptr; });
        job = std::move(job_);
        job_ = nullptr;
        busy_ = true;
      }
      job();
      std::lock_guard lock(mu_);
      busy_ = false;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  std::thread thread_;
};

struct Harness {
  Worker reader;
  FuzzPipeline pipeline;
  std::unique_ptr<ExtProcServer> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<pb::ExternalProcessor::Stub> stub;

  Harness() {
    StreamOptions options;
    options.maxRequestBodyBytes = kMaxBody;
    options.maxRequestHeaders = kMaxHeaders;
    options.maxRequestHeaderBytes = kMaxHeaderBytes;
    options.maxChunkBytes = kMaxChunk;
    service = std::make_unique<ExtProcServer>(pipeline, options);
    grpc::ServerBuilder builder;
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    FUZZ_CHECK(server != nullptr);
    stub = pb::ExternalProcessor::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }
};

Harness& harness() {
  static Harness* h = new Harness();  // never destroyed: gRPC threads outlive main's return
  return *h;
}

void waitForStreamsToEnd(const ExtProcServer& service) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (service.liveStreams() != 0 || gObserversLive.load() != 0) {
    FUZZ_CHECK(std::chrono::steady_clock::now() < deadline,
               "%lld streams and %d observers still alive 10 s after the stream ended",
               static_cast<long long>(service.liveStreams()), gObserversLive.load());
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("GRPC_VERBOSITY", "NONE", 1);
  epp::common::logger()->set_level(spdlog::level::off);
  harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Harness& h = harness();
  const Plan plan = decode(data, size);
  static const bool debug = std::getenv("EPP_FUZZ_DEBUG") != nullptr;
  if (debug) dump(plan);
  h.pipeline.begin(&plan);

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = h.stub->Process(&context);
  std::vector<pb::ProcessingResponse> replies;
  std::atomic<bool> readsDone{false};
  h.reader.start([&] {
    pb::ProcessingResponse reply;
    while (stream->Read(&reply)) replies.push_back(std::move(reply));
    readsDone = true;
  });
  for (const pb::ProcessingRequest& m : plan.messages) {
    if (!stream->Write(m)) break;  // the server has finished the stream
  }
  if (plan.answerBeforeHalfClose) h.pipeline.answerHeld();  // if route() has run by now
  if (plan.cancel) context.TryCancel();
  stream->WritesDone();
  if (!plan.inline_()) {
    // A held request keeps the half-closed stream open: wait until route() has run (then
    // answer it) or the stream has ended without it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (h.pipeline.routeCalls() == 0 && !readsDone &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    h.pipeline.answerHeld();
  }
  h.reader.wait();
  const grpc::Status status = stream->Finish();

  waitForStreamsToEnd(*h.service);
  checkInvariants(replies, status);
  if (plan.inline_()) checkExact(plan, replies, status);
  return 0;
}
