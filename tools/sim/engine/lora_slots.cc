#include "tools/sim/engine/lora_slots.h"

#include <algorithm>

namespace epp::sim {

const LoraSlots::Slot* LoraSlots::find(std::string_view name) const {
  for (const Slot& s : slots_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool LoraSlots::admissible(std::string_view name) const {
  if (find(name) != nullptr) return true;
  if (static_cast<int32_t>(slots_.size()) < max_) return true;
  return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.running == 0; });
}

bool LoraSlots::acquire(std::string_view name, uint64_t tick) {
  for (Slot& s : slots_) {
    if (s.name == name) {
      ++s.running;
      s.lastUse = tick;
      return false;
    }
  }
  if (static_cast<int32_t>(slots_.size()) >= max_) {
    // Evict the least recently used idle adapter; admissible() promised one exists.
    auto victim = slots_.end();
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (it->running == 0 && (victim == slots_.end() || it->lastUse < victim->lastUse)) {
        victim = it;
      }
    }
    slots_.erase(victim);
  }
  slots_.push_back(Slot{std::string(name), 1, tick});
  return true;
}

void LoraSlots::release(std::string_view name) {
  for (Slot& s : slots_) {
    if (s.name == name && s.running > 0) {
      --s.running;
      return;
    }
  }
}

std::vector<std::string> LoraSlots::running() const {
  std::vector<std::string> out;
  for (const Slot& s : slots_) {
    if (s.running > 0) out.push_back(s.name);
  }
  return out;
}

std::vector<std::string> LoraSlots::resident() const {
  std::vector<std::string> out;
  for (const Slot& s : slots_) out.push_back(s.name);
  return out;
}

void LoraSlots::unloadIdle() {
  std::erase_if(slots_, [](const Slot& s) { return s.running == 0; });
}

}  // namespace epp::sim
