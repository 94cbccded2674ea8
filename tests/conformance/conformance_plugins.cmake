# Shared by the kind suites: the plugin libraries a conformance run loads.
#   epp_conformance_suite(KIND SOURCES ...)   GoogleTest binary conformance_<KIND>_test
# It loads, through eppd's loader, every library of the built-in plugin directory and the
# SDK's examples, built here the way a third party builds them (eppsdk_add_plugin) into a
# directory of their own: eppd scans its built-in directory by itself, and the examples must
# never turn up there.
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
endfunction()
