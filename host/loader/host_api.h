// File: host/loader/host_api.h
//
// eppd's epp_host_api table: the callbacks every plugin receives at its entry point. One
// static table for the process; it never changes, so plugins may keep the pointer.
// Every callback is noexcept, checks its handles and catches everything: a host bug or a
// plugin passing garbage becomes an error status and a log line, never an exception
// crossing the C boundary.
#pragma once

#include <string>

#include "epp/abi.h"

namespace epp::loader {

const epp_host_api* hostApi();

// Names the library whose entry point or shutdown runs on this thread, so log lines a
// plugin writes without an instance (there is none yet) still say who wrote them.
class ScopedLibraryLogContext {
 public:
  explicit ScopedLibraryLogContext(const std::string& library);
  ~ScopedLibraryLogContext();
  ScopedLibraryLogContext(const ScopedLibraryLogContext&) = delete;
  ScopedLibraryLogContext& operator=(const ScopedLibraryLogContext&) = delete;

 private:
  const std::string* previous_;
};

}  // namespace epp::loader
