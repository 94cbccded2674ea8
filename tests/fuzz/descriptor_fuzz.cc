// File: tests/fuzz/descriptor_fuzz.cc
//
// What a plugin's entry point returns, built from the fuzz input: a plugin descriptor and
// its type descriptors and kind tables, each allocated with exactly the `struct_size` it
// declares (so ASan sees any read past it), with NULL, garbage, unterminated or valid
// strings, NULL or present functions, wrong kind bits, type counts from 0 to past the
// limit, and an ABI version that may disagree. The validator must refuse what is wrong
// with a one-line error, and what it accepts must normalise (type_tables.h) into copies
// that match the plugin's covered fields and zero the rest.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "epp/abi.h"
#include "host/loader/descriptor_validator.h"
#include "host/loader/sized_struct.h"
#include "host/loader/type_tables.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using epp::loader::fieldEnd;

void stubFunction() {}

// Owns every allocation of one input, each exactly as large as asked.
class Arena {
 public:
  unsigned char* bytes(size_t n) {
    blocks_.push_back(std::make_unique<unsigned char[]>(n == 0 ? 1 : n));
    return blocks_.back().get();
  }

 private:
  std::vector<std::unique_ptr<unsigned char[]>> blocks_;
};

class Builder {
 public:
  explicit Builder(FuzzedDataProvider& in) : in_(in) {}

  const char* string(const char* valid) {
    switch (in_.ConsumeIntegralInRange(0, 5)) {
      case 0:
        return nullptr;
      case 1: {  // no terminator within the validator's 1,024-byte bound
        size_t n = 1024 + in_.ConsumeIntegralInRange<size_t>(0, 8);
        auto* s = reinterpret_cast<char*>(arena_.bytes(n));
        std::memset(s, 'a', n);
        return s;
      }
      case 2: {  // terminated just within the bound
        auto* s = reinterpret_cast<char*>(arena_.bytes(1024));
        std::memset(s, 'b', 1023);
        s[1023] = '\0';
        return s;
      }
      case 3:
      case 4: {
        std::string text = in_.ConsumeRandomLengthString(80);
        auto* s = reinterpret_cast<char*>(arena_.bytes(text.size() + 1));
        std::memcpy(s, text.c_str(), text.size() + 1);
        return s;
      }
      default:
        return valid;
    }
  }

