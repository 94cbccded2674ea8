// The host callback table as a plugin sees it: errors, logging, time, parameters,
// metrics, request delegation and the adapter sink.
#include "host/loader/host_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "host/common/clock.h"
#include "host/common/metrics_registry.h"
#include "host/config/param_tree.h"
#include "host/loader/abi_views.h"
#include "host/loader/error_sink.h"
#include "host/loader/instance_host.h"
#include "host/loader/metrics_sink.h"
#include "host/loader/request_host.h"
#include "host/loader/state_sink.h"
#include "test_support.h"

namespace epp::loader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const epp_host_api& api() { return *hostApi(); }

epp_str str(const char* s) { return toStr(s); }

TEST(HostApiTest, TableDescribesItself) {
  EXPECT_EQ(api().struct_size, sizeof(epp_host_api));
  EXPECT_EQ(api().abi_major, EPP_ABI_MAJOR);
  EXPECT_EQ(api().abi_minor, EPP_ABI_MINOR);
  // Every slot of this ABI is implemented.
  const auto* slots = reinterpret_cast<void* const*>(reinterpret_cast<const char*>(&api()) +
                                                     offsetof(epp_host_api, error_set));
  size_t count = (sizeof(epp_host_api) - offsetof(epp_host_api, error_set)) / sizeof(void*);
  for (size_t i = 0; i < count; ++i) EXPECT_NE(slots[i], nullptr) << "slot " << i;
}

TEST(HostApiTest, ErrorSetCopiesAndReplacesTheMessage) {
  ErrorSink sink;
  std::string message = "first";
  api().error_set(sink.handle(), toStr(message));
  message = "changed";
  EXPECT_EQ(sink.message(), "first");
  api().error_set(sink.handle(), str("second"));
  EXPECT_TRUE(sink.isSet());
  EXPECT_EQ(sink.message(), "second");
  api().error_set(nullptr, str("ignored"));  // must not crash
}

