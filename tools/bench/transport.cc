#include "tools/bench/transport.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "tools/bench/extproc_call.h"

namespace epp::bench {
namespace {

namespace pb = extproc_pb;
using Clock = std::chrono::steady_clock;

double microsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// CPU seconds (user + system) the process has used, or nullopt.
std::optional<double> cpuSeconds(int pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // Fields after the command (which may hold spaces) start after its closing parenthesis.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 13 && rest >> field; ++i) {
  }
  if (!(rest >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Chat bodies of exactly `bytes`: one of 64 shared system prompts, then a question unique to
// the request, as a fleet's traffic looks to a prefix-aware scorer.
std::string chatBody(size_t bytes, uint64_t n) {
  const std::string head = R"({"model":"bench-model","max_tokens":16,"messages":[)";
  const std::string system =
      fmt::format(R"({{"role":"system","content":"system prompt {} )", n % 64);
  const std::string user = fmt::format(R"("}},{{"role":"user","content":"question {} )", n);
  const std::string tail = R"("}]})";
  const size_t fixed = head.size() + system.size() + user.size() + tail.size();
  const size_t text = bytes > fixed ? bytes - fixed : 0;
  std::string filler;
  for (size_t i = 0; filler.size() < text; ++i) filler += "lorem" + std::to_string(i % 97) + " ";
  filler.resize(text);
  const size_t split = text * 3 / 4;  // three quarters shared, the rest per request
  return head + system + filler.substr(0, split) + user + filler.substr(split) + tail;
}

class Phase;

// One conversation.
class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(Phase& phase, uint64_t n) : phase_(phase), n_(n) {}
  void start();

 private:
  void onMessage(const pb::ProcessingResponse& m);
  void onDone(const grpc::Status& status);
  void fail(std::string why);

  Phase& phase_;
  uint64_t n_;
  std::shared_ptr<ExtProcCall> call_;
  Clock::time_point start_;
  std::optional<Clock::time_point> routed_;
  bool requestEchoed_ = false;
  bool responseEchoed_ = false;
  std::string error_;
};

// Streams against one target for a while: a closed loop of `concurrency` streams.
class Phase {
 public:
  Phase(const RunTarget& target, const TransportOptions& options, size_t concurrency)
      : options_(options), concurrency_(concurrency) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    channel_ =
        grpc::CreateCustomChannel(target.target.str(), grpc::InsecureChannelCredentials(), args);
    stub_ = pb::ExternalProcessor::NewStub(channel_);
    pid_ = target.pid;
  }

  common::Result<TransportPhase> run() {
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      return common::Error{"cannot connect"};
    }
    std::optional<double> cpuBefore = pid_ > 0 ? cpuSeconds(pid_) : std::nullopt;
    start_ = Clock::now();
    end_ = start_ + options_.phase;
    for (size_t i = 0; i < concurrency_; ++i) launch();
    // Between gRPC's posts the io_context has no work of its own: held until the last
    // stream of the phase ends.
    io_.run();
    const Clock::time_point stop = Clock::now();
    result_.seconds = std::chrono::duration<double>(stop - start_).count();
    if (cpuBefore) {
      if (auto after = cpuSeconds(pid_)) result_.serverCpuSeconds = *after - *cpuBefore;
    }
    return std::move(result_);
  }

  boost::asio::io_context& io() { return io_; }
  pb::ExternalProcessor::Stub& stub() { return *stub_; }
  const TransportOptions& options() const { return options_; }

  void finished(Clock::time_point started, std::optional<Clock::time_point> routed,
                const std::string& error) {
    const Clock::time_point now = Clock::now();
    if (error.empty()) {
      ++result_.streams;
      result_.streamUs.push_back(microsBetween(started, now));
      if (routed) result_.routeUs.push_back(microsBetween(started, *routed));
    } else {
      ++result_.errors;
      if (result_.firstError.empty()) result_.firstError = error;
    }
    --inflight_;
    if (now < end_) {
      launch();
    } else if (inflight_ == 0) {
      work_.reset();
    }
  }

 private:
  void launch() {
    ++inflight_;
    std::make_shared<Stream>(*this, next_++)->start();
  }

  const TransportOptions& options_;
  size_t concurrency_;
  int pid_ = 0;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  size_t inflight_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::ExternalProcessor::Stub> stub_;
  Clock::time_point start_;
  Clock::time_point end_;
  uint64_t next_ = 0;
  TransportPhase result_;
};

