// File: host/runtime/scrape_setup_builder.h
//
// The scraper's view of one config snapshot: `scraping:` timings, the reference's
// metrics-data-source (scheme, path, insecureSkipVerify) and core-metrics-extractor
// (engineLabelKey, defaultEngine) parameters, and one backend adapter per engine. An
// adapter the config lists (`- {type: vllm, parameters: {…}}`) is used as configured;
// every other adapter type the loaded libraries provide gets an instance with default
// parameters, so endpoints of any known engine are scraped without listing adapters.
#pragma once

#include <memory>

#include "host/common/result.h"
#include "host/datalayer/scrape_setup.h"
#include "host/loader/plugin_registry.h"
#include "host/runtime/config_snapshot.h"

namespace epp::runtime {

// Fails on settings eppd cannot honour (scheme https, for now).
common::Result<datalayer::ScrapeSetupPtr> buildScrapeSetup(const ConfigSnapshot& snapshot,
                                                           const loader::PluginRegistry& registry);

}  // namespace epp::runtime
