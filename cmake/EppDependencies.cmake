# Third-party libraries, all from Debian 12 packages (see tools/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS filesystem system)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(CLI11 QUIET)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json REQUIRED)
if(EPP_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
find_package(simdjson REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
# KV-cache events: ZeroMQ (cppzmq over libzmq) and msgpack-cxx, header-only without Boost.
find_package(cppzmq REQUIRED)
# msgpack-cxx is header-only; its CMake package shares a name with the C library's, so the
# header is found directly. Built without Boost (MSGPACK_NO_BOOST) and on API v3.
find_path(MSGPACK_CXX_INCLUDE_DIR msgpack.hpp REQUIRED)
add_library(epp_msgpack_cxx INTERFACE)
add_library(epp::msgpack_cxx ALIAS epp_msgpack_cxx)
target_include_directories(epp_msgpack_cxx SYSTEM INTERFACE "${MSGPACK_CXX_INCLUDE_DIR}")
target_compile_definitions(epp_msgpack_cxx INTERFACE MSGPACK_NO_BOOST
                           MSGPACK_DEFAULT_API_VERSION=3)
