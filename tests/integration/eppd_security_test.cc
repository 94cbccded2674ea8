// eppd's defences through the real binary over real sockets: TLS and mTLS on the ext_proc
// port with certificates the test makes (valid, expired, from the wrong CA, client
// certificates), a certificate rotated on disk reaching new connections; the admin
// endpoint's bearer token; metrics and admin bound to loopback by default; request body
// and header limits answered through ImmediateResponse; YAML bombs refused quickly.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/health_client.h"
#include "tests/support/test_pki.h"

namespace epp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kExtProcService[] = "envoy.service.ext_proc.v3.ExternalProcessor";

const std::string kBaseConfig = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: random-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: random-picker
endpoints:
- {address: 10.9.0.1, port: 8000, scrape: false}
)";

std::string chat(const std::string& content) {
  return nlohmann::json{{"model", "llama"},
                        {"messages", {{{"role", "user"}, {"content", content}}}}}
      .dump();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "eppd-sec-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void writeFile(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0600)) {
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, mode);
}

RequestResult postChat(EnvoyClient& client, const std::string& content = "hello") {
  RequestSpec spec;
  spec.body = chat(content);
  spec.timeout = std::chrono::seconds(5);
  return client.process(spec);
}

// ---- TLS and mTLS on the ext_proc port ----------------------------------------------------

class EppdTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = TestPki::create(dir_.path(), "server");
    wrongPki_ = TestPki::create(dir_.path(), "wrong");
    clientPki_ = TestPki::create(dir_.path(), "clients");
  }
  void start(const std::string& tlsYaml, std::vector<std::string> args = {}) {
    eppd_ = std::make_unique<EppdProcess>(kBaseConfig + tlsYaml, std::move(args));
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
  }
  std::string tlsConfig(const fs::path& cert, const fs::path& key,
                        const fs::path& clientCa = {}) const {
    std::string yaml = "server:\n  tls:\n    certFile: " + cert.string() +
                       "\n    keyFile: " + key.string() + "\n    refreshInterval: 1s\n";
    if (!clientCa.empty()) yaml += "    clientCaFile: " + clientCa.string() + "\n";
    return yaml;
  }
  // A Process stream over a fresh TLS connection.
  RequestResult tlsPost(const TlsClientFiles& files) {
    EnvoyClient client(eppd_->extprocTarget(), files);
    return postChat(client);
  }

  TempDir dir_;
  TestPki pki_, wrongPki_, clientPki_;
  std::unique_ptr<EppdProcess> eppd_;
};

TEST_F(EppdTlsTest, RightCaHandshakesAndAProcessStreamIsRouted) {
  start(tlsConfig(pki_.serverCert, pki_.serverKey));
  RequestResult r = tlsPost({.caFile = pki_.caCert.string()});
  ASSERT_TRUE(r.routed) << r.status.error_message() << " " << r.immediateBody;
  EXPECT_TRUE(r.violations.empty()) << ::testing::PrintToString(r.violations);
  EXPECT_EQ(r.destination, "10.9.0.1:8000");
  EXPECT_EQ(r.upstreamBody, chat("hello"));
  // Envoy's health check over the same TLS port sees the server's certificate.
  HealthCheck health = checkHealth(
      tlsChannel(eppd_->extprocTarget(), {.caFile = pki_.caCert.string()}), kExtProcService);
  EXPECT_TRUE(health.serving()) << health.message;
  EXPECT_EQ(health.peerCommonName, "localhost");
  // The health port stays plaintext for the kubelet's gRPC probes.
  EXPECT_TRUE(checkHealth(eppd_->healthTarget(), "").serving());
  // A plaintext client gets nothing from the TLS port.
  EnvoyClient plain(eppd_->extprocTarget());
  RequestResult p = postChat(plain);
  EXPECT_FALSE(p.routed);
  EXPECT_FALSE(p.status.ok());
  EXPECT_THAT(eppd_->log(), HasSubstr("ext_proc TLS: certificate 'CN = localhost' (serial 02), "
                                      "valid; files re-read every 1 s; clients are not "
                                      "authenticated"));
  double expiry = eppd_->metric("eppd_tls_certificate_expiry_timestamp_seconds");
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(expiry, now + 30 * 24 * 3600, 120);
}

