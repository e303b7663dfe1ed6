#include <elstm_vp/core/elf_loader.hpp>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {
namespace {

// The firmware's region of the platform's memory map (firmware/elstm.ld).
constexpr std::uint64_t kRegionBegin = 0x80000000, kRegionEnd = 0x80100000;

std::string firmware(const std::string& name) { return std::string(ELSTM_FIRMWARE_DIR) + "/" + name; }

std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A scratch file per test process, so parallel test runs do not share it.
std::string write_copy(const std::vector<std::uint8_t>& bytes) {
    const std::string path = testing::TempDir() + "elf_test_" + std::to_string(getpid()) + ".elf";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
}

std::uint64_t get(const std::vector<std::uint8_t>& b, std::size_t at, unsigned len) {
    std::uint64_t v = 0;
    for (unsigned i = len; i-- > 0;) v = v << 8 | b[at + i];
    return v;
}

void put(std::vector<std::uint8_t>& b, std::size_t at, unsigned len, std::uint64_t v) {
    for (unsigned i = 0; i < len; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Offset of the program header of the first PT_LOAD segment.
std::size_t first_load_header(const std::vector<std::uint8_t>& b) {
    for (std::size_t i = 0; i < get(b, 56, 2); ++i) {
        const std::size_t ph = get(b, 32, 8) + i * get(b, 54, 2);
        if (get(b, ph, 4) == 1) return ph;
    }
    ADD_FAILURE() << "no PT_LOAD";
    return 0;
}

// What binutils says about an ELF: `readelf -hlsW`, written next to it by the firmware build.
struct ReadelfFacts {
    std::uint64_t entry = 0;
    std::vector<std::array<std::uint64_t, 4>> loads;  // offset, paddr, filesz, memsz
    std::map<std::string, std::uint64_t> globals;     // GLOBAL and WEAK symbols
    std::size_t named_symbols = 0;                    // excluding SECTION and FILE symbols
};

ReadelfFacts readelf_facts(const std::string& path) {
    std::ifstream in(path + ".readelf");
    EXPECT_TRUE(in) << "missing " << path << ".readelf";
    ReadelfFacts facts;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::vector<std::string> t{std::istream_iterator<std::string>(s), std::istream_iterator<std::string>()};
        if (line.find("Entry point address:") != std::string::npos) {
            facts.entry = std::stoull(t.back(), nullptr, 16);
        } else if (!t.empty() && t[0] == "LOAD") {
            facts.loads.push_back({std::stoull(t[1], nullptr, 16), std::stoull(t[3], nullptr, 16),
                                   std::stoull(t[4], nullptr, 16), std::stoull(t[5], nullptr, 16)});
        } else if (t.size() == 8 && std::isdigit(static_cast<unsigned char>(t[0][0])) && t[3] != "SECTION" &&
                   t[3] != "FILE") {  // a named symbol: Num: Value Size Type Bind Vis Ndx Name
            ++facts.named_symbols;
            if (t[4] == "GLOBAL" || t[4] == "WEAK") facts.globals[t[7]] = std::stoull(t[1], nullptr, 16);
        }
    }
    return facts;
}

class FirmwareElf : public testing::TestWithParam<const char*> {};

TEST_P(FirmwareElf, MatchesReadelf) {
    const std::string path = firmware(GetParam());
    const ElfImage elf = load_elf(path);
    const ReadelfFacts facts = readelf_facts(path);
    const std::vector<std::uint8_t> file = read_bytes(path);

    EXPECT_EQ(elf.entry, facts.entry);
    ASSERT_EQ(elf.segments.size(), facts.loads.size());
    for (std::size_t i = 0; i < facts.loads.size(); ++i) {
        const auto& [offset, paddr, filesz, memsz] = facts.loads[i];
        const ElfSegment& s = elf.segments[i];
        EXPECT_EQ(s.addr, paddr) << "segment " << i;
        EXPECT_EQ(s.mem_size, memsz) << "segment " << i;
        ASSERT_EQ(s.bytes.size(), filesz) << "segment " << i;
        EXPECT_TRUE(std::equal(s.bytes.begin(), s.bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(offset)))
            << "segment " << i;
    }
    EXPECT_EQ(elf.symbols.size(), facts.named_symbols);
    ASSERT_FALSE(facts.globals.empty());
    for (const auto& [name, value] : facts.globals) EXPECT_EQ(elf.symbol(name), value) << name;
}

TEST_P(FirmwareElf, FitsTheFirmwareRegion) {
    const ElfImage elf = load_elf(firmware(GetParam()));
    EXPECT_EQ(elf.entry, elf.symbol("_start"));
    EXPECT_EQ(elf.symbol("__stack_top"), kRegionEnd);
    EXPECT_EQ(elf.symbol("no_such_symbol"), 0u);
    bool entry_loaded = false;
    for (const ElfSegment& s : elf.segments) {
        EXPECT_GE(s.addr, kRegionBegin);
        EXPECT_LE(s.addr + s.mem_size, kRegionEnd);
        EXPECT_LE(s.bytes.size(), s.mem_size);
        entry_loaded = entry_loaded || (elf.entry >= s.addr && elf.entry < s.addr + s.bytes.size());
    }
    EXPECT_TRUE(entry_loaded) << "the entry point lies in no segment's file bytes";
}

std::string program_name(const testing::TestParamInfo<const char*>& info) {
    const std::string file = info.param;
    return file.substr(0, file.find('.'));
}

INSTANTIATE_TEST_SUITE_P(Firmware, FirmwareElf, testing::Values("elstm.elf", "lstm_cpu.elf", "classify.elf"),
                         program_name);

// The loaded bytes at `addr`, from whichever segment holds them.
std::uint32_t fetch(const ElfImage& elf, std::uint64_t addr, unsigned len) {
    for (const ElfSegment& s : elf.segments) {
        if (addr >= s.addr && addr + len <= s.addr + s.bytes.size()) return get(s.bytes, addr - s.addr, len);
    }
    ADD_FAILURE() << "nothing loaded at 0x" << std::hex << addr;
    return 0;
}

// elstm.elf's main issues the six RoCC commands of docs/design.md §3: custom-0 (opcode 0x0B),
// funct7 0..4 with funct3 3 (xs1, xs2) and rd x0, then funct7 5 with funct3 7 and a real rd.
TEST(FirmwareElf, HostProgramIssuesTheRoccCommands) {
    const ElfImage elf = load_elf(firmware("elstm.elf"));
    const std::uint64_t end = elf.symbol("__text_end");
    ASSERT_LT(elf.symbol("main"), end);
    std::map<unsigned, std::set<unsigned>> funct3_of;
    for (std::uint64_t pc = elf.symbol("main"); pc < end;) {
        const std::uint32_t low = fetch(elf, pc, 2);
        if ((low & 3) != 3) {  // compressed
            pc += 2;
            continue;
        }
        const std::uint32_t insn = fetch(elf, pc, 4);
        pc += 4;
        if ((insn & 0x7F) != 0x0B) continue;
        const unsigned funct7 = insn >> 25, funct3 = (insn >> 12) & 7, rd = (insn >> 7) & 31;
        funct3_of[funct7].insert(funct3);
        EXPECT_EQ(rd == 0, funct3 == 3) << "funct7 " << funct7;
    }
    const std::set<unsigned> xs = {3}, xd = {7};
    ASSERT_EQ(funct3_of.size(), 8u);  // commands 0-5, and 7 and 8 (delta thresholds, weight scales)
    for (unsigned f : {0u, 1u, 2u, 3u, 4u, 7u, 8u}) EXPECT_EQ(funct3_of[f], xs) << "funct7 " << f;
    EXPECT_EQ(funct3_of[5], xd);
}

// ---- malformed files: each a hand-corrupted copy of the real ELF ----

class CorruptElf : public testing::Test {
protected:
    std::vector<std::uint8_t> bytes = read_bytes(firmware("elstm.elf"));

    // load_elf on the corrupted bytes must throw an Error starting with the path and saying `what`.
    void expect_error(const std::string& what) {
        const std::string path = write_copy(bytes);
        try {
            load_elf(path);
            ADD_FAILURE() << "no error; expected one saying \"" << what << "\"";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
            EXPECT_NE(msg.find(what), std::string::npos) << msg;
        }
        std::remove(path.c_str());
    }
};

TEST_F(CorruptElf, MissingFile) {
    const std::string path = testing::TempDir() + "elf_test_does_not_exist.elf";
    try {
        load_elf(path);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), path + ": cannot open: No such file or directory");
    }
}

