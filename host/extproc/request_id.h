// File: host/extproc/request_id.h
//
// x-request-id values for requests that arrive without one (the reference EPP generates
// them too): random UUID v4 strings, lower-case, 36 characters.
#pragma once

#include <string>

namespace epp::extproc {

// A fresh UUID v4 from a per-thread generator (no lock, no syscall after the first call on
// a thread).
std::string newRequestId();

}  // namespace epp::extproc
