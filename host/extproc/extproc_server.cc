#include "host/extproc/extproc_server.h"

#include <utility>

#include "host/extproc/stream.h"

namespace epp::extproc {

ExtProcServer::ExtProcServer(RequestPipeline& pipeline, StreamOptions options)
    : context_(std::make_shared<StreamContext>(pipeline, std::move(options))) {}

ExtProcServer::~ExtProcServer() = default;

int64_t ExtProcServer::liveStreams() const {
  return context_->liveStreams.load(std::memory_order_relaxed);
}

const StreamOptions& ExtProcServer::options() const { return context_->options; }

grpc::ServerBidiReactor<pb::ProcessingRequest, pb::ProcessingResponse>* ExtProcServer::Process(
    grpc::CallbackServerContext* /*context*/) {
  return Stream::start(context_);
}

}  // namespace epp::extproc
