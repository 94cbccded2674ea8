// File: host/extproc/extproc_server.h
//
// The envoy.service.ext_proc.v3.ExternalProcessor service on the gRPC callback API: each
// Process() stream gets its own reactor (stream.h); no thread is held per stream.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

#include "host/extproc/proto/ext_proc.grpc.pb.h"
#include "host/extproc/request_pipeline.h"
#include "host/extproc/stream_options.h"

namespace epp::extproc {

struct StreamContext;

class ExtProcServer final
    : public ::envoy::service::ext_proc::v3::ExternalProcessor::CallbackService {
 public:
  // `pipeline` must outlive the gRPC server this service is registered with.
  explicit ExtProcServer(RequestPipeline& pipeline, StreamOptions options = {});
  ~ExtProcServer() override;

  ExtProcServer(const ExtProcServer&) = delete;
  ExtProcServer& operator=(const ExtProcServer&) = delete;

  // Stream objects alive now, including ended ones briefly held by a late pipeline
  // callback; 0 once everything is freed (tests use it to prove no stream leaks).
  int64_t liveStreams() const;
  const StreamOptions& options() const;

 private:
  grpc::ServerBidiReactor<::envoy::service::ext_proc::v3::ProcessingRequest,
                          ::envoy::service::ext_proc::v3::ProcessingResponse>*
  Process(grpc::CallbackServerContext* context) override;

  std::shared_ptr<StreamContext> context_;
};

}  // namespace epp::extproc