TEST_F(EppdTlsTest, WrongCaFailsTheHandshake) {
  // The certificate files from the command line, as `eppd serve --tls-cert-file …`.
  start("",
        {"--tls-cert-file", pki_.serverCert.string(), "--tls-key-file", pki_.serverKey.string()});
  RequestResult wrong = tlsPost({.caFile = wrongPki_.caCert.string()});
  EXPECT_FALSE(wrong.routed);
  EXPECT_EQ(wrong.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << wrong.status.error_message();
  // The same server with the right CA: the refusal was the CA, not the server.
  EXPECT_TRUE(tlsPost({.caFile = pki_.caCert.string()}).routed);
}

TEST_F(EppdTlsTest, ExpiredServerCertificateFailsVerification) {
  TestPki::Leaf expired = pki_.issue("expired", {.commonName = "localhost",
                                                 .serial = 7,
                                                 .notBeforeSeconds = -2 * 86400,
                                                 .notAfterSeconds = -86400});
  start(tlsConfig(expired.cert, expired.key));
  EXPECT_THAT(eppd_->log(), HasSubstr("has expired: clients will refuse it"));
  RequestResult r = tlsPost({.caFile = pki_.caCert.string()});
  EXPECT_FALSE(r.routed);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
}

TEST_F(EppdTlsTest, MtlsRequiresAClientCertificateFromTheClientCa) {
  start(tlsConfig(pki_.serverCert, pki_.serverKey, clientPki_.caCert));
  EXPECT_THAT(eppd_->log(), HasSubstr("mTLS: clients need a certificate signed by one of the 1 "
                                      "CAs of " +
                                      clientPki_.caCert.string()));
  // No client certificate: refused.
  RequestResult none = tlsPost({.caFile = pki_.caCert.string()});
  EXPECT_FALSE(none.routed);
  EXPECT_FALSE(none.status.ok());
  // A client certificate from another CA: refused.
  TestPki::Leaf stranger = wrongPki_.issue("stranger", {.commonName = "envoy", .client = true});
  RequestResult foreign = tlsPost({.caFile = pki_.caCert.string(),
                                   .certFile = stranger.cert.string(),
                                   .keyFile = stranger.key.string()});
  EXPECT_FALSE(foreign.routed);
  EXPECT_FALSE(foreign.status.ok());
  // Signed by the client CA: routed.
  TestPki::Leaf envoy = clientPki_.issue("envoy", {.commonName = "envoy", .client = true});
  RequestResult ok = tlsPost({.caFile = pki_.caCert.string(),
                              .certFile = envoy.cert.string(),
                              .keyFile = envoy.key.string()});
  ASSERT_TRUE(ok.routed) << ok.status.error_message();
  EXPECT_EQ(ok.destination, "10.9.0.1:8000");
}

TEST_F(EppdTlsTest, RotatedCertificateReachesNewConnections) {
  // Laid out as a Kubernetes Secret volume: tls.crt -> ..data/tls.crt, ..data -> v1; a
  // rotation points ..data at a new directory in one rename.
  fs::path tls = dir_.path() / "tls";
  fs::create_directories(tls / "v1");
  fs::create_directories(tls / "v2");
  pki_.issue("tls/v1/tls", {.commonName = "eppd-v1", .serial = 101});
  pki_.issue("tls/v2/tls", {.commonName = "eppd-v2", .serial = 202});
  fs::create_directory_symlink("v1", tls / "..data");
  fs::create_symlink("..data/tls.crt", tls / "tls.crt");
  fs::create_symlink("..data/tls.key", tls / "tls.key");
  // The name checked is 127.0.0.1, which both certificates carry.
  start(tlsConfig(tls / "tls.crt", tls / "tls.key"));
  TlsClientFiles trust{.caFile = pki_.caCert.string()};
  auto servedName = [&] {
    return checkHealth(tlsChannel(eppd_->extprocTarget(), trust), kExtProcService,
                       std::chrono::seconds(2))
        .peerCommonName;
  };
  ASSERT_EQ(servedName(), "eppd-v1");
  auto kept = tlsChannel(eppd_->extprocTarget(), trust);
  ASSERT_TRUE(checkHealth(kept, kExtProcService).serving());

  fs::create_directory_symlink("v2", tls / "..data_tmp");
  fs::rename(tls / "..data_tmp", tls / "..data");
  auto rotated = Clock::now();
  std::string name;
  while (Clock::now() - rotated < std::chrono::seconds(8)) {
    name = servedName();
    if (name == "eppd-v2") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - rotated);
  EXPECT_EQ(name, "eppd-v2");
  // refreshInterval 1s: a rotation is served within two intervals and a bit.
  EXPECT_LT(took, std::chrono::milliseconds(3000));
  std::cout << "rotated certificate served to new connections after " << took.count() << " ms\n";
  // A Process stream on the new certificate works; the connection made before still does.
  EXPECT_TRUE(tlsPost(trust).routed);
  EXPECT_TRUE(checkHealth(kept, kExtProcService).serving());
  EXPECT_DOUBLE_EQ(eppd_->awaitMetric(R"(eppd_tls_certificate_reloads_total{result="success"})", 1),
                   1);
  EXPECT_THAT(eppd_->log(),
              HasSubstr("ext_proc TLS files changed: certificate 'CN = eppd-v2' (serial CA)"));
}

TEST_F(EppdTlsTest, UnusableFilesStopTheStartWithAClearError) {
  // The key of another certificate.
  EppdProcess mismatched(kBaseConfig + tlsConfig(pki_.serverCert, wrongPki_.serverKey));
  EXPECT_FALSE(mismatched.started());
  EXPECT_THAT(mismatched.error(),
              HasSubstr("ext_proc tls: the key in " + wrongPki_.serverKey.string() +
                        " does not belong to the certificate in " + pki_.serverCert.string()));
  EppdProcess missing(kBaseConfig + tlsConfig(dir_.path() / "none.crt", pki_.serverKey));
  EXPECT_FALSE(missing.started());
  EXPECT_THAT(missing.error(), HasSubstr("ext_proc tls: cannot read certificate file " +
                                         (dir_.path() / "none.crt").string()));
  EppdProcess halfFlags(kBaseConfig, {"--tls-cert-file", pki_.serverCert.string()});
  EXPECT_FALSE(halfFlags.started());
  EXPECT_THAT(halfFlags.error(), HasSubstr("tls: a certificate file and a key file go together; "
                                           "only the certificate file is given"));
}

// ---- admin bearer token ---------------------------------------------------------------------

class EppdAdminTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokenFile_ = dir_.path() / "admin-token";
    writeFile(tokenFile_, "first-token-0123456789abcdef\n");
    eppd_ = std::make_unique<EppdProcess>(
        kBaseConfig + "server:\n  adminTokenFile: " + tokenFile_.string() + "\n");
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
  }
  HttpResponse admin(const std::string& method, const std::string& path,
                     const std::string& authorization, const std::string& body = "") {
    std::vector<std::string> headers;
    if (!authorization.empty()) headers.push_back("Authorization: " + authorization);
    return httpRequest(eppd_->adminPort(), method, path, body, headers);
  }

  TempDir dir_;
  fs::path tokenFile_;
  std::unique_ptr<EppdProcess> eppd_;
};

