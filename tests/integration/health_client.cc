#include "tests/integration/health_client.h"

#include "host/extproc/proto/health.grpc.pb.h"

namespace epp::testing {

HealthCheck checkHealth(const std::string& target, const std::string& service,
                        std::chrono::milliseconds timeout) {
  return checkHealth(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()), service,
                     timeout);
}

HealthCheck checkHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                        std::chrono::milliseconds timeout) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  HealthCheck result;
  result.code = status.error_code();
  result.message = status.error_message();
  if (status.ok()) result.servingStatus = static_cast<int>(response.status());
  if (auto auth = context.auth_context()) {
    for (const auto& name : auth->FindPropertyValues("x509_common_name")) {
      result.peerCommonName.assign(name.data(), name.size());
    }
  }
  return result;
}

}  // namespace epp::testing
