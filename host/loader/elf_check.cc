#include "host/loader/elf_check.h"

#include <elf.h>
#include <fmt/format.h>

#include <cstring>

namespace epp::loader {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#else
#error "add this CPU's ELF machine number"
#endif

const char* elfTypeName(uint16_t type) {
  switch (type) {
    case ET_REL:
      return "an object file (.o)";
    case ET_EXEC:
      return "an executable";
    case ET_CORE:
      return "a core dump";
    default:
      return "an ELF file of unknown type";
  }
}

}  // namespace

common::Status checkElfSharedObject(std::span<const std::byte> bytes) {
  using common::Error;
  if (bytes.empty()) return Error{"not a shared object (empty file)"};
  Elf64_Ehdr header;
  if (bytes.size() < sizeof(header) || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return Error{"not a shared object (no ELF header)"};
  }
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.e_ident[EI_CLASS] != ELFCLASS64) {
    return Error{"not a shared object for this machine (32-bit ELF)"};
  }
  if (header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return Error{"not a shared object for this machine (big-endian ELF)"};
  }
  if (header.e_type != ET_DYN) {
    return Error{fmt::format("not a shared object ({})", elfTypeName(header.e_type))};
  }
  if (header.e_machine != kHostMachine) {
    return Error{
        fmt::format("shared object built for another CPU (ELF machine {})", header.e_machine)};
  }
  return {};
}

}  // namespace epp::loader