TEST_F(EppdAdminTokenTest, RequestsWithoutTheTokenGet401) {
  HttpResponse none = admin("GET", "/config", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_THAT(none.headers, HasSubstr("WWW-Authenticate: Bearer realm=\"eppd-admin\""));
  EXPECT_EQ(nlohmann::json::parse(none.body)["error"], "unauthorized: bearer token missing");
  EXPECT_EQ(admin("GET", "/config", "Basic Zmlyc3Q6dG9rZW4=").status, 401);
  EXPECT_EQ(admin("GET", "/decisions", "Bearer wrong-token-0123456789abcdef").status, 401);
  EXPECT_EQ(admin("GET", "/config", "Bearer first-token-0123456789abcde").status, 401);
  EXPECT_EQ(admin("GET", "/no-such-path", "").status, 401);
  // A write is refused before it changes anything.
  std::string state = R"({"endpoint":"10.9.0.1:8000","waiting":42})";
  EXPECT_EQ(admin("POST", "/endpoints/state", "", state).status, 401);
  EXPECT_EQ(admin("POST", "/reload", "Bearer nope-nope-nope-nope-nope").status, 401);

  HttpResponse ok = admin("GET", "/endpoints", "Bearer first-token-0123456789abcdef");
  ASSERT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, ::testing::Not(HasSubstr("\"waiting\": 42")));
  EXPECT_EQ(admin("GET", "/config", "bearer  first-token-0123456789abcdef").status, 200);

  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_admin_unauthorized_requests_total{reason="missing"})"), 4);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_admin_unauthorized_requests_total{reason="invalid"})"), 3);
  EXPECT_THAT(eppd_->log(), HasSubstr("admin: 401 for POST /endpoints/state from 127.0.0.1: "
                                      "bearer token missing"));
  EXPECT_THAT(eppd_->log(), HasSubstr("admin: 401 for GET /decisions from 127.0.0.1: bearer "
                                      "token invalid"));
}

