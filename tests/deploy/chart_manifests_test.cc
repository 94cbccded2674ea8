// The Helm chart deploy/helm/eppd and the manifests rendered from it (deploy/manifests):
// the checked-in manifests are exactly what the chart renders with its default values;
// every object the Kubernetes deployment needs is there with the values eppd relies on;
// the ConfigMap's config passes `eppd validate`; and eppd serves with the Deployment's
// arguments as written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/deploy/manifest_util.h"
#include "tests/deploy/serve_args.h"
#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/health_client.h"
#include "tests/support/test_pki.h"
#include "tools/chart_render/chart.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const fs::path kDeploy = DEPLOY_DIR;
const fs::path kChart = kDeploy / "helm" / "eppd";

class ChartManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    docs_ = loadDocuments(readFile(kDeploy / "manifests" / "eppd.yaml"));
    values_ = YAML::LoadFile((kChart / "values.yaml").string());
    deployment_ = documentOfKind(docs_, "Deployment");
    ASSERT_TRUE(deployment_) << "one Deployment in deploy/manifests/eppd.yaml";
    pod_ = deployment_["spec"]["template"]["spec"];
    eppd_ = findBy(pod_["containers"], "name", "eppd");
    ASSERT_TRUE(eppd_) << "a container named eppd";
  }

  std::vector<YAML::Node> docs_;
  YAML::Node values_;
  YAML::Node deployment_;
  YAML::Node pod_;
  YAML::Node eppd_;
};

// The value following `flag` in the container's args ("" when absent).
std::string argValue(const YAML::Node& container, const std::string& flag) {
  auto args = strings(container["args"]);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == flag) return args[i + 1];
  }
  return "";
}

TEST(ChartRenderTest, CheckedInManifestsAreTheChartRenderedWithDefaultValues) {
  chart::RenderOptions options;  // release eppd, namespace default: tools/render-manifests.sh
  std::istringstream rendered(chart::renderChart(kChart, options));
  std::istringstream checkedIn(readFile(kDeploy / "manifests" / "eppd.yaml"));
  std::string want, have;
  for (int line = 1;; ++line) {
    bool moreWant = static_cast<bool>(std::getline(rendered, want));
    bool moreHave = static_cast<bool>(std::getline(checkedIn, have));
    if (!moreWant && !moreHave) break;
    ASSERT_TRUE(moreWant == moreHave && want == have)
        << "deploy/manifests/eppd.yaml:" << line << " is \"" << (moreHave ? have : "<end>")
        << "\", the chart renders \"" << (moreWant ? want : "<end>")
        << "\": run tools/render-manifests.sh";
  }
}

TEST_F(ChartManifestsTest, EveryDocumentParsesWithTheObjectsOfADeployment) {
  std::multiset<std::string> kinds;
  for (const auto& d : docs_) {
    kinds.insert(d["kind"].as<std::string>());
    EXPECT_TRUE(d["apiVersion"]) << d["kind"];
    EXPECT_EQ(d["metadata"]["name"].as<std::string>(), "eppd") << d["kind"];
    EXPECT_EQ(d["metadata"]["namespace"].as<std::string>(), "default") << d["kind"];
  }
  EXPECT_THAT(kinds,
              UnorderedElementsAre("PodDisruptionBudget", "ServiceAccount", "ConfigMap", "Role",
                                   "RoleBinding", "Service", "Deployment", "InferencePool"));
  // Every file of deploy/manifests parses (today there is one).
  for (const auto& entry : fs::directory_iterator(kDeploy / "manifests")) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(YAML::LoadAll(readFile(entry.path()))) << entry.path();
  }
}

