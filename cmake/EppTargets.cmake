# Helpers that give every eppd target the same shape:
#   epp_add_library(NAME SOURCES ... [DEPS ...] [PUBLIC_DEPS ...])   static library epp::NAME
#   epp_add_plugin(KIND NAME SOURCES ... [DEPS ...])                  plugin .so, installed
#   epp_add_test(NAME SOURCES ... [DEPS ...] [LABELS ...])            GoogleTest executable
include(GNUInstallDirs)
set(EPP_PLUGIN_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/eppd/plugins")
# Built-in plugins are collected here so the build tree works like an install prefix.
set(EPP_PLUGIN_BUILD_DIR "${PROJECT_BINARY_DIR}/lib/eppd/plugins")

function(epp_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(epp_${name} STATIC ${ARG_SOURCES})
  add_library(epp::${name} ALIAS epp_${name})
  target_include_directories(epp_${name} PUBLIC "${PROJECT_SOURCE_DIR}")
  target_compile_options(epp_${name} PRIVATE ${EPP_WARNINGS})
  target_link_libraries(epp_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
endfunction()

include("${PROJECT_SOURCE_DIR}/sdk/cmake/eppsdk_plugin.cmake")

function(epp_add_plugin kind name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  string(REPLACE "-" "_" cname "${name}")
  set(target epp_${kind}_${cname})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE eppsdk::sdk ${ARG_DEPS})
  target_compile_options(${target} PRIVATE ${EPP_WARNINGS})
  eppsdk_plugin_options(${target})
  set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${EPP_PLUGIN_BUILD_DIR}")
  install(TARGETS ${target} LIBRARY DESTINATION "${EPP_PLUGIN_INSTALL_DIR}")
  set_property(GLOBAL APPEND PROPERTY EPP_BUILTIN_PLUGINS ${target})
endfunction()

function(epp_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${EPP_WARNINGS})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