TEST_F(EppdAdminTokenTest, ARotatedTokenFileTakesEffectAtTheNextRequest) {
  const std::string first = "Bearer first-token-0123456789abcdef";
  const std::string second = "Bearer second-token-0123456789abcdef";
  ASSERT_EQ(admin("GET", "/config", first).status, 200);
  // Replaced as a Secret update or an editor does it: a new file renamed over the old.
  writeFile(dir_.path() / "admin-token.new", "second-token-0123456789abcdef");
  fs::rename(dir_.path() / "admin-token.new", tokenFile_);
  EXPECT_EQ(admin("GET", "/config", first).status, 401);
  EXPECT_EQ(admin("GET", "/config", second).status, 200);
  // An emptied file admits nobody rather than the last token.
  writeFile(dir_.path() / "admin-token.new", "");
  fs::rename(dir_.path() / "admin-token.new", tokenFile_);
  EXPECT_EQ(admin("GET", "/config", second).status, 401);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_admin_unauthorized_requests_total{reason="unavailable"})"),
                   1);
  EXPECT_THAT(eppd_->log(), HasSubstr("every admin request is refused until it is fixed"));
}

TEST(EppdAdminTokenConfigTest, ATokenInTheConfigOrAShortTokenIsRefused) {
  TempDir dir;
  writeFile(dir.path() / "inline.yaml", kBaseConfig + "server:\n  adminToken: hunter2\n",
            fs::perms(0644));
  RunResult inline_ =
      runEppd("validate --no-default-plugin-dir " + (dir.path() / "inline.yaml").string());
  EXPECT_EQ(inline_.exitCode, 1);
  EXPECT_THAT(inline_.err, HasSubstr("server.adminToken: a token is not accepted in the config; "
                                     "write it to a file readable only by eppd"));
  writeFile(dir.path() / "short-token", "hunter2\n");
  EppdProcess shortToken(kBaseConfig,
                         {"--admin-token-file", (dir.path() / "short-token").string()});
  EXPECT_FALSE(shortToken.started());
  EXPECT_THAT(shortToken.error(), HasSubstr("the token is shorter than 16 characters"));
}

// ---- listeners bound to loopback --------------------------------------------------------------

