#pragma once
#include <cstdint>
#include <string>
#include <vector>

// ELF64 executables for the RISC-V host: the PT_LOAD segments and the entry point.
namespace elstm {

struct ElfSegment {
    std::uint64_t addr = 0;            // p_paddr
    std::vector<std::uint8_t> bytes;   // p_filesz bytes from the file
    std::uint64_t mem_size = 0;        // p_memsz (the rest is zero: .bss)
};

struct ElfImage {
    std::uint64_t entry = 0;
    std::vector<ElfSegment> segments;
    std::uint64_t symbol(const std::string& name) const;  // 0 if absent
    std::vector<std::pair<std::string, std::uint64_t>> symbols;
};

// Throws elstm::Error starting with the path: missing or unreadable file, not ELF, not
// ELF64 little-endian, not EM_RISCV, not an executable, truncated headers or segments.
ElfImage load_elf(const std::string& path);
// The same from the file's bytes already in memory; `name` stands for the path in messages.
ElfImage load_elf_bytes(std::vector<std::uint8_t> bytes, const std::string& name);

}  // namespace elstm
