// libFuzzer target: the ELF loader (elstm::load_elf_bytes, the body of load_elf) on arbitrary
// bytes. elstm::Error is the expected answer to a bad file; anything else is a finding. An image
// that loads must be what the loader promises: segments no larger than their memory size, none
// empty, and symbol() finding the first of each name.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <elstm_vp/core/elf_loader.hpp>
#include <elstm_vp/numeric/error.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const elstm::ElfImage elf = elstm::load_elf_bytes(std::vector<std::uint8_t>(data, data + size), "fuzz.elf");
        if (elf.segments.empty()) std::abort();
        for (const elstm::ElfSegment& s : elf.segments) {
            if (s.bytes.size() > s.mem_size || s.bytes.size() > size || s.mem_size == 0) {
                std::fprintf(stderr, "fuzz_elf: segment at 0x%llx has %zu file bytes for %llu in memory\n",
                             static_cast<unsigned long long>(s.addr), s.bytes.size(),
                             static_cast<unsigned long long>(s.mem_size));
                std::abort();
            }
        }
        for (const auto& [name, value] : elf.symbols) (void)elf.symbol(name);
        (void)elf.symbol("main");
    } catch (const elstm::Error&) {
    }
    return 0;
}
