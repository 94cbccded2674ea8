// The transport floor: eppd's own ext_proc server (gRPC, the FULL_DUPLEX_STREAMED stream
// reactor, the body echo in chunks, the response path) with a pipeline that decides
// nothing — every request goes to one fixed endpoint, its body unread. What eppd costs
// beyond this is what picking costs: parsing, scheduling, metrics, the decision log.
//   build/tests/bench/eppd-null-extproc --address 127.0.0.1:9102 --destination 10.0.0.1:8000
// Driven by `eppd-bench transport` (tools/bench/transport-overhead.sh runs both).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "host/extproc/health_state.h"
#include "host/extproc/request_pipeline.h"
#include "host/extproc/server.h"

namespace {

class NullPipeline final : public epp::extproc::RequestPipeline {
 public:
  explicit NullPipeline(std::string destination) : destination_(std::move(destination)) {}
  void route(std::shared_ptr<epp::extproc::RequestInput>,
             epp::extproc::RouteCallback done) override {
    epp::extproc::RoutingDecision d;
    d.destination = destination_;
    done(std::move(d));
  }

 private:
  const std::string destination_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1:9102";
  std::string destination = "10.0.0.1:8000";
  CLI::App app{"A null ext_proc server: every request routed to one fixed endpoint",
               "eppd-null-extproc"};
  app.add_option("--address", address, "ext_proc listen address")->capture_default_str();
  app.add_option("--destination", destination, "The one endpoint every request goes to")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  NullPipeline pipeline(destination);
  epp::extproc::HealthState health;
  health.setReady(true);
  epp::extproc::ServerOptions options;
  options.address = address;
  options.healthAddress = "";
  auto server = epp::extproc::Server::start(options, pipeline, health);
  if (!server) {
    std::cerr << "eppd-null-extproc: " << server.error() << "\n";
    return 1;
  }
  std::cout << "eppd-null-extproc: listening on " << address << ", routing to " << destination
            << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->shutdown(std::chrono::milliseconds(0));
  return 0;
}