// An IPv4 address of this machine other than loopback, or "" when it has none.
std::string externalAddress() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_LOOPBACK) != 0 || (a->ifa_flags & IFF_UP) == 0) continue;
    char text[INET_ADDRSTRLEN];
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

TEST(EppdListenTest, MetricsAndAdminListenOnLoopbackUnlessConfigured) {
  std::string external = externalAddress();
  if (external.empty()) GTEST_SKIP() << "no non-loopback IPv4 address to test from";
  {
    EppdProcess eppd(kBaseConfig);
    ASSERT_TRUE(eppd.started()) << eppd.error();
    EXPECT_EQ(httpRequest(eppd.metricsPort(), "GET", "/metrics").status, 200);
    EXPECT_EQ(httpRequest(eppd.metricsPort(), "GET", "/metrics", "", {}, external).status, 0)
        << "metrics answered on " << external;
    EXPECT_EQ(httpRequest(eppd.adminPort(), "GET", "/config", "", {}, external).status, 0);
    EXPECT_THAT(eppd.log(), HasSubstr("metrics 127.0.0.1:"));
  }
  // Prometheus in a cluster scrapes the pod IP: the chart sets 0.0.0.0.
  EppdProcess open(kBaseConfig, {"--metrics-address", "0.0.0.0"});
  ASSERT_TRUE(open.started()) << open.error();
  EXPECT_EQ(httpRequest(open.metricsPort(), "GET", "/metrics", "", {}, external).status, 200);
}

// ---- request limits ---------------------------------------------------------------------------

class EppdLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eppd_ = std::make_unique<EppdProcess>(kBaseConfig + R"(server:
  maxRequestBodyBytes: 64Ki
  maxRequestHeaders: 20
  maxRequestHeaderBytes: 4Ki
)");
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdLimitsTest, BodyOverTheLimitIs413AndBufferingStopsThere) {
  // Exactly at the limit: routed.
  const size_t overhead = chat("").size();
  RequestSpec exact;
  exact.body = chat(std::string(65536 - overhead, 'x'));
  ASSERT_EQ(exact.body.size(), 65536u);
  exact.chunkBytes = 16 * 1024;
  RequestResult fits = client_->process(exact);
  ASSERT_TRUE(fits.routed) << fits.immediateBody;
  EXPECT_EQ(fits.upstreamBody, exact.body);

  // 200 KiB in 16 KiB chunks: the fifth chunk crosses 64 KiB and is refused with it.
  RequestSpec big;
  big.headers = {{"x-request-id", "sec-body-1"}};
  big.body = chat(std::string(200 * 1024, 'x'));
  big.chunkBytes = 16 * 1024;
  RequestResult r = client_->process(big);
  ASSERT_TRUE(r.immediate);
  EXPECT_EQ(r.immediateStatus, 413);
  EXPECT_EQ(r.immediateBody, "inference error: PayloadTooLarge - request body exceeds 65536 bytes");
  EXPECT_FALSE(r.routed);
  EXPECT_DOUBLE_EQ(
      eppd_->awaitMetric(R"(eppd_request_limit_rejections_total{limit="body_bytes"})", 1), 1);
  EXPECT_THAT(eppd_->log(), HasSubstr("request_id=sec-body-1 request body over 65536 bytes: 413"));
  EXPECT_THAT(eppd_->log(), HasSubstr("request_id=sec-body-1 result=immediate_response status=413 "
                                      "code=PayloadTooLarge destination= request_bytes=81920 "));
}