// Only a regular file is read: a FIFO is refused without waiting for a writer, /dev/zero
// (which never ends) and a directory are refused.
TEST_F(CorruptElf, SpecialFiles) {
    const std::string fifo = testing::TempDir() + "elf_test_fifo_" + std::to_string(::getpid());
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::pair<std::string, std::string> cases[] = {
        {fifo, fifo + ": is a FIFO, not a regular file"},
        {"/dev/zero", "/dev/zero: is a character device, not a regular file"},
        {"/", "/: is a directory, not a regular file"}};
    for (const auto& [path, message] : cases) {
        try {
            load_elf(path);
            ADD_FAILURE() << "no error for " << path;
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()), message);
        }
    }
    std::remove(fifo.c_str());
}

TEST_F(CorruptElf, TooShortForAHeader) {
    bytes.resize(40);
    expect_error("too short for an ELF header");
}

TEST_F(CorruptElf, BadMagic) {
    bytes[1] = 'X';
    expect_error("not an ELF file (bad magic)");
}

TEST_F(CorruptElf, Class32) {
    bytes[4] = 1;
    expect_error("ELFCLASS32");
}

TEST_F(CorruptElf, BigEndian) {
    bytes[5] = 2;
    expect_error("big-endian");
}

TEST_F(CorruptElf, WrongMachine) {
    put(bytes, 18, 2, 62);
    expect_error("machine 62 (x86-64); expected 243 (RISC-V)");
}

