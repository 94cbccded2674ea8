// File: host/cli/app.h
//
// eppd's command line: `eppd <command> [options]`.
#pragma once

namespace epp::cli {

// Parses the arguments, runs the command and returns the process exit code.
int run(int argc, char** argv);

}  // namespace epp::cli
