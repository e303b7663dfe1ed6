#include <elstm_vp/platform/builtin_firmware.hpp>

#include <cstddef>

// The ELF files' bytes, generated at build time (platform/CMakeLists.txt).
namespace elstm::embedded {
extern const std::uint8_t elstm_elf[];
extern const std::size_t elstm_elf_size;
extern const std::uint8_t lstm_cpu_elf[];
extern const std::size_t lstm_cpu_elf_size;
extern const std::uint8_t classify_elf[];
extern const std::size_t classify_elf_size;
}  // namespace elstm::embedded

namespace elstm {

std::vector<std::uint8_t> builtin_firmware(const std::string& name) {
    if (name == "elstm") return {embedded::elstm_elf, embedded::elstm_elf + embedded::elstm_elf_size};
    if (name == "lstm_cpu") return {embedded::lstm_cpu_elf, embedded::lstm_cpu_elf + embedded::lstm_cpu_elf_size};
    if (name == "classify") return {embedded::classify_elf, embedded::classify_elf + embedded::classify_elf_size};
    return {};
}

}  // namespace elstm