void Stream::start() {
  auto self = shared_from_this();
  ExtProcCall::Events events;
  events.onMessage = [self](pb::ProcessingResponse m) { self->onMessage(m); };
  events.onReadsEnded = [] {};
  events.onDone = [self](const grpc::Status& status) { self->onDone(status); };
  call_ = std::make_shared<ExtProcCall>(phase_.io(), std::move(events));
  start_ = Clock::now();
  call_->start(phase_.stub(), std::chrono::system_clock::now() + std::chrono::seconds(30));

  call_->write(requestHeadersMessage("/v1/chat/completions", fmt::format("transport-{}", n_)));
  const std::string body = chatBody(phase_.options().bodyBytes, n_);
  const size_t step = std::max<size_t>(phase_.options().chunkBytes, 1);
  for (size_t offset = 0; offset < body.size(); offset += step) {
    pb::ProcessingRequest chunk;
    chunk.mutable_request_body()->set_body(body.substr(offset, step));
    chunk.mutable_request_body()->set_end_of_stream(offset + step >= body.size());
    call_->write(std::move(chunk));
  }
}

void Stream::onMessage(const pb::ProcessingResponse& m) {
  switch (m.response_case()) {
    case pb::ProcessingResponse::kImmediateResponse:
      return fail(fmt::format("immediate response {}: {}",
                              static_cast<int>(m.immediate_response().status().code()),
                              m.immediate_response().body()));
    case pb::ProcessingResponse::kRequestHeaders: {
      bool destination = false;
      for (const auto& h : m.request_headers().response().header_mutation().set_headers()) {
        destination = destination || h.header().key() == "x-gateway-destination-endpoint";
      }
      if (!destination) return fail("routing reply without x-gateway-destination-endpoint");
      routed_ = Clock::now();
      return;
    }
    case pb::ProcessingResponse::kRequestBody: {
      if (!routed_) return fail("request body echoed before the routing reply");
      if (!m.request_body().response().body_mutation().streamed_response().end_of_stream()) return;
      requestEchoed_ = true;
      // The "model server" answers at once: headers and one body message.
      pb::ProcessingRequest headers;
      pb::HeaderMap* map = headers.mutable_response_headers()->mutable_headers();
      addHeader(*map, ":status", "200");
      addHeader(*map, "content-type", "application/json");
      call_->write(std::move(headers));
      pb::ProcessingRequest body;
      body.mutable_response_body()->set_body(
          R"({"choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":1024,)"
          R"("completion_tokens":1,"total_tokens":1025}})");
      body.mutable_response_body()->set_end_of_stream(true);
      call_->write(std::move(body));
      return;
    }
    case pb::ProcessingResponse::kResponseHeaders:
      return;
    case pb::ProcessingResponse::kResponseBody:
      if (m.response_body().response().body_mutation().streamed_response().end_of_stream()) {
        responseEchoed_ = true;
        call_->close();
      }
      return;
    default:
      return fail(fmt::format("unexpected reply {}", static_cast<int>(m.response_case())));
  }
}

void Stream::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  call_->cancel();
}

void Stream::onDone(const grpc::Status& status) {
  if (error_.empty() && !responseEchoed_) {
    error_ = status.ok() ? "stream ended before the response was echoed"
                         : fmt::format("gRPC {}: {}", static_cast<int>(status.error_code()),
                                       status.error_message());
  }
  phase_.finished(start_, routed_, error_);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

struct Summary {
  double streamsPerSecond = 0;                                      // median over rounds
  double routeP50 = 0, routeP99 = 0, streamP50 = 0, streamP99 = 0;  // pooled, µs
  double cpuUsPerStream = -1;
  double marginalCpuUsPerStream = -1;  // less the idle CPU over the same time
  uint64_t errors = 0;
};

Summary summarize(const TransportResult& r) {
  Summary s;
  std::vector<double> rates;
  double cpu = 0;
  double cpuSeconds = 0;
  uint64_t cpuStreams = 0;
  for (const TransportPhase& p : r.saturated) {
    rates.push_back(static_cast<double>(p.streams) / p.seconds);
    s.errors += p.errors;
    if (p.serverCpuSeconds >= 0) {
      cpu += p.serverCpuSeconds;
      cpuSeconds += p.seconds;
      cpuStreams += p.streams;
    }
  }
  s.streamsPerSecond = median(rates);
  if (cpuStreams > 0) {
    s.cpuUsPerStream = cpu * 1e6 / static_cast<double>(cpuStreams);
    if (r.idleCpuPerSecond >= 0) {
      s.marginalCpuUsPerStream =
          (cpu - r.idleCpuPerSecond * cpuSeconds) * 1e6 / static_cast<double>(cpuStreams);
    }
  }
  std::vector<double> route;
  std::vector<double> stream;
  for (const TransportPhase& p : r.single) {
    route.insert(route.end(), p.routeUs.begin(), p.routeUs.end());
    stream.insert(stream.end(), p.streamUs.begin(), p.streamUs.end());
    s.errors += p.errors;
  }
  s.routeP50 = percentile(route, 0.5);
  s.routeP99 = percentile(route, 0.99);
  s.streamP50 = percentile(stream, 0.5);
  s.streamP99 = percentile(stream, 0.99);
  return s;
}

}  // namespace

