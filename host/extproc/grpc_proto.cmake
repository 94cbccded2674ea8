# gRPC and protobuf for eppd's ext_proc transport and its tests, and a helper that compiles
# .proto files into a library of their own: generated code is not ours to fix, so it is
# built without eppd's warning flags (and with -w).
# Included by every directory that links gRPC targets, because imported targets are scoped
# to the directory that finds them. (Candidates for cmake/EppDependencies.cmake.)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)

if(NOT COMMAND epp_add_grpc_proto_library)
  # epp_add_grpc_proto_library(NAME ROOT dir PROTOS rel/a.proto ...)
  # Static library epp::NAME with the message and service code of each proto; ROOT is
  # the import root the PROTOS are given relative to.
  function(epp_add_grpc_proto_library name)
    cmake_parse_arguments(ARG "" "ROOT" "PROTOS" ${ARGN})
    set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/${name}_gen")
    file(MAKE_DIRECTORY "${out_dir}")
    set(sources "")
    foreach(proto IN LISTS ARG_PROTOS)
      string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
      set(generated "${out_dir}/${stem}.pb.cc" "${out_dir}/${stem}.pb.h"
                    "${out_dir}/${stem}.grpc.pb.cc" "${out_dir}/${stem}.grpc.pb.h")
      add_custom_command(
        OUTPUT ${generated}
        COMMAND protobuf::protoc
                --proto_path=${ARG_ROOT}
                --cpp_out=${out_dir}
                --grpc_out=${out_dir}
                --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
                ${ARG_ROOT}/${proto}
        DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc gRPC::grpc_cpp_plugin
        COMMENT "protoc ${proto}"
        VERBATIM)
      list(APPEND sources "${out_dir}/${stem}.pb.cc" "${out_dir}/${stem}.grpc.pb.cc")
    endforeach()
    add_library(epp_${name} STATIC ${sources})
    add_library(epp::${name} ALIAS epp_${name})
    # Generated code: no eppd warnings, and none of its own either.
    target_compile_options(epp_${name} PRIVATE -w)
    target_include_directories(epp_${name} SYSTEM PUBLIC "${out_dir}")
    target_link_libraries(epp_${name} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  endfunction()
endif()
