// File: tools/sim/engine/lora_slots.h
//
// The LoRA adapters resident on the simulated GPU: at most maxLoras at once. A request
// for a resident adapter runs at once; one for another adapter takes a free slot, or
// evicts the least recently used adapter that no running request uses, and pays the load
// time; if every slot is busy it waits (vLLM's "deferred").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace epp::sim {

class LoraSlots {
 public:
  explicit LoraSlots(int32_t maxLoras) : max_(maxLoras) {}

  int32_t maxLoras() const { return max_; }
  // Whether a request for `name` could run now (resident, or a slot can be had).
  bool admissible(std::string_view name) const;
  // Marks one more running request of `name`; returns true when this loaded the adapter
  // (the caller charges the load time). Requires admissible(name).
  bool acquire(std::string_view name, uint64_t tick);
  void release(std::string_view name);
  // Adapters with running requests, in load order.
  std::vector<std::string> running() const;
  // Resident adapters, in load order.
  std::vector<std::string> resident() const;
  // Unloads every adapter no running request uses.
  void unloadIdle();

 private:
  struct Slot {
    std::string name;
    int32_t running = 0;
    uint64_t lastUse = 0;
  };
  const Slot* find(std::string_view name) const;

  int32_t max_;
  std::vector<Slot> slots_;
};

}  // namespace epp::sim