common::Result<std::vector<TransportResult>> runTransport(const TransportOptions& options) {
  std::vector<TransportResult> results;
  for (const RunTarget& t : options.targets) {
    TransportResult r;
    r.name = t.name;
    if (t.pid > 0) {
      // The server's own background work (eppd's scrapes), with no stream open.
      auto before = cpuSeconds(t.pid);
      const Clock::time_point start = Clock::now();
      std::this_thread::sleep_for(options.phase);
      auto after = cpuSeconds(t.pid);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (before && after) r.idleCpuPerSecond = (*after - *before) / seconds;
    }
    results.push_back(std::move(r));
  }
  for (int round = 0; round < options.rounds; ++round) {
    for (size_t i = 0; i < options.targets.size(); ++i) {
      for (size_t concurrency : {size_t{1}, options.concurrency}) {
        Phase phase(options.targets[i], options, concurrency);
        auto result = phase.run();
        if (!result) {
          return common::Error{
              fmt::format("run '{}': {}", options.targets[i].name, result.error())};
        }
        auto& into = concurrency == 1 ? results[i].single : results[i].saturated;
        into.push_back(std::move(*result));
      }
    }
  }
  return results;
}

std::string formatTransport(const TransportOptions& options,
                            const std::vector<TransportResult>& results) {
  std::string out = fmt::format(
      "transport: {}-byte bodies; saturation: {} streams in flight; latency: 1 stream; "
      "{} rounds of {} ms per phase\n\n",
      options.bodyBytes, options.concurrency, options.rounds, options.phase.count());
  out += fmt::format("{:<12} {:>10} {:>8} {:>10} {:>10} {:>9} {:>11} {:>11} {:>9} {:>7} {:>11}\n",
                     "run", "streams/s", "ratio", "route p50", "route p99", "added", "stream p50",
                     "server CPU", "CPU ratio", "errors", "marginal");
  out += fmt::format("{:<12} {:>10} {:>8} {:>10} {:>10} {:>9} {:>11} {:>11} {:>9} {:>7} {:>11}\n",
                     "", "", "", "µs", "µs", "p50", "µs", "µs/stream", "", "", "µs/stream");
  const Summary base = summarize(results.front());
  for (const TransportResult& r : results) {
    const Summary s = summarize(r);
    const std::string cpu = s.cpuUsPerStream < 0 ? "-" : fmt::format("{:.0f}", s.cpuUsPerStream);
    const std::string cpuRatio =
        s.cpuUsPerStream < 0 || base.cpuUsPerStream <= 0
            ? "-"
            : fmt::format("{:.2f}", s.cpuUsPerStream / base.cpuUsPerStream);
    const std::string marginal =
        s.marginalCpuUsPerStream < 0 ? "-" : fmt::format("{:.0f}", s.marginalCpuUsPerStream);
    out += fmt::format(
        "{:<12} {:>10.0f} {:>8.2f} {:>10.0f} {:>10.0f} {:>8.0f}% {:>11.0f} {:>11} {:>9} {:>7} "
        "{:>11}\n",
        r.name, s.streamsPerSecond, s.streamsPerSecond / base.streamsPerSecond, s.routeP50,
        s.routeP99, (s.routeP50 / base.routeP50 - 1) * 100, s.streamP50, cpu, cpuRatio, s.errors,
        marginal);
  }
  for (const TransportResult& r : results) {
    if (r.idleCpuPerSecond >= 0) {
      out += fmt::format("{}: {:.1f} % of a CPU with no stream open\n", r.name,
                         r.idleCpuPerSecond * 100);
    }
  }
  for (const TransportResult& r : results) {
    for (const auto* phases : {&r.saturated, &r.single}) {
      for (const TransportPhase& p : *phases) {
        if (!p.firstError.empty()) {
          out += fmt::format("run '{}': {} errors, e.g. {}\n", r.name, p.errors, p.firstError);
        }
      }
    }
  }
  return out;
}

}  // namespace epp::bench