TEST_F(ChartManifestsTest, DeploymentRunsTwoSpreadNonRootReplicasOfTheImage) {
  EXPECT_EQ(deployment_["spec"]["replicas"].as<int>(), 2);
  EXPECT_EQ(deployment_["spec"]["replicas"].as<int>(), values_["replicaCount"].as<int>());
  EXPECT_EQ(eppd_["image"].as<std::string>(), values_["image"]["repository"].as<std::string>() +
                                                  ":" + values_["image"]["tag"].as<std::string>());
  // Preferred anti-affinity by hostname over the pods' own labels.
  YAML::Node preferred =
      pod_["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"];
  ASSERT_TRUE(preferred && preferred.size() == 1);
  YAML::Node term = preferred[0]["podAffinityTerm"];
  EXPECT_EQ(term["topologyKey"].as<std::string>(), "kubernetes.io/hostname");
  YAML::Node podLabels = deployment_["spec"]["template"]["metadata"]["labels"];
  for (const auto& kv : term["labelSelector"]["matchLabels"]) {
    EXPECT_EQ(podLabels[kv.first.as<std::string>()].as<std::string>(), kv.second.as<std::string>());
  }
  EXPECT_TRUE(pod_["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_EQ(pod_["securityContext"]["runAsUser"].as<int>(), 65532);
  EXPECT_FALSE(eppd_["securityContext"]["allowPrivilegeEscalation"].as<bool>());
  // Requests sized, from the values.
  YAML::Node requests = eppd_["resources"]["requests"];
  EXPECT_EQ(requests["cpu"].as<std::string>(),
            values_["resources"]["requests"]["cpu"].as<std::string>());
  EXPECT_EQ(requests["memory"].as<std::string>(),
            values_["resources"]["requests"]["memory"].as<std::string>());
  // A config change reloads in place: no checksum annotation that would roll the pods.
  EXPECT_FALSE(deployment_["spec"]["template"]["metadata"]["annotations"]);
}

TEST_F(ChartManifestsTest, ContainerListensOnTheThreePortsWithGrpcProbesOnHealth) {
  std::map<std::string, int> ports;
  for (const auto& p : eppd_["ports"])
    ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
  EXPECT_EQ(ports, (std::map<std::string, int>{
                       {"grpc-ext-proc", 9002}, {"grpc-health", 9003}, {"http-metrics", 9090}}));
  EXPECT_EQ(argValue(eppd_, "--extproc-port"), "9002");
  EXPECT_EQ(argValue(eppd_, "--health-port"), "9003");
  EXPECT_EQ(argValue(eppd_, "--metrics-port"), "9090");
  // eppd alone binds /metrics to 127.0.0.1; Prometheus scrapes the pod IP.
  EXPECT_EQ(argValue(eppd_, "--metrics-address"), "0.0.0.0");
  // Plaintext ext_proc unless tls.secretName is set; the admin port is never opened.
  EXPECT_EQ(argValue(eppd_, "--tls-cert-file"), "");
  EXPECT_EQ(argValue(eppd_, "--admin-address"), "");
  EXPECT_EQ(eppd_["readinessProbe"]["grpc"]["port"].as<int>(), 9003);
  EXPECT_EQ(eppd_["readinessProbe"]["grpc"]["service"].as<std::string>(), "readiness");
  EXPECT_EQ(eppd_["livenessProbe"]["grpc"]["port"].as<int>(), 9003);
  EXPECT_EQ(eppd_["livenessProbe"]["grpc"]["service"].as<std::string>(), "liveness");
}

TEST_F(ChartManifestsTest, ConfigIsAWholeConfigMapDirectoryAndPluginsAVolume) {
  YAML::Node configMap = documentOfKind(docs_, "ConfigMap");
  YAML::Node configVolume = findBy(pod_["volumes"], "name", "config");
  ASSERT_TRUE(configVolume);
  EXPECT_EQ(configVolume["configMap"]["name"].as<std::string>(),
            configMap["metadata"]["name"].as<std::string>());
  YAML::Node configMount = findBy(eppd_["volumeMounts"], "name", "config");
  ASSERT_TRUE(configMount);
  EXPECT_FALSE(configMount["subPath"]) << "subPath mounts never see ConfigMap updates";
  EXPECT_TRUE(configMount["readOnly"].as<bool>());
  // --config names the ConfigMap's only key inside the mounted directory.
  ASSERT_EQ(configMap["data"].size(), 1u);
  EXPECT_TRUE(configMap["data"]["config.yaml"]);
  EXPECT_EQ(argValue(eppd_, "--config"),
            configMount["mountPath"].as<std::string>() + "/config.yaml");

  // No plugin image by default: no init container, no plugin volume, only the built-in
  // plugins (an empty emptyDir would be refused anyway: its root is world-writable).
  EXPECT_FALSE(pod_["initContainers"]);
  EXPECT_TRUE(findBy(pod_["volumes"], "name", "plugins").IsNull());
  EXPECT_TRUE(findBy(eppd_["volumeMounts"], "name", "plugins").IsNull());
  EXPECT_EQ(argValue(eppd_, "--plugin-dir"), "");
  // The plugin cache is a directory eppd creates (0700, its own) inside the emptyDir.
  YAML::Node cacheMount = findBy(eppd_["volumeMounts"], "name", "plugin-cache");
  ASSERT_TRUE(cacheMount);
  EXPECT_EQ(argValue(eppd_, "--plugin-cache"),
            cacheMount["mountPath"].as<std::string>() + "/plugins");
}

TEST_F(ChartManifestsTest, PodDisruptionBudgetAndServiceSelectThePods) {
  YAML::Node podLabels = deployment_["spec"]["template"]["metadata"]["labels"];
  YAML::Node pdb = documentOfKind(docs_, "PodDisruptionBudget");
  EXPECT_EQ(pdb["apiVersion"].as<std::string>(), "policy/v1");
  EXPECT_EQ(pdb["spec"]["minAvailable"].as<int>(), 1);
  YAML::Node service = documentOfKind(docs_, "Service");
  for (const YAML::Node& selector :
       {pdb["spec"]["selector"]["matchLabels"], service["spec"]["selector"]}) {
    ASSERT_TRUE(selector && selector.size() > 0);
    for (const auto& kv : selector) {
      EXPECT_EQ(podLabels[kv.first.as<std::string>()].as<std::string>(),
                kv.second.as<std::string>());
    }
  }
  std::map<int, std::string> targets;
  for (const auto& p : service["spec"]["ports"]) {
    targets[p["port"].as<int>()] = p["targetPort"].as<std::string>();
  }
  EXPECT_EQ(targets, (std::map<int, std::string>{
                         {9002, "grpc-ext-proc"}, {9003, "grpc-health"}, {9090, "http-metrics"}}));
  // The gateway speaks HTTP/2 (gRPC) to the ext_proc port.
  YAML::Node extproc = findBy(service["spec"]["ports"], "port", "9002");
  EXPECT_EQ(extproc["appProtocol"].as<std::string>(), "http2");
}

TEST_F(ChartManifestsTest, ServiceAccountMayGetListAndWatchPodsAndEndpointSlices) {
  YAML::Node account = documentOfKind(docs_, "ServiceAccount");
  EXPECT_EQ(pod_["serviceAccountName"].as<std::string>(),
            account["metadata"]["name"].as<std::string>());
  YAML::Node role = documentOfKind(docs_, "Role");
  YAML::Node pods, slices;
  for (const auto& rule : role["rules"]) {
    auto resources = strings(rule["resources"]);
    auto groups = strings(rule["apiGroups"]);
    EXPECT_THAT(strings(rule["verbs"]), ElementsAre("get", "list", "watch")) << "read only";
    if (resources == std::vector<std::string>{"pods"}) {
      EXPECT_THAT(groups, ElementsAre(""));
      pods.reset(rule);
    }
    if (resources == std::vector<std::string>{"endpointslices"}) {
      EXPECT_THAT(groups, ElementsAre("discovery.k8s.io"));
      slices.reset(rule);
    }
  }
  EXPECT_TRUE(pods) << "a rule for pods";
  EXPECT_TRUE(slices) << "a rule for endpointslices";
  EXPECT_EQ(role["rules"].size(), 2u) << "nothing beyond what the endpoint source reads";
  YAML::Node binding = documentOfKind(docs_, "RoleBinding");
  EXPECT_EQ(binding["roleRef"]["kind"].as<std::string>(), "Role");
  EXPECT_EQ(binding["roleRef"]["name"].as<std::string>(),
            role["metadata"]["name"].as<std::string>());
  EXPECT_EQ(binding["subjects"][0]["kind"].as<std::string>(), "ServiceAccount");
  EXPECT_EQ(binding["subjects"][0]["name"].as<std::string>(),
            account["metadata"]["name"].as<std::string>());
}

TEST_F(ChartManifestsTest, InferencePoolPointsItsPickerAtTheServiceAndEppdWatchesItsPods) {
  YAML::Node pool = documentOfKind(docs_, "InferencePool");
  EXPECT_EQ(pool["apiVersion"].as<std::string>(), "inference.networking.k8s.io/v1");
  YAML::Node ref = pool["spec"]["endpointPickerRef"];
  YAML::Node service = documentOfKind(docs_, "Service");
  EXPECT_EQ(ref["kind"].as<std::string>(), "Service");
  EXPECT_EQ(ref["name"].as<std::string>(), service["metadata"]["name"].as<std::string>());
  EXPECT_EQ(ref["port"]["number"].as<int>(), 9002);
  EXPECT_EQ(ref["failureMode"].as<std::string>(), "FailClose");
  YAML::Node selector = pool["spec"]["selector"]["matchLabels"];
  EXPECT_EQ(selector["app"].as<std::string>(), "vllm-llama3");
  EXPECT_EQ(pool["spec"]["targetPorts"][0]["number"].as<int>(), 8000);

  // eppd's own endpoint source reads the same pods: namespace, labels and ports.
  YAML::Node config =
      YAML::Load(documentOfKind(docs_, "ConfigMap")["data"]["config.yaml"].as<std::string>());
  YAML::Node source = config["endpointSources"][0]["kubernetes"];
  ASSERT_TRUE(source);
  EXPECT_EQ(source["namespace"].as<std::string>(), pool["metadata"]["namespace"].as<std::string>());
  EXPECT_EQ(source["labelSelector"]["app"].as<std::string>(), "vllm-llama3");
  EXPECT_EQ(source["labelSelector"].size(), selector.size());
  EXPECT_EQ(source["targetPorts"][0].as<int>(), 8000);
}

TEST(ChartOptionsTest, ServiceMonitorAndPluginInitContainerRenderWhenEnabled) {
  chart::RenderOptions options;
  options.set = {{"serviceMonitor.enabled", "true"},
                 {"serviceMonitor.labels", "{release: prometheus}"},
                 {"plugins.image", "example/my-plugins:1.2"}};
  auto docs = loadDocuments(chart::renderChart(kChart, options));
  YAML::Node monitor = documentOfKind(docs, "ServiceMonitor");
  ASSERT_TRUE(monitor);
  EXPECT_EQ(monitor["apiVersion"].as<std::string>(), "monitoring.coreos.com/v1");
  EXPECT_EQ(monitor["metadata"]["labels"]["release"].as<std::string>(), "prometheus");
  YAML::Node service = documentOfKind(docs, "Service");
  for (const auto& kv : monitor["spec"]["selector"]["matchLabels"]) {
    EXPECT_EQ(service["metadata"]["labels"][kv.first.as<std::string>()].as<std::string>(),
              kv.second.as<std::string>());
  }
  YAML::Node endpoint = monitor["spec"]["endpoints"][0];
  EXPECT_EQ(endpoint["path"].as<std::string>(), "/metrics");
  EXPECT_TRUE(findBy(service["spec"]["ports"], "name", endpoint["port"].as<std::string>()));

  YAML::Node pod = documentOfKind(docs, "Deployment")["spec"]["template"]["spec"];
  ASSERT_TRUE(pod["initContainers"] && pod["initContainers"].size() == 1);
  YAML::Node init = pod["initContainers"][0];
  EXPECT_EQ(init["image"].as<std::string>(), "example/my-plugins:1.2");
  YAML::Node initMount = findBy(init["volumeMounts"], "name", "plugins");
  ASSERT_TRUE(initMount);
  EXPECT_FALSE(initMount["readOnly"]) << "the init container fills the volume";
  // eppd scans a subdirectory the init container makes 0755 with 0644 files: the
  // emptyDir's root is world-writable, which eppd's loader refuses.
  std::string command = strings(init["command"]).back();
  std::string lib = initMount["mountPath"].as<std::string>() + "/lib";
  EXPECT_THAT(command, HasSubstr("chmod 0755 " + lib));
  EXPECT_THAT(command, HasSubstr("chmod 0644 " + lib + "/*.so"));
  YAML::Node eppd = findBy(pod["containers"], "name", "eppd");
  YAML::Node pluginMount = findBy(eppd["volumeMounts"], "name", "plugins");
  ASSERT_TRUE(pluginMount);
  EXPECT_TRUE(pluginMount["readOnly"].as<bool>());
  EXPECT_EQ(argValue(eppd, "--plugin-dir"), pluginMount["mountPath"].as<std::string>() + "/lib");
  EXPECT_TRUE(findBy(pod["volumes"], "name", "plugins")["emptyDir"]);
}

TEST(ChartOptionsTest, TlsSecretIsMountedAndPassedToEppd) {
  chart::RenderOptions options;
  options.set = {{"tls.secretName", "eppd-tls"}};
  auto docs = loadDocuments(chart::renderChart(kChart, options));
  YAML::Node pod = documentOfKind(docs, "Deployment")["spec"]["template"]["spec"];
  YAML::Node eppd = findBy(pod["containers"], "name", "eppd");
  EXPECT_EQ(findBy(pod["volumes"], "name", "tls")["secret"]["secretName"].as<std::string>(),
            "eppd-tls");
  YAML::Node mount = findBy(eppd["volumeMounts"], "name", "tls");
  ASSERT_TRUE(mount);
  EXPECT_FALSE(mount["subPath"]) << "a Secret's updates reach only whole-directory mounts";
  EXPECT_TRUE(mount["readOnly"].as<bool>());
  std::string dir = mount["mountPath"].as<std::string>();
  EXPECT_EQ(argValue(eppd, "--tls-cert-file"), dir + "/tls.crt");
  EXPECT_EQ(argValue(eppd, "--tls-key-file"), dir + "/tls.key");
  EXPECT_EQ(argValue(eppd, "--tls-client-ca-file"), "") << "TLS, not mTLS, by default";
  // Probes keep using the plaintext health port.
  EXPECT_EQ(eppd["readinessProbe"]["grpc"]["port"].as<int>(), 9003);

  options.set.push_back({"tls.clientAuth", "true"});
  docs = loadDocuments(chart::renderChart(kChart, options));
  pod = documentOfKind(docs, "Deployment")["spec"]["template"]["spec"];
  eppd = findBy(pod["containers"], "name", "eppd");
  EXPECT_EQ(argValue(eppd, "--tls-client-ca-file"), dir + "/ca.crt");
}

TEST_F(ChartManifestsTest, ConfigMapConfigPassesEppdValidate) {
  fs::path dir = fs::temp_directory_path() / ("eppd-chart-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "config.yaml")
      << documentOfKind(docs_, "ConfigMap")["data"]["config.yaml"].as<std::string>();
  RunResult r = runEppd("validate " + (dir / "config.yaml").string() + " --plugin-cache " +
                        (dir / "cache").string());
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (9 plugins, 1 profiles"));
  fs::remove_all(dir);
}

TEST_F(ChartManifestsTest, EppdServesWithTheDeploymentArguments) {
  fs::path dir = fs::temp_directory_path() / ("eppd-chart-serve-" + std::to_string(::getpid()));
  fs::create_directories(dir / "etc");
  fs::create_directories(dir / "plugins");
  std::ofstream(dir / "etc" / "config.yaml")
      << documentOfKind(docs_, "ConfigMap")["data"]["config.yaml"].as<std::string>();
  ServeWithArgs eppd(strings(eppd_["args"]), {{"--config", (dir / "etc" / "config.yaml").string()},
                                              {"--plugin-cache", (dir / "cache").string()}});
  ASSERT_TRUE(eppd.serving()) << eppd.error();
  // Live at once; not ready while it knows no model server (no API server here), which is
  // what keeps the gateway off a replica that cannot pick.
  EXPECT_TRUE(checkHealth(eppd.healthTarget(), "liveness").serving());
  HealthCheck readiness = checkHealth(eppd.healthTarget(), "readiness");
  EXPECT_EQ(readiness.code, grpc::StatusCode::OK);
  EXPECT_EQ(readiness.servingStatus, kNotServing);
  EXPECT_EQ(httpRequest(eppd.metricsPort(), "GET", "/metrics").status, 200);
  fs::remove_all(dir);
}

// The Deployment's arguments with tls.secretName and tls.clientAuth, the Secret's files
// made by the test: ext_proc answers over mTLS only, the probes' port stays plaintext.
TEST(ChartServeTest, EppdServesMtlsWithTheChartsTlsArguments) {
  chart::RenderOptions options;
  options.set = {{"tls.secretName", "eppd-tls"}, {"tls.clientAuth", "true"}};
  auto docs = loadDocuments(chart::renderChart(kChart, options));
  YAML::Node eppdContainer = findBy(
      documentOfKind(docs, "Deployment")["spec"]["template"]["spec"]["containers"], "name", "eppd");
  fs::path dir = fs::temp_directory_path() / ("eppd-chart-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir / "etc");
  std::ofstream(dir / "etc" / "config.yaml")
      << documentOfKind(docs, "ConfigMap")["data"]["config.yaml"].as<std::string>();
  TestPki server = TestPki::create(dir, "server");
  TestPki clients = TestPki::create(dir, "clients");
  TestPki::Leaf gateway = clients.issue("gateway", {.commonName = "gateway", .client = true});
  ServeWithArgs eppd(strings(eppdContainer["args"]),
                     {{"--config", (dir / "etc" / "config.yaml").string()},
                      {"--plugin-cache", (dir / "cache").string()},
                      {"--tls-cert-file", server.serverCert.string()},
                      {"--tls-key-file", server.serverKey.string()},
                      {"--tls-client-ca-file", clients.caCert.string()}});
  ASSERT_TRUE(eppd.serving()) << eppd.error();
  EXPECT_TRUE(checkHealth(eppd.healthTarget(), "liveness").serving());
  HealthCheck withCert =
      checkHealth(tlsChannel(eppd.extprocTarget(), {.caFile = server.caCert.string(),
                                                    .certFile = gateway.cert.string(),
                                                    .keyFile = gateway.key.string()}),
                  "liveness");
  EXPECT_TRUE(withCert.serving()) << withCert.message;
  EXPECT_EQ(withCert.peerCommonName, "localhost");
  HealthCheck withoutCert =
      checkHealth(tlsChannel(eppd.extprocTarget(), {.caFile = server.caCert.string()}), "liveness");
  EXPECT_NE(withoutCert.code, grpc::StatusCode::OK);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace epp::testing
