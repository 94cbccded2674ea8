// File: host/loader/sized_struct.h
//
// Reading size-prefixed structs that came from a plugin. A plugin built against an older
// minor passes smaller structs (its `struct_size`); the fields beyond it are not part of
// its object at all, so the host must never read them, not even to copy the struct.
// Every host read of a plugin-provided struct goes through these helpers (or through the
// normalised copies made with them in type_tables.h).
//
//   auto* score = fieldOr(table, &epp_scorer_v1::score);   // nullptr when not covered
#pragma once

#include <cstddef>
#include <cstdint>

namespace epp::loader {

// Offset of `member` within S, computed without an object (offsetof cannot take a
// pointer to member).
template <typename S, typename F>
size_t fieldOffset(F S::*member) {
  static const S kProbe{};
  return static_cast<size_t>(reinterpret_cast<const unsigned char*>(&(kProbe.*member)) -
                             reinterpret_cast<const unsigned char*>(&kProbe));
}

// Bytes of S a struct must declare to contain `member` entirely.
template <typename S, typename F>
size_t fieldEnd(F S::*member) {
  return fieldOffset(member) + sizeof(F);
}

// True when `object` declares a struct_size that covers `member` entirely; a field only
// partly covered counts as absent too.
template <typename S, typename F>
bool hasField(const S* object, F S::*member) {
  return object != nullptr && object->struct_size >= fieldEnd(member);
}

// The field's value, or `absent` when the struct does not cover it.
template <typename S, typename F>
F fieldOr(const S* object, F S::*member, F absent = F{}) {
  return hasField(object, member) ? object->*member : absent;
}

}  // namespace epp::loader