  // A struct_size for a struct whose full size (this host's) is `full`.
  uint32_t size(size_t full, std::initializer_list<size_t> historic) {
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0:
      case 1:
        return static_cast<uint32_t>(full);
      case 2: {
        size_t i = in_.ConsumeIntegralInRange<size_t>(0, historic.size() - 1);
        return static_cast<uint32_t>(historic.begin()[i]);
      }
      default:
        return in_.ConsumeIntegralInRange<uint32_t>(0, static_cast<uint32_t>(full + 24));
    }
  }

  // A block of `declared` bytes (at least the struct_size field itself) whose pointer-sized
  // slots after the first 8 bytes hold NULL or a function, and whose other bytes are fuzz.
  unsigned char* table(uint32_t declared, size_t full) {
    size_t n = declared < sizeof(uint32_t) ? sizeof(uint32_t) : declared;
    unsigned char* block = arena_.bytes(n);
    std::vector<uint8_t> fill = in_.ConsumeBytes<uint8_t>(n);
    fill.resize(n);
    std::memcpy(block, fill.data(), n);
    std::memcpy(block, &declared, sizeof declared);
    void (*fn)() = &stubFunction;
    for (size_t offset = 8; offset + sizeof(void*) <= n && offset < full; offset += 8) {
      void* value = in_.ConsumeIntegralInRange(0, 3) == 0 ? nullptr : reinterpret_cast<void*>(fn);
      std::memcpy(block + offset, &value, sizeof value);
    }
    return block;
  }

  template <typename T>
  const T* kindTable(bool wanted) {
    // Mostly present exactly when the kind bit says so.
    bool present = in_.ConsumeIntegralInRange(0, 7) == 0 ? !wanted : wanted;
    if (!present) return nullptr;
    uint32_t declared = size(sizeof(T), {sizeof(uint32_t), sizeof(T) - sizeof(void*)});
    return reinterpret_cast<const T*>(table(declared, sizeof(T)));
  }

  template <typename S, typename F>
  static void put(unsigned char* block, uint32_t declared, F S::*member, F value) {
    if (fieldEnd(member) > declared) return;
    static const S probe{};
    size_t offset = static_cast<size_t>(reinterpret_cast<const unsigned char*>(&(probe.*member)) -
                                        reinterpret_cast<const unsigned char*>(&probe));
    std::memcpy(block + offset, &value, sizeof value);
  }

  const epp_type_descriptor* type(size_t index) {
    using T = epp_type_descriptor;
    if (in_.ConsumeIntegralInRange(0, 15) == 0) return nullptr;
    uint32_t declared = size(sizeof(T), {fieldEnd(&T::destroy), fieldEnd(&T::data_hooks),
                                         fieldEnd(&T::destroy) - 1, fieldEnd(&T::state_handover)});
    unsigned char* block = table(declared, 0);  // fields are set one by one below
    uint32_t kinds = in_.ConsumeIntegralInRange(0, 7) == 0
                         ? in_.ConsumeIntegral<uint32_t>()
                         : uint32_t{1} << in_.ConsumeIntegralInRange(0, 11);
    if (in_.ConsumeBool()) kinds |= uint32_t{1} << in_.ConsumeIntegralInRange(0, 11);
    static const char* const kNames[] = {"queue-scorer", "max-score-picker", "vllm", "a",
                                         "Bad-Name",     "two--dashes",      "x-"};
    const char* name = kNames[index % (sizeof kNames / sizeof kNames[0])];
    put(block, declared, &T::kinds, kinds);
    put(block, declared, &T::type_name, string(name));
    put(block, declared, &T::description, string("a type"));
    using Create = decltype(T::create);
    using Destroy = decltype(T::destroy);
    put(block, declared, &T::create,
        in_.ConsumeIntegralInRange(0, 7) ? reinterpret_cast<Create>(&stubFunction) : Create{});
    put(block, declared, &T::destroy,
        in_.ConsumeIntegralInRange(0, 7) ? reinterpret_cast<Destroy>(&stubFunction) : Destroy{});
    auto has = [&](uint32_t bit) { return (kinds & bit) != 0; };
    put(block, declared, &T::filter, kindTable<epp_filter_v1>(has(EPP_KIND_FILTER)));
    put(block, declared, &T::scorer, kindTable<epp_scorer_v1>(has(EPP_KIND_SCORER)));
    put(block, declared, &T::picker, kindTable<epp_picker_v1>(has(EPP_KIND_PICKER)));
    put(block, declared, &T::profile_handler,
        kindTable<epp_profile_handler_v1>(has(EPP_KIND_PROFILE_HANDLER)));
    put(block, declared, &T::ordering_policy,
        kindTable<epp_ordering_policy_v1>(has(EPP_KIND_ORDERING_POLICY)));
    put(block, declared, &T::fairness_policy,
        kindTable<epp_fairness_policy_v1>(has(EPP_KIND_FAIRNESS_POLICY)));
    put(block, declared, &T::saturation_detector,
        kindTable<epp_saturation_detector_v1>(has(EPP_KIND_SATURATION_DETECTOR)));
    put(block, declared, &T::traffic_splitter,
        kindTable<epp_traffic_splitter_v1>(has(EPP_KIND_TRAFFIC_SPLITTER)));
    put(block, declared, &T::backend_adapter,
        kindTable<epp_backend_adapter_v1>(has(EPP_KIND_BACKEND_ADAPTER)));
    put(block, declared, &T::request_hooks,
        kindTable<epp_request_hooks_v1>(has(EPP_KIND_REQUEST_HOOKS)));
    put(block, declared, &T::data_hooks, kindTable<epp_data_hooks_v1>(has(EPP_KIND_DATA_HOOKS)));
    put(block, declared, &T::state_handover,
        kindTable<epp_state_handover_v1>(has(EPP_KIND_STATE_HANDOVER)));
    return reinterpret_cast<const T*>(block);
  }

  const epp_plugin_descriptor* descriptor(uint32_t packedAbi) {
    using D = epp_plugin_descriptor;
    if (in_.ConsumeIntegralInRange(0, 31) == 0) return nullptr;
    uint32_t declared = size(sizeof(D), {fieldEnd(&D::types_count), fieldEnd(&D::types_count) - 1});
    unsigned char* block = table(declared, 0);
    uint16_t major = EPP_ABI_PACKED_MAJOR(packedAbi);
    uint16_t minor = EPP_ABI_PACKED_MINOR(packedAbi);
    if (in_.ConsumeIntegralInRange(0, 7) == 0) major = in_.ConsumeIntegral<uint16_t>();
    if (in_.ConsumeIntegralInRange(0, 7) == 0) minor = in_.ConsumeIntegral<uint16_t>();
    put(block, declared, &D::abi_major, major);
    put(block, declared, &D::abi_minor, minor);
    put(block, declared, &D::name, string("fuzz-plugin"));
    put(block, declared, &D::version, string("1.2.3-rc.1+build.5"));
    put(block, declared, &D::description, string("built from fuzz input"));
    size_t count = 0;
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0:
        count = 0;
        break;
      case 1:  // past the validator's limit: refused before the array is read
        count = in_.ConsumeBool() ? 4097 : SIZE_MAX;
        break;
      case 2:
        count = in_.ConsumeIntegralInRange<size_t>(9, 4096);
        break;
      default:
        count = in_.ConsumeIntegralInRange<size_t>(1, 8);
    }
    const epp_type_descriptor** types = nullptr;
    if (in_.ConsumeIntegralInRange(0, 15) != 0) {
      size_t slots = count == 0 || count > 4096 ? 1 : count;
      types = reinterpret_cast<const epp_type_descriptor**>(
          arena_.bytes(slots * sizeof(epp_type_descriptor*)));
      for (size_t i = 0; i < slots; ++i) types[i] = i < 8 ? type(i) : types[i % 8];
    }
    put(block, declared, &D::types, static_cast<const epp_type_descriptor* const*>(types));
    put(block, declared, &D::types_count, count);
    return reinterpret_cast<const D*>(block);
  }

 private:
  FuzzedDataProvider& in_;
  Arena arena_;
};

