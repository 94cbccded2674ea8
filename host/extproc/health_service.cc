#include "host/extproc/health_service.h"

#include <string>
#include <utility>

namespace epp::extproc {

namespace hpb = ::grpc::health::v1;

// One Watch stream: writes the status whenever it changes (coalescing changes that happen
// while a write is in flight), ends after shutdown() once NOT_SERVING is out.
class HealthService::Watcher final : public grpc::ServerWriteReactor<hpb::HealthCheckResponse> {
 public:
  Watcher(HealthService& service, std::string name) : service_(service), name_(std::move(name)) {
    subscription_ = service_.state_.subscribe([this] { update(false); });
  }

  void update(bool ending) {
    std::lock_guard lock(mu_);
    if (finished_) return;
    ending_ = ending_ || ending;
    desired_ = service_.wireStatus(name_);
    advanceLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) cancelled_ = true;
    advanceLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    advanceLocked();
  }

  void OnDone() override {
    service_.state_.unsubscribe(subscription_);
    service_.removeWatcher(this);
    delete this;
  }

 private:
  // Finish only with no write in flight, so no op is ever issued after it.
  void advanceLocked() {
    if (writing_ || finished_) return;
    if (cancelled_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    } else if (desired_ != sent_) {
      sent_ = desired_;
      response_.set_status(static_cast<hpb::HealthCheckResponse::ServingStatus>(sent_));
      writing_ = true;
      StartWrite(&response_);
    } else if (ending_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  HealthService& service_;
  const std::string name_;
  uint64_t subscription_ = 0;
  std::mutex mu_;
  hpb::HealthCheckResponse response_;
  int desired_ = -1;
  int sent_ = -1;
  bool writing_ = false;
  bool cancelled_ = false;
  bool ending_ = false;
  bool finished_ = false;
};

HealthService::HealthService(HealthState& state) : state_(state) {}

HealthService::~HealthService() = default;

int HealthService::wireStatus(std::string_view service) const {
  switch (state_.status(service)) {
    case ServingStatus::kServing:
      return isShutdown() ? hpb::HealthCheckResponse::NOT_SERVING
                          : hpb::HealthCheckResponse::SERVING;
    case ServingStatus::kNotServing:
      return hpb::HealthCheckResponse::NOT_SERVING;
    case ServingStatus::kUnknownService:
      break;
  }
  return hpb::HealthCheckResponse::SERVICE_UNKNOWN;
}

void HealthService::shutdown() {
  shutdown_.store(true, std::memory_order_release);
  std::lock_guard lock(mu_);
  for (Watcher* watcher : watchers_) watcher->update(true);
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const hpb::HealthCheckRequest* request,
                                               hpb::HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const int status = wireStatus(request->service());
  if (status == hpb::HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service"));
  } else {
    response->set_status(static_cast<hpb::HealthCheckResponse::ServingStatus>(status));
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<hpb::HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* /*context*/, const hpb::HealthCheckRequest* request) {
  auto* watcher = new Watcher(*this, request->service());
  {
    std::lock_guard lock(mu_);
    watchers_.insert(watcher);
  }
  watcher->update(isShutdown());
  return watcher;
}

void HealthService::removeWatcher(Watcher* watcher) {
  std::lock_guard lock(mu_);
  watchers_.erase(watcher);
}

}  // namespace epp::extproc
