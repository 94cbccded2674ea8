#include "tests/integration/health_client.h"

#include "host/extproc/proto/health.grpc.pb.h"

namespace epp::testing {

HealthCheck checkHealth(const std::string& target, const std::string& service,
                        std::chrono::milliseconds timeout) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  HealthCheck result;
  result.code = status.error_code();
  if (status.ok()) result.servingStatus = static_cast<int>(response.status());
  return result;
}

}  // namespace epp::testing