TEST_F(CorruptElf, NotAnExecutable) {
    put(bytes, 16, 2, 3);
    expect_error("not an executable: e_type 3");
}

TEST_F(CorruptElf, ProgramHeaderTablePastTheEnd) {
    put(bytes, 32, 8, bytes.size() - 8);
    expect_error("program header table");
    put(bytes, 32, 8, ~0ull - 8);  // offset + size would wrap
    expect_error("lies outside the file");
}

TEST_F(CorruptElf, SectionHeaderTablePastTheEnd) {
    put(bytes, 40, 8, bytes.size());
    expect_error("section header table");
}

TEST_F(CorruptElf, FileSizeAboveMemorySize) {
    const std::size_t ph = first_load_header(bytes);
    put(bytes, ph + 32, 8, get(bytes, ph + 40, 8) + 1);
    expect_error("p_filesz");
}

TEST_F(CorruptElf, SegmentBytesPastTheEnd) {
    const std::size_t ph = first_load_header(bytes);
    put(bytes, ph + 8, 8, bytes.size() - 4);  // p_offset: the segment's bytes start 4 before the end
    expect_error("run past the end of the file");
}

TEST_F(CorruptElf, TruncatedInsideASegment) {
    bytes.resize(get(bytes, first_load_header(bytes) + 8, 8) + 16);
    expect_error("run past the end of the file");
}

// An empty PT_LOAD (picolibc's startup leaves one at 0) occupies no memory: it is skipped.
TEST_F(CorruptElf, EmptySegmentIsSkipped) {
    const std::size_t loads = load_elf(firmware("elstm.elf")).segments.size();
    std::size_t ph = 0;
    for (std::size_t i = 0; i < get(bytes, 56, 2) && !ph; ++i) {
        const std::size_t at = get(bytes, 32, 8) + i * get(bytes, 54, 2);
        if (get(bytes, at, 4) != 1) ph = at;
    }
    ASSERT_NE(ph, 0u) << "no program header other than PT_LOAD to turn into an empty one";
    put(bytes, ph, 4, 1);
    for (unsigned field = 8; field <= 40; field += 8) put(bytes, ph + field, 8, 0);  // offset, addresses, sizes
    const std::string path = write_copy(bytes);
    const ElfImage elf = load_elf(path);
    std::remove(path.c_str());
    EXPECT_EQ(elf.segments.size(), loads);
    for (const ElfSegment& s : elf.segments) EXPECT_NE(s.mem_size, 0u) << "segment at " << s.addr;
}

// Random damage to the headers and tables: load_elf returns or throws Error, and never reads
// outside the file (run under AddressSanitizer by the CI).
TEST_F(CorruptElf, RandomDamageNeverCrashes) {
    const std::vector<std::uint8_t> original = bytes;
    const std::size_t shoff = get(original, 40, 8);
    const std::size_t phend = get(original, 32, 8) + get(original, 56, 2) * get(original, 54, 2);
    std::mt19937_64 rng(12345);
    const std::uint64_t interesting[] = {0, 1, 0x7F, 0xFFFF, original.size(), original.size() - 1, ~0ull, 1ull << 63};
    std::string path;
    for (int round = 0; round < 400; ++round) {
        bytes = original;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
            // Mostly the ELF and program headers, else the section headers at the end.
            const std::size_t at = rng() % 2 ? rng() % phend : shoff + rng() % (original.size() - shoff - 8);
            put(bytes, at, 8, rng() % 2 ? interesting[rng() % std::size(interesting)] : rng());
        }
        if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
        path = write_copy(bytes);
        try {
            load_elf(path);
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
        }
    }
    std::remove(path.c_str());
}

}  // namespace
}  // namespace elstm