class FakeRequest : public RequestHost {
 public:
  std::string_view requestId() const override { return "req-42"; }
  std::optional<std::string_view> header(std::string_view name) const override {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  epp_status setHeader(std::string_view name, std::string_view value) override {
    set_headers[std::string(name)] = std::string(value);
    return EPP_OK;
  }
  epp_status setResponseHeader(std::string_view name, std::string_view value) override {
    if (response_gone) return EPP_ERR_UNAVAILABLE;
    response_headers[std::string(name)] = std::string(value);
    return EPP_OK;
  }
  epp_status prefixHashes(uint32_t block_size, uint32_t max_blocks,
                          std::span<const uint64_t>& out) override {
    last_block_size = block_size;
    out = std::span<const uint64_t>(hashes).first(std::min<size_t>(max_blocks, hashes.size()));
    return EPP_OK;
  }
  uint64_t random() override { return 0x1234; }
  epp_status stateSet(const InstanceHost& instance, void* state, void (*destroy)(void*)) override {
    states[&instance] = {state, destroy};
    return EPP_OK;
  }
  void* stateGet(const InstanceHost& instance) const override {
    auto it = states.find(&instance);
    return it == states.end() ? nullptr : it->second.first;
  }
  epp_status dataPut(std::string_view key, std::span<const uint64_t> ids,
                     std::span<const double> values) override {
    for (size_t i = 0; i < ids.size(); ++i) data[std::string(key)][ids[i]] = values[i];
    return EPP_OK;
  }
  epp_status dataGet(std::string_view key, const epp_endpoint_list& endpoints,
                     double* values) const override {
    auto it = data.find(std::string(key));
    if (it == data.end()) return EPP_ERR_NOT_FOUND;
    for (size_t i = 0; i < endpoints.count; ++i) {
      auto value = it->second.find(endpoints.items[i]->id);
      values[i] = value == it->second.end() ? std::nan("") : value->second;
    }
    return EPP_OK;
  }
  epp_status pool(epp_endpoint_list& out) const override {
    out = {nullptr, 3};
    return EPP_OK;
  }

  std::map<std::string, std::string> headers{{"x-user", "alice"}};
  std::map<std::string, std::string> set_headers;
  std::map<std::string, std::string> response_headers;
  bool response_gone = false;
  std::vector<uint64_t> hashes{11, 22, 33};
  uint32_t last_block_size = 0;
  std::map<const InstanceHost*, std::pair<void*, void (*)(void*)>> states;
  std::map<std::string, std::map<uint64_t, double>> data;
};

TEST(HostApiTest, LogNamesInstanceAndRequest) {
  testing_abi::LogCapture log;
  InstanceHost instance("my-scorer", "queue-scorer");
  FakeRequest request;
  api().log(instance.handle(), request.handle(), EPP_LOG_WARN, str("queue is long"));
  EXPECT_TRUE(log.contains("plugin=my-scorer type=queue-scorer request_id=req-42 queue is long"));
  api().log(nullptr, nullptr, EPP_LOG_ERROR, str("no context"));
  EXPECT_TRUE(log.contains("library=? no context"));
  EXPECT_TRUE(api().log_enabled(EPP_LOG_ERROR));
  EXPECT_FALSE(api().log_enabled(EPP_LOG_TRACE));  // the default level is info
}

int64_t fixedClock() { return 42; }

TEST(HostApiTest, NowFollowsTheClockHook) {
  common::setMonotonicClockHook(&fixedClock);
  EXPECT_EQ(api().now_ns(), 42);
  common::setMonotonicClockHook(nullptr);
  int64_t a = api().now_ns();
  int64_t b = api().now_ns();
  EXPECT_GT(a, 42);
  EXPECT_GE(b, a);
  EXPECT_GT(api().wall_time_ns(), int64_t{1'600'000'000} * 1'000'000'000);
}

TEST(HostApiTest, ParametersReadThroughTheTable) {
  auto tree = config::ParamTree::parse(
      "flag: true\ncount: 12\nratio: 0.25\nname: prefix\ntimeout: 1m30s\nsize: 2Gi\n"
      "modes: [a, b]\nnothing:\n",
      "cfg.yaml");
  ASSERT_TRUE(tree) << tree.error();
  epp_param_host_ptr root = tree->root().handle();
  EXPECT_EQ(api().param_kind(root), EPP_PARAM_MAP);
  EXPECT_EQ(api().param_size(root), 8u);
  EXPECT_EQ(toView(api().param_location(root)), "cfg.yaml:1:1");

  auto get = [&](const char* key) {
    epp_param_host_ptr child = nullptr;
    EXPECT_EQ(api().param_get(root, str(key), &child), EPP_OK) << key;
    return child;
  };
  bool flag = false;
  EXPECT_EQ(api().param_bool(get("flag"), &flag), EPP_OK);
  EXPECT_TRUE(flag);
  int64_t count = 0;
  EXPECT_EQ(api().param_int(get("count"), &count), EPP_OK);
  EXPECT_EQ(count, 12);
  double ratio = 0;
  EXPECT_EQ(api().param_double(get("ratio"), &ratio), EPP_OK);
  EXPECT_EQ(ratio, 0.25);
  epp_str name{};
  EXPECT_EQ(api().param_string(get("name"), &name), EPP_OK);
  EXPECT_EQ(toView(name), "prefix");
  int64_t timeout = 0;
  EXPECT_EQ(api().param_duration_ns(get("timeout"), &timeout), EPP_OK);
  EXPECT_EQ(timeout, int64_t{90'000'000'000});
  int64_t size = 0;
  EXPECT_EQ(api().param_bytes(get("size"), &size), EPP_OK);
  EXPECT_EQ(size, int64_t{2} << 30);
  EXPECT_EQ(toView(api().param_location(get("size"))), "cfg.yaml:6:7");

  epp_param_host_ptr modes = get("modes");
  EXPECT_EQ(api().param_kind(modes), EPP_PARAM_LIST);
  epp_param_host_ptr second = nullptr;
  epp_str key{"x", 1};
  EXPECT_EQ(api().param_at(modes, 1, &second, &key), EPP_OK);
  EXPECT_EQ(key.ptr, nullptr);
  EXPECT_EQ(api().param_string(second, &name), EPP_OK);
  EXPECT_EQ(toView(name), "b");
  EXPECT_EQ(api().param_at(modes, 2, &second, &key), EPP_ERR_OUT_OF_RANGE);
  EXPECT_EQ(api().param_at(root, 1, &second, &key), EPP_OK);
  EXPECT_EQ(toView(key), "count");

  EXPECT_EQ(api().param_kind(get("nothing")), EPP_PARAM_NULL);
  epp_param_host_ptr absent = nullptr;
  EXPECT_EQ(api().param_get(root, str("absent"), &absent), EPP_ERR_NOT_FOUND);
  EXPECT_EQ(api().param_get(modes, str("a"), &absent), EPP_ERR_NOT_FOUND);
  EXPECT_EQ(api().param_int(get("ratio"), &count), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().param_bool(get("count"), &flag), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().param_string(modes, &name), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().param_int(nullptr, &count), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().param_kind(nullptr), EPP_PARAM_NULL);
}

// The value of the series of `name` whose labels include all of `labels`, or nullopt.
std::optional<double> collect(const std::string& name, const prometheus::Labels& labels) {
  for (const auto& family : common::metricsRegistry().Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      size_t matched = 0;
      for (const auto& label : metric.label) {
        auto it = labels.find(label.name);
        if (it != labels.end() && it->second == label.value) ++matched;
      }
      if (matched != labels.size()) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default:
          return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

epp_metric_desc describe(epp_metric_type type, const char* name, const std::vector<epp_str>& labels,
                         const std::vector<double>& buckets = {}) {
  epp_metric_desc desc{};
  desc.struct_size = sizeof(desc);
  desc.type = type;
  desc.name = toStr(name);
  desc.help = toStr("test metric");
  desc.label_names = labels.data();
  desc.label_names_count = labels.size();
  desc.buckets = buckets.data();
  desc.buckets_count = buckets.size();
  return desc;
}

TEST(HostApiTest, MetricsRegisterSharedFamiliesLabelledByInstance) {
  std::vector<epp_str> labels{str("route")};
  epp_metric_desc desc = describe(EPP_METRIC_COUNTER, "eppd_test_picks_total", labels);
  auto first = std::make_unique<InstanceHost>("first", "t");
  InstanceHost second("second", "t");
  first->setCreating(true);
  second.setCreating(true);
  ErrorSink error;

  epp_metric_host_ptr metric_a = nullptr;
  epp_metric_host_ptr metric_b = nullptr;
  ASSERT_EQ(api().metric_register(first->handle(), &desc, &metric_a, error.handle()), EPP_OK)
      << error.message();
  ASSERT_EQ(api().metric_register(second.handle(), &desc, &metric_b, error.handle()), EPP_OK);

  epp_str route = str("fast");
  epp_series_host_ptr series_a = nullptr;
  epp_series_host_ptr series_b = nullptr;
  ASSERT_EQ(api().metric_series(metric_a, &route, 1, &series_a), EPP_OK);
  ASSERT_EQ(api().metric_series(metric_b, &route, 1, &series_b), EPP_OK);
  epp_series_host_ptr again = nullptr;
  ASSERT_EQ(api().metric_series(metric_a, &route, 1, &again), EPP_OK);
  EXPECT_EQ(again, series_a);
  EXPECT_EQ(api().metric_series(metric_a, nullptr, 0, &again), EPP_ERR_INVALID_ARGUMENT);

  api().series_add(series_a, 2.5);
  api().series_add(series_a, 1);
  api().series_add(series_a, -7);  // counters only go up: ignored
  api().series_add(series_b, 1);
  EXPECT_EQ(collect("eppd_test_picks_total", {{"plugin_name", "first"}, {"route", "fast"}}), 3.5);
  EXPECT_EQ(collect("eppd_test_picks_total", {{"plugin_name", "second"}, {"route", "fast"}}), 1);

  // Same name, other shape: refused with both shapes named.
  epp_metric_desc gauge = describe(EPP_METRIC_GAUGE, "eppd_test_picks_total", labels);
  epp_metric_host_ptr clash = nullptr;
  EXPECT_EQ(api().metric_register(second.handle(), &gauge, &clash, error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error.message(),
            "metric 'eppd_test_picks_total' is already registered as a counter with labels "
            "[route]; this registration asks for a gauge with labels [route]");

  // An instance's series leave /metrics with it.
  first.reset();
  EXPECT_EQ(collect("eppd_test_picks_total", {{"plugin_name", "first"}}), std::nullopt);
  EXPECT_EQ(collect("eppd_test_picks_total", {{"plugin_name", "second"}}), 1);
}

TEST(HostApiTest, GaugesAndHistograms) {
  InstanceHost instance("inst", "t");
  instance.setCreating(true);
  ErrorSink error;
  epp_metric_desc gauge = describe(EPP_METRIC_GAUGE, "eppd_test_depth", {});
  std::vector<double> buckets{0.1, 1, 10};
  epp_metric_desc histogram =
      describe(EPP_METRIC_HISTOGRAM, "eppd_test_latency_seconds", {}, buckets);
  epp_metric_host_ptr g = nullptr;
  epp_metric_host_ptr h = nullptr;
  ASSERT_EQ(api().metric_register(instance.handle(), &gauge, &g, error.handle()), EPP_OK);
  ASSERT_EQ(api().metric_register(instance.handle(), &histogram, &h, error.handle()), EPP_OK);
  epp_series_host_ptr gs = nullptr;
  epp_series_host_ptr hs = nullptr;
  ASSERT_EQ(api().metric_series(g, nullptr, 0, &gs), EPP_OK);
  ASSERT_EQ(api().metric_series(h, nullptr, 0, &hs), EPP_OK);
  api().series_set(gs, 5);
  api().series_add(gs, -2);
  api().series_observe(hs, 0.5);
  api().series_observe(hs, 3);
  api().series_observe(gs, 3);  // wrong type: ignored
  EXPECT_EQ(collect("eppd_test_depth", {{"plugin_name", "inst"}}), 3);
  EXPECT_EQ(collect("eppd_test_latency_seconds", {{"plugin_name", "inst"}}), 2);
}

TEST(HostApiTest, MetricRegistrationIsCheckedAndOnlyDuringCreate) {
  InstanceHost instance("inst", "t");
  ErrorSink error;
  epp_metric_host_ptr out = nullptr;
  epp_metric_desc desc = describe(EPP_METRIC_COUNTER, "eppd_test_late_total", {});
  EXPECT_EQ(api().metric_register(instance.handle(), &desc, &out, error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error.message(), "metric_register is only allowed during create");

  instance.setCreating(true);
  epp_metric_desc bad_name = describe(EPP_METRIC_COUNTER, "eppd-bad-name", {});
  EXPECT_EQ(api().metric_register(instance.handle(), &bad_name, &out, error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error.message(), "'eppd-bad-name' is not a valid Prometheus metric name");

  std::vector<epp_str> reserved{str("plugin_name")};
  epp_metric_desc bad_label = describe(EPP_METRIC_COUNTER, "eppd_test_x_total", reserved);
  EXPECT_EQ(api().metric_register(instance.handle(), &bad_label, &out, error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(error.message(), HasSubstr("eppd adds plugin_name itself"));

  std::vector<double> unordered{1, 0.5};
  epp_metric_desc bad_buckets =
      describe(EPP_METRIC_HISTOGRAM, "eppd_test_h_seconds", {}, unordered);
  EXPECT_EQ(api().metric_register(instance.handle(), &bad_buckets, &out, error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(error.message(), HasSubstr("buckets must be finite and increasing"));

  epp_metric_desc short_desc = describe(EPP_METRIC_COUNTER, "eppd_test_y_total", {});
  short_desc.struct_size = 8;
  EXPECT_EQ(api().metric_register(instance.handle(), &short_desc, &out, error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_THAT(error.message(), HasSubstr("struct_size 8 is smaller"));
}

TEST(HostApiTest, RequestCallbacksDelegateToTheRequestHost) {
  FakeRequest request;
  InstanceHost instance("inst", "t");
  epp_request_host_ptr handle = request.handle();

  EXPECT_EQ(toView(api().request_header(handle, str("x-user"))), "alice");
  EXPECT_EQ(api().request_header(handle, str("x-none")).ptr, nullptr);
  EXPECT_EQ(api().request_header(nullptr, str("x-user")).ptr, nullptr);

  EXPECT_EQ(api().request_set_header(handle, str("x-prefiller"), str("10.0.0.1:80")), EPP_OK);
  EXPECT_THAT(request.set_headers, ElementsAre(Pair("x-prefiller", "10.0.0.1:80")));
  EXPECT_EQ(api().request_set_header(handle, str(""), str("v")), EPP_ERR_INVALID_ARGUMENT);

  const uint64_t* hashes = nullptr;
  size_t count = 0;
  EXPECT_EQ(api().request_prefix_hashes(handle, 16, 2, &hashes, &count), EPP_OK);
  EXPECT_EQ(request.last_block_size, 16u);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(hashes[1], 22u);
  EXPECT_EQ(api().request_random(handle), 0x1234u);

  static int destroyed = 0;
  int state = 5;
  EXPECT_EQ(api().request_state_set(handle, instance.handle(), &state, nullptr), EPP_OK);
  EXPECT_EQ(api().request_state_get(handle, instance.handle()), &state);
  EXPECT_EQ(api().request_state_set(nullptr, instance.handle(), &state, [](void*) { ++destroyed; }),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(destroyed, 1);  // ownership passed to the host, which had nowhere to keep it

  uint64_t ids[] = {7, 8};
  double values[] = {0.5, 0.75};
  EXPECT_EQ(api().request_data_put(handle, str("prefix-match"), ids, values, 2), EPP_OK);
  epp_endpoint_view a{};
  epp_endpoint_view b{};
  a.id = 8;
  b.id = 9;
  const epp_endpoint_view* items[] = {&a, &b};
  epp_endpoint_list endpoints{items, 2};
  double out[2] = {0, 0};
  EXPECT_EQ(api().request_data_get(handle, str("prefix-match"), &endpoints, out), EPP_OK);
  EXPECT_EQ(out[0], 0.75);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(api().request_data_get(handle, str("other"), &endpoints, out), EPP_ERR_NOT_FOUND);

  epp_endpoint_list pool{};
  EXPECT_EQ(api().request_pool(handle, &pool), EPP_OK);
  EXPECT_EQ(pool.count, 3u);
}

// ABI 1.2: a header for the client's response, lower-cased; never a pseudo-header.
TEST(HostApiTest, ResponseSetHeaderDelegatesToTheRequestHost) {
  ASSERT_TRUE(EPP_HAS_FIELD(&api(), epp_host_api, response_set_header));
  FakeRequest request;
  epp_request_host_ptr handle = request.handle();
  EXPECT_EQ(api().response_set_header(handle, str("X-Session-Token"), str("cG9kLWE=")), EPP_OK);
  EXPECT_THAT(request.response_headers, ElementsAre(Pair("x-session-token", "cG9kLWE=")));
  EXPECT_EQ(api().response_set_header(handle, str(":status"), str("500")),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().response_set_header(handle, str(""), str("v")), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().response_set_header(nullptr, str("x-a"), str("v")), EPP_ERR_INVALID_ARGUMENT);
  request.response_gone = true;
  EXPECT_EQ(api().response_set_header(handle, str("x-late"), str("v")), EPP_ERR_UNAVAILABLE);
  EXPECT_EQ(request.response_headers.size(), 1u);
}

TEST(HostApiTest, SinkCollectsLorasAndLabels) {
  MetricsSink sink;
  api().sink_add_lora(sink.handle(), EPP_LORA_ACTIVE, str("sql-lora"));
  api().sink_add_lora(sink.handle(), EPP_LORA_WAITING, str("chat-lora"));
  api().sink_add_lora(sink.handle(), EPP_LORA_ACTIVE, str("tweet-lora"));
  api().sink_set_label(sink.handle(), str("engine_version"), str("0.6.1"));
  EXPECT_THAT(sink.active_loras, ElementsAre("sql-lora", "tweet-lora"));
  EXPECT_THAT(sink.waiting_loras, ElementsAre("chat-lora"));
  EXPECT_THAT(sink.labels, UnorderedElementsAre(Pair("engine_version", "0.6.1")));
}

TEST(HostApiTest, StateSinkCopiesTheFormatAndAppendsWithinItsLimit) {
  StateSink sink(10);
  std::string format = "counter/v1";
  EXPECT_EQ(api().state_sink_set_format(sink.handle(), toStr(format)), EPP_OK);
  format = "changed";
  EXPECT_EQ(sink.format(), "counter/v1");
  EXPECT_EQ(api().state_sink_set_format(sink.handle(), str("")), EPP_ERR_INVALID_ARGUMENT);
  const std::string too_long(StateSink::kMaxFormatLength + 1, 'f');
  EXPECT_EQ(api().state_sink_set_format(sink.handle(), toStr(too_long)), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sink.format(), "counter/v1");

  const uint8_t bytes[] = {'a', 'b', 'c', 'd', 'e', 'f'};
  EXPECT_EQ(api().state_sink_write(sink.handle(), epp_bytes{bytes, 6}), EPP_OK);
  EXPECT_EQ(api().state_sink_write(sink.handle(), epp_bytes{bytes, 4}), EPP_OK);
  EXPECT_EQ(sink.data(), "abcdefabcd");
  EXPECT_FALSE(sink.overflowed());
  EXPECT_EQ(api().state_sink_write(sink.handle(), epp_bytes{nullptr, 0}), EPP_OK);
  EXPECT_EQ(api().state_sink_write(sink.handle(), epp_bytes{bytes, 1}), EPP_ERR_OUT_OF_RANGE);
  EXPECT_TRUE(sink.overflowed());
  EXPECT_EQ(sink.data(), "abcdefabcd");

  EXPECT_EQ(api().state_sink_write(sink.handle(), epp_bytes{nullptr, 3}), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().state_sink_write(nullptr, epp_bytes{bytes, 1}), EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(api().state_sink_set_format(nullptr, str("x")), EPP_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace epp::loader

namespace epp::loader {
namespace {

// ABI 1.3: an instance asks, during create only, to be fed KV events from a port.
TEST(HostApiKvEventsTest, SubscribeOnlyDuringCreateWithAValidPort) {
  InstanceHost instance("precise", "precise-prefix-cache-scorer");
  ErrorSink error;
  EXPECT_EQ(api().kv_events_subscribe(instance.handle(), 5557, str("kv@"), error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error.message(), "kv_events_subscribe is only allowed during create");
  EXPECT_FALSE(instance.kvSubscription().has_value());

  instance.setCreating(true);
  EXPECT_EQ(api().kv_events_subscribe(instance.handle(), 0, str("kv@"), error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error.message(), "kv_events_subscribe: port 0 is not 1-65535");
  ASSERT_EQ(api().kv_events_subscribe(instance.handle(), 5557, str("kv@"), error.handle()), EPP_OK);
  ASSERT_EQ(api().kv_events_subscribe(instance.handle(), 5556, str(""), nullptr), EPP_OK);
  ASSERT_TRUE(instance.kvSubscription().has_value());
  EXPECT_EQ(instance.kvSubscription()->port, 5556) << "a later call replaces the earlier";
  EXPECT_EQ(instance.kvSubscription()->topicFilter, "");
  EXPECT_EQ(api().kv_events_subscribe(nullptr, 5557, str(""), error.handle()),
            EPP_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace epp::loader
