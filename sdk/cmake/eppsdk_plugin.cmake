# Helpers for plugin authors (installed with the SDK).
#
# eppsdk_plugin_options(target): the flags an eppd plugin library needs.
#  - hidden visibility: only epp_plugin_abi and epp_plugin_entry are exported;
#  - --no-undefined: everything from eppd arrives through the host callback table;
#  - --exclude-libs,ALL: static libraries linked in do not leak symbols;
#  - -fno-gnu-unique (g++): STB_GNU_UNIQUE symbols would pin the library in memory
#    forever and defeat side-by-side versions and unloading.
function(eppsdk_plugin_options target)
  target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,--exclude-libs,ALL)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden
                                             CXX_VISIBILITY_PRESET hidden
                                             VISIBILITY_INLINES_HIDDEN ON
                                             POSITION_INDEPENDENT_CODE ON)
endfunction()

# eppsdk_add_plugin(target SOURCES file...): a MODULE library linked to eppsdk::sdk with
# eppsdk_plugin_options applied. Drop the resulting lib<target>.so into a plugin directory.
function(eppsdk_add_plugin target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE eppsdk::sdk)
  eppsdk_plugin_options(${target})
endfunction()