// The normalised copy holds exactly the covered fields, the rest zeroed.
void checkNormalized(const epp_type_descriptor* raw) {
  using T = epp_type_descriptor;
  epp::loader::NormalizedType normalized(raw);
  const T& copy = normalized.descriptor();
  FUZZ_CHECK(copy.kinds == raw->kinds && copy.type_name == raw->type_name);
  FUZZ_CHECK(copy.create == raw->create && copy.destroy == raw->destroy);
  FUZZ_CHECK((copy.filter != nullptr) == (epp::loader::fieldOr(raw, &T::filter) != nullptr));
  FUZZ_CHECK((copy.state_handover != nullptr) ==
             (epp::loader::fieldOr(raw, &T::state_handover) != nullptr));
  if (copy.scorer != nullptr) FUZZ_CHECK(copy.scorer->score != nullptr);
  if (copy.backend_adapter != nullptr) {
    FUZZ_CHECK(copy.backend_adapter->parse_metrics == raw->backend_adapter->parse_metrics);
  }
  for (const std::string& hook : epp::loader::optionalHooks(copy)) FUZZ_CHECK(!hook.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  uint32_t packed =
      in.ConsumeIntegralInRange(0, 7) == 0
          ? in.ConsumeIntegral<uint32_t>()
          : EPP_ABI_PACK(EPP_ABI_MAJOR, in.ConsumeIntegralInRange(0, EPP_ABI_MINOR + 1));
  epp::loader::HostAbi host;
  if (in.ConsumeIntegralInRange(0, 15) == 0) {
    host.major = in.ConsumeIntegralInRange<uint16_t>(0, 3);
    host.minor = in.ConsumeIntegralInRange<uint16_t>(0, 5);
  }
  Builder builder(in);
  const epp_plugin_descriptor* descriptor = builder.descriptor(packed);

  epp::common::Status abi = epp::loader::checkAbi(packed, host);
  epp::common::Status valid = epp::loader::validateDescriptor(descriptor, packed, host);
  if (!valid) {
    FUZZ_CHECK(!valid.error().empty(), "an empty error");
    for (char c : valid.error()) {
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "not one printable line: %s",
                 valid.error().c_str());
    }
    return 0;
  }
  FUZZ_CHECK(abi.ok(), "a descriptor accepted for an ABI checkAbi refuses");
  FUZZ_CHECK(descriptor != nullptr && descriptor->name != nullptr && descriptor->types_count > 0);
  FUZZ_CHECK(epp::loader::isSemver(descriptor->version));
  epp_plugin_descriptor copy = epp::loader::normalizeDescriptor(descriptor);
  FUZZ_CHECK(copy.types == descriptor->types && copy.types_count == descriptor->types_count);
  for (size_t i = 0; i < descriptor->types_count; ++i) {
    const epp_type_descriptor* type = descriptor->types[i];
    FUZZ_CHECK(epp::loader::isKebabCase(type->type_name), "%s", type->type_name);
    checkNormalized(type);
  }
  return 0;
}
