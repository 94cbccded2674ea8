// File: host/datalayer/kv_events/kv_event_decoder.cc
#include "host/datalayer/kv_events/kv_event_decoder.h"

#include <msgpack.hpp>

#include <cctype>
#include <string_view>

namespace epp::datalayer {
namespace {

using msgpack::object;
namespace mt = msgpack::type;

// Bounds for what one payload may make the unpacker allocate: a model server is trusted
// to publish events, not to be bug-free. A batch of 16 events of a few hundred blocks
// each is far inside these.
msgpack::unpack_limit payloadLimits() {
  return msgpack::unpack_limit(/*array=*/1u << 22, /*map=*/1u << 16, /*str=*/1u << 20,
                               /*bin=*/1u << 20, /*ext=*/1u << 10, /*depth=*/16);
}

// Why an event was skipped; empty when it decoded.
using Reason = std::string;

bool readHash(const object& o, uint64_t& out) {
  switch (o.type) {
    case mt::POSITIVE_INTEGER:
      out = o.via.u64;
      return true;
    case mt::NEGATIVE_INTEGER:
      out = static_cast<uint64_t>(o.via.i64);
      return true;
    case mt::BIN:
    case mt::STR: {
      const char* p = o.type == mt::BIN ? o.via.bin.ptr : o.via.str.ptr;
      uint32_t n = o.type == mt::BIN ? o.via.bin.size : o.via.str.size;
      if (n == 0) return false;
      out = 0;
      for (uint32_t i = n > 8 ? n - 8 : 0; i < n; ++i) {
        out = (out << 8) | static_cast<unsigned char>(p[i]);
      }
      return true;
    }
    default:
      return false;
  }
}

Reason readHashes(const object& o, std::vector<uint64_t>& out) {
  if (o.type != mt::ARRAY) return "block_hashes is not an array";
  out.resize(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    if (!readHash(o.via.array.ptr[i], out[i])) return "a block hash is not an integer or bytes";
  }
  return {};
}

bool readInt(const object& o, int64_t& out) {
  if (o.type == mt::POSITIVE_INTEGER && o.via.u64 <= static_cast<uint64_t>(INT64_MAX)) {
    out = static_cast<int64_t>(o.via.u64);
    return true;
  }
  if (o.type == mt::NEGATIVE_INTEGER) {
    out = o.via.i64;
    return true;
  }
  return false;
}

Reason readMedium(const object* o, epp_kv_medium& out) {
  if (o == nullptr || o->type == mt::NIL) {
    out = EPP_KV_MEDIUM_GPU;
    return {};
  }
  if (o->type != mt::STR) return "medium is not a string";
  out = kvMediumFromName(std::string_view(o->via.str.ptr, o->via.str.size));
  return {};
}

Reason decodeStored(const object* f, uint32_t n, KvEvent& ev) {
  // f[0] is the tag; block_hashes, parent, token_ids and block_size are required.
  if (n < 5) return "BlockStored has " + std::to_string(n) + " fields, needs at least 5";
  ev.type = EPP_KV_BLOCK_STORED;
  if (Reason r = readHashes(f[1], ev.blockHashes); !r.empty()) return r;
  if (f[2].type != mt::NIL) {
    if (!readHash(f[2], ev.parentHash)) return "parent_block_hash is not a hash";
    ev.hasParent = true;
  }
  if (f[3].type != mt::ARRAY) return "token_ids is not an array";
  ev.tokenIds.resize(f[3].via.array.size);
  for (uint32_t i = 0; i < f[3].via.array.size; ++i) {
    const object& t = f[3].via.array.ptr[i];
    if (t.type != mt::POSITIVE_INTEGER || t.via.u64 > UINT32_MAX) {
      return "a token id is not a 32-bit unsigned integer";
    }
    ev.tokenIds[i] = static_cast<uint32_t>(t.via.u64);
  }
  int64_t blockSize = 0;
  if (!readInt(f[4], blockSize) || blockSize <= 0 || blockSize > (1 << 20)) {
    return "block_size is not a positive integer";
  }
  ev.blockSize = static_cast<int32_t>(blockSize);
  if (n > 5 && f[5].type != mt::NIL && !readInt(f[5], ev.loraId))
    return "lora_id is not an integer";
  return readMedium(n > 6 ? &f[6] : nullptr, ev.medium);
}

Reason decodeRemoved(const object* f, uint32_t n, KvEvent& ev) {
  if (n < 2) return "BlockRemoved has no block_hashes";
  ev.type = EPP_KV_BLOCK_REMOVED;
  if (Reason r = readHashes(f[1], ev.blockHashes); !r.empty()) return r;
  return readMedium(n > 2 ? &f[2] : nullptr, ev.medium);
}

void skip(KvEventBatch& batch, bool unknown, std::string reason) {
  ++(unknown ? batch.unknownEvents : batch.malformedEvents);
  if (batch.firstSkipReason.empty()) batch.firstSkipReason = std::move(reason);
}

}  // namespace

epp_kv_medium kvMediumFromName(std::string_view name) {
  auto is = [&](std::string_view want) {
    if (name.size() != want.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(name[i])) != want[i]) return false;
    }
    return true;
  };
  if (is("GPU")) return EPP_KV_MEDIUM_GPU;
  if (is("CPU")) return EPP_KV_MEDIUM_CPU;
  return EPP_KV_MEDIUM_OTHER;
}

