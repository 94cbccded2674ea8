// eppd: process wiring only; commands live in host/cli.
#include "host/cli/app.h"

int main(int argc, char** argv) { return epp::cli::run(argc, argv); }
