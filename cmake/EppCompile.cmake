# Language level, warnings, visibility and build speed for every eppd target.
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
# Only what is meant to be exported is: plugins export their entry symbols alone.
set(CMAKE_C_VISIBILITY_PRESET hidden)
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# CI builds everything once to run the tests: -O1 without debug information compiles in
# about 60 % of the time of -O2 -g (most of it is parsing gRPC, protobuf and Beast headers).
option(EPP_QUICK_BUILD
       "-O1 without debug information (test runs, CI); sanitized: line tables, ASan/UBSan at -O0"
       OFF)
if(EPP_QUICK_BUILD)
  # Sanitized, -g1: the line tables a report names file and line with. ASan and UBSan at -O0,
  # because optimising their instrumented code is what costs (gcc 12: -O1 compiles in 1.8x the
  # time of -O0, and the suite waits on sockets and timers, not on the CPU); TSan stays at -O1,
  # where it costs little more than the plain build and runs several times faster than at -O0.
  set(quick_flags "-O1 -g0")
  if(EPP_SANITIZE MATCHES "thread")
    set(quick_flags "-O1 -g1")
  elseif(EPP_SANITIZE)
    set(quick_flags "-O0 -g1")
  endif()
  foreach(lang C CXX)
    set(CMAKE_${lang}_FLAGS_RELWITHDEBINFO "${quick_flags}" CACHE STRING "" FORCE)
  endforeach()
endif()

find_program(EPP_CCACHE ccache)
if(EPP_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER "${EPP_CCACHE}")
  set(CMAKE_CXX_COMPILER_LAUNCHER "${EPP_CCACHE}")
endif()

# Warnings applied to eppd's own targets (not to generated protobuf code).
set(EPP_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
set(EPP_C_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
if(EPP_WERROR)
  list(APPEND EPP_WARNINGS -Werror)
  list(APPEND EPP_C_WARNINGS -Werror)
endif()

# Every object of the fuzz build carries coverage (fuzzer-no-link) and the sanitizers; the
# fuzz executables add libFuzzer's main when they link (tests/fuzz). -O1 with line tables:
# quick to build, fast enough to fuzz, and crash stacks still name file:line.
if(EPP_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "EPP_FUZZ needs clang: configure with CC=clang CXX=clang++")
  endif()
  foreach(lang C CXX)
    set(CMAKE_${lang}_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only" CACHE STRING "" FORCE)
  endforeach()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()

# Sanitized builds (docs/sanitizers.md): every finding stops the process, so a UBSan report
# fails its test instead of scrolling past in a log. The instrumentation changes inlining, and
# gcc 12's flow-based warnings then report false ones inside Boost.Asio (mismatched new/delete)
# and libstdc++'s regex (maybe uninitialized); the plain build keeps both warnings, and ASan
# itself checks that every delete matches its new.
if(EPP_SANITIZE)
  add_compile_options(-fsanitize=${EPP_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer
                      -Wno-mismatched-new-delete -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=${EPP_SANITIZE} -fno-sanitize-recover=all)
  # TSan does not model standalone fences; Boost.Asio puts one around each handler it runs,
  # next to the scheduler's mutex that TSan does see.
  if(EPP_SANITIZE MATCHES "thread")
    add_compile_options(-Wno-tsan)
  endif()
endif()