common::Result<KvEventBatch> decodeKvEventBatch(std::span<const char> payload) {
  msgpack::object_handle handle;
  try {
    std::size_t offset = 0;
    handle =
        msgpack::unpack(payload.data(), payload.size(), offset, nullptr, nullptr, payloadLimits());
    if (offset != payload.size()) {
      return common::Error{std::to_string(payload.size() - offset) +
                           " bytes after the event batch"};
    }
  } catch (const std::exception& e) {
    return common::Error{std::string("not a msgpack event batch: ") + e.what()};
  }
  const object& root = handle.get();
  if (root.type != mt::ARRAY || root.via.array.size < 2) {
    return common::Error{"event batch is not an array [timestamp, events, dp_rank?]"};
  }
  const object* top = root.via.array.ptr;
  KvEventBatch batch;
  if (top[0].type == mt::FLOAT64 || top[0].type == mt::FLOAT32) {
    batch.timestamp = top[0].via.f64;
  } else if (int64_t ts = 0; readInt(top[0], ts)) {
    batch.timestamp = static_cast<double>(ts);
  } else {
    return common::Error{"event batch timestamp is not a number"};
  }
  if (top[1].type != mt::ARRAY) return common::Error{"event batch events is not an array"};
  if (root.via.array.size > 2 && top[2].type != mt::NIL) {
    int64_t rank = 0;
    if (!readInt(top[2], rank) || rank < 0 || rank > INT32_MAX) {
      return common::Error{"event batch data_parallel_rank is not a non-negative integer"};
    }
    batch.dpRank = static_cast<int32_t>(rank);
  }
  const object& events = top[1];
  batch.events.reserve(events.via.array.size);
  for (uint32_t i = 0; i < events.via.array.size; ++i) {
    const object& e = events.via.array.ptr[i];
    if (e.type != mt::ARRAY || e.via.array.size == 0 || e.via.array.ptr[0].type != mt::STR) {
      skip(batch, false, "event " + std::to_string(i) + " is not a tagged array");
      continue;
    }
    const object* f = e.via.array.ptr;
    std::string_view tag(f[0].via.str.ptr, f[0].via.str.size);
    KvEvent ev;
    Reason reason;
    if (tag == "BlockStored") {
      reason = decodeStored(f, e.via.array.size, ev);
    } else if (tag == "BlockRemoved") {
      reason = decodeRemoved(f, e.via.array.size, ev);
    } else if (tag == "AllBlocksCleared") {
      ev.type = EPP_KV_ALL_CLEARED;
    } else {
      skip(batch, true, "unknown event tag '" + std::string(tag.substr(0, 64)) + "'");
      continue;
    }
    if (!reason.empty()) {
      skip(batch, false, std::string(tag) + ": " + reason);
      continue;
    }
    batch.events.push_back(std::move(ev));
  }
  return batch;
}

}  // namespace epp::datalayer
