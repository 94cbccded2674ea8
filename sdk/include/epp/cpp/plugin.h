// File: epp/cpp/plugin.h
//
// The header-only C++ layer of the eppd plugin SDK. Include this one header.
//
//   #include <epp/cpp/plugin.h>
//
//   class IdleScorer : public epp::cpp::Plugin, public epp::cpp::Scorer {
//    public:
//     explicit IdleScorer(const epp::cpp::CreateContext& ctx)
//         : Plugin(ctx), cap_(ctx.params().getInt("cap", 8, 1)) {}
//     void score(const epp::cpp::Request&, const epp::cpp::EndpointList& eps,
//                std::span<double> scores) override {
//       for (size_t i = 0; i < eps.size(); ++i)
//         scores[i] = eps[i].waitingRequests() >= cap_ ? 0.0 : 1.0;
//     }
//    private:
//     int64_t cap_;
//   };
//
//   EPP_PLUGIN("idle-scorer", "1.0.0", "Prefers idle endpoints",
//              EPP_TYPE(IdleScorer, "idle-scorer", "1 below the cap, 0 at or above"));
//
// core.h    errors, views of strings, host table, logging, time
// params.h  typed, strict parameter access (unknown keys are errors)
// views.h   Endpoint, EndpointList, Request, results, queue and flow views
// kinds.h   the kind interfaces, hook interfaces and the Plugin base
// export.h  trampolines (exceptions become status codes), EPP_TYPE, EPP_PLUGIN
#pragma once

#include "epp/cpp/core.h"
#include "epp/cpp/export.h"
#include "epp/cpp/kinds.h"
#include "epp/cpp/params.h"
#include "epp/cpp/views.h"