TEST_F(EppdLimitsTest, TooManyOrTooLargeHeadersAre431) {
  RequestSpec many;
  many.headers = {{"x-request-id", "sec-hdr-1"}};
  for (int i = 0; i < 29; ++i) many.headers.push_back({"x-h" + std::to_string(i), "v"});
  many.body = chat("hi");
  RequestResult a = client_->process(many);
  ASSERT_TRUE(a.immediate);
  EXPECT_EQ(a.immediateStatus, 431);
  EXPECT_EQ(a.immediateBody,
            "inference error: RequestHeaderFieldsTooLarge - request headers: 34 entries, more "
            "than 20");
  EXPECT_THAT(eppd_->log(),
              HasSubstr("request_id=sec-hdr-1 request headers: 34 entries, more than 20: 431"));

  RequestSpec large;
  large.headers = {{"x-big", std::string(5000, 'b')}};
  large.body = chat("hi");
  RequestResult b = client_->process(large);
  ASSERT_TRUE(b.immediate);
  EXPECT_EQ(b.immediateStatus, 431);
  EXPECT_THAT(b.immediateBody, StartsWith("inference error: RequestHeaderFieldsTooLarge - request "
                                          "headers: 50"));
  EXPECT_THAT(b.immediateBody, HasSubstr(" bytes, more than 4096"));
  // The client's request had no id: eppd made one, returned it and logged it.
  const std::string* id = nullptr;
  for (const auto& [key, value] : b.immediateHeaders) {
    if (key == "x-request-id") id = &value;
  }
  ASSERT_NE(id, nullptr);
  EXPECT_THAT(eppd_->log(), HasSubstr("request_id=" + *id + " request headers: "));

  RequestSpec trailers;
  trailers.body = chat("hi");
  trailers.sendTrailers = true;
  for (int i = 0; i < 25; ++i) trailers.trailers.push_back({"x-t" + std::to_string(i), "v"});
  RequestResult c = client_->process(trailers);
  ASSERT_TRUE(c.immediate);
  EXPECT_EQ(c.immediateStatus, 431);
  EXPECT_EQ(c.immediateBody,
            "inference error: RequestHeaderFieldsTooLarge - request trailers: 25 entries, more "
            "than 20");

  EXPECT_DOUBLE_EQ(
      eppd_->awaitMetric(R"(eppd_request_limit_rejections_total{limit="header_count"})", 2), 2);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_request_limit_rejections_total{limit="header_bytes"})"),
                   1);
  // A request within every limit is still routed.
  EXPECT_TRUE(postChat(*client_).routed);
}

// ---- YAML bombs -------------------------------------------------------------------------------

TEST(EppdYamlLimitsTest, AliasBombIsRejectedWellUnderASecond) {
  TempDir dir;
  // Nine levels of nine aliases each: 9^9 (387 million) nodes once expanded.
  std::string bomb = kBaseConfig + "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    bomb += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 1; j < 9; ++j) bomb += ", " + prev;
    bomb += "]\n";
  }
  writeFile(dir.path() / "bomb.yaml", bomb, fs::perms(0644));
  auto start = Clock::now();
  RunResult r = runEppd("validate --no-default-plugin-dir " + (dir.path() / "bomb.yaml").string());
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("bomb.yaml"));
  EXPECT_THAT(r.err, HasSubstr(": the document expands to more than 100000 nodes (through "
                               "aliases?)"));
  // The whole process: start, parse, refuse, exit. Expanded, the document would take
  // minutes. A sanitized eppd needs ~0.3 s more to start and checks for leaks at exit.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  EXPECT_LT(took, std::chrono::milliseconds(5000));
#else
  EXPECT_LT(took, std::chrono::milliseconds(1000));
#endif
  std::cout << "alias bomb refused by `eppd validate` in " << took.count() << " ms\n";

  // serve refuses it at start the same way.
  EppdProcess serve(bomb);
  EXPECT_FALSE(serve.started());
  EXPECT_THAT(serve.error(), HasSubstr("expands to more than 100000 nodes"));
}

TEST(EppdYamlLimitsTest, OversizedConfigIsRefusedBeforeParsing) {
  TempDir dir;
  std::string big = kBaseConfig + "# " + std::string(5 << 20, 'x') + "\n";
  writeFile(dir.path() / "big.yaml", big, fs::perms(0644));
  RunResult r = runEppd("validate --no-default-plugin-dir " + (dir.path() / "big.yaml").string());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("big.yaml: config file is larger than 4 MiB"));
}

}  // namespace
}  // namespace epp::testing
