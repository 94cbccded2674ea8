# Shared by the kind suites: the plugin libraries a conformance run loads.
#   epp_conformance_suite(KIND SOURCES ...)   GoogleTest binary conformance_<KIND>_test
# It loads, through eppd's loader, every library of the built-in plugin directory and the
# SDK's examples, built here the way a third party builds them (eppsdk_add_plugin; cargo for
# the Rust one) into a directory of their own: eppd scans its built-in directory by itself,
# and the examples must never turn up there.
#
# EPP_RUST_EXAMPLE_SO is the Rust example's library when cargo was found, else empty (tests
# that need it report themselves skipped). -DEPP_CARGO=OFF leaves it out on purpose.
set(EPP_CONFORMANCE_EXAMPLE_DIR "${PROJECT_BINARY_DIR}/tests/conformance/example-plugins")
if(NOT TARGET conformance_example_load_scorer)
  eppsdk_add_plugin(conformance_example_load_scorer
                    SOURCES "${PROJECT_SOURCE_DIR}/sdk/examples/c/load_scorer.c")
  eppsdk_add_plugin(conformance_example_label_match
                    SOURCES "${PROJECT_SOURCE_DIR}/sdk/examples/cpp/label_match_filter.cc")
  foreach(example conformance_example_load_scorer conformance_example_label_match)
    epp_target_warnings(${example})
    set_target_properties(${example} PROPERTIES LIBRARY_OUTPUT_DIRECTORY
                                                "${EPP_CONFORMANCE_EXAMPLE_DIR}")
  endforeach()
endif()

find_program(EPP_CARGO cargo DOC "cargo for the SDK's Rust example plugin (OFF: not built)")
set(EPP_RUST_EXAMPLE_SO "")
if(EPP_CARGO)
  set(EPP_RUST_EXAMPLE_SO "${EPP_CONFORMANCE_EXAMPLE_DIR}/libepp_example_rust.so")
  if(NOT TARGET conformance_example_rust_scorer)
    set(rust_src "${PROJECT_SOURCE_DIR}/sdk/examples/rust")
    set(rust_work "${PROJECT_BINARY_DIR}/sdk/examples/rust")
    # Built from a copy of the crate: cargo writes Cargo.lock beside the manifest, and the
    # source tree stays untouched. Offline (std only, nothing to fetch), one job and one
    # codegen unit: the build machine's -j2 budget is shared with Ninja's jobs.
    add_custom_command(
      OUTPUT "${EPP_RUST_EXAMPLE_SO}"
      COMMAND ${CMAKE_COMMAND} -E copy_directory "${rust_src}/src" "${rust_work}/crate/src"
      COMMAND ${CMAKE_COMMAND} -E copy "${rust_src}/Cargo.toml" "${rust_work}/crate/Cargo.toml"
      COMMAND ${CMAKE_COMMAND} -E env CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
              "${EPP_CARGO}" build --release --offline --quiet -j 1
              --manifest-path "${rust_work}/crate/Cargo.toml" --target-dir "${rust_work}/target"
      COMMAND ${CMAKE_COMMAND} -E copy "${rust_work}/target/release/libepp_example_rust.so"
              "${EPP_RUST_EXAMPLE_SO}"
      DEPENDS "${rust_src}/Cargo.toml" "${rust_src}/src/lib.rs" "${rust_src}/src/abi.rs"
      COMMENT "cargo build of the SDK's Rust example plugin (sdk/examples/rust)"
      VERBATIM)
    add_custom_target(conformance_example_rust_scorer ALL DEPENDS "${EPP_RUST_EXAMPLE_SO}")
  endif()
endif()

function(epp_conformance_suite kind)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  set(test conformance_${kind}_test)
  epp_add_test(${test} SOURCES ${ARG_SOURCES}
               DEPS epp::scheduling epp::loader epp::datalayer epp::config epp::common
               LABELS conformance)
  target_compile_definitions(${test} PRIVATE
                             EPP_BUILTIN_PLUGIN_DIR="${EPP_PLUGIN_BUILD_DIR}"
                             EPP_EXAMPLE_PLUGIN_DIR="${EPP_CONFORMANCE_EXAMPLE_DIR}")
  get_property(builtin_plugins GLOBAL PROPERTY EPP_BUILTIN_PLUGINS)
  add_dependencies(${test} ${builtin_plugins} conformance_example_load_scorer
                   conformance_example_label_match)
  if(TARGET conformance_example_rust_scorer)
    add_dependencies(${test} conformance_example_rust_scorer)
    target_compile_definitions(${test} PRIVATE EPP_RUST_EXAMPLE=1)
  endif()
endfunction()
