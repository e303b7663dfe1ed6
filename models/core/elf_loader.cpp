#include <elstm_vp/core/elf_loader.hpp>

#include <cstring>
#include <sstream>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/hex.hpp>
#include <elstm_vp/numeric/regular_file.hpp>

namespace elstm {

namespace {

// ELF64 constants and layouts (System V gABI): only what an executable loader reads.
constexpr unsigned char kMagic[4] = {0x7F, 'E', 'L', 'F'};
constexpr unsigned kClass64 = 2, kData2Lsb = 1, kData2Msb = 2;
constexpr std::uint16_t kEtExec = 2, kEmRiscv = 243;
constexpr std::uint32_t kPtLoad = 1, kShtSymtab = 2;
constexpr std::uint8_t kSttSection = 3, kSttFile = 4, kStbLocal = 0;
constexpr std::uint64_t kEhdrSize = 64, kPhdrSize = 56, kShdrSize = 64, kSymSize = 24;

const char* machine_name(std::uint16_t m) {
    switch (m) {
        case 3: return "x86";
        case 8: return "MIPS";
        case 40: return "ARM";
        case 62: return "x86-64";
        case 183: return "AArch64";
        case kEmRiscv: return "RISC-V";
        default: return "unknown";
    }
}

const char* type_name(std::uint16_t t) {
    switch (t) {
        case 0: return "ET_NONE";
        case 1: return "ET_REL, an object file";
        case 3: return "ET_DYN, a shared object or PIE";
        case 4: return "ET_CORE, a core dump";
        default: return "unknown";
    }
}

// The file's bytes with bounds-checked little-endian reads: every offset and size comes from
// the file itself, so nothing is read before it has been checked against the buffer.
class Image {
public:
    Image(std::string path, std::vector<std::uint8_t> bytes) : path_(std::move(path)), bytes_(std::move(bytes)) {}

    [[noreturn]] void fail(const std::string& what) const { throw Error(path_ + ": " + what); }

    std::uint64_t size() const { return bytes_.size(); }
    bool contains(std::uint64_t offset, std::uint64_t len) const {
        return offset <= bytes_.size() && len <= bytes_.size() - offset;
    }
    // A little-endian unsigned of `len` bytes at `offset`; the caller checked the range.
    std::uint64_t get(std::uint64_t offset, unsigned len) const {
        std::uint64_t v = 0;
        for (unsigned i = len; i-- > 0;) v = v << 8 | bytes_[offset + i];
        return v;
    }
    const std::uint8_t* at(std::uint64_t offset) const { return bytes_.data() + offset; }

private:
    std::string path_;
    std::vector<std::uint8_t> bytes_;
};

std::vector<std::uint8_t> read_file(const std::string& path) {
    RegularFile f(path);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(f.size()));
    f.read(bytes.data(), bytes.size());
    return bytes;
}

struct Header {
    std::uint64_t entry, phoff, shoff;
    std::uint16_t phentsize, phnum, shentsize, shnum;
};

Header check_header(const Image& img) {
    if (!img.contains(0, kEhdrSize))
        img.fail("too short for an ELF header (" + std::to_string(img.size()) + " bytes, need 64)");
    if (std::memcmp(img.at(0), kMagic, sizeof kMagic) != 0) img.fail("not an ELF file (bad magic)");
    const unsigned cls = img.get(4, 1), data = img.get(5, 1);
    if (cls != kClass64) {
        img.fail(cls == 1 ? "ELFCLASS32 (a 32-bit ELF); expected ELFCLASS64"
                          : "bad ELF class " + std::to_string(cls));
    }
    if (data != kData2Lsb) {
        img.fail(data == kData2Msb ? "big-endian ELF; expected little-endian"
                                   : "bad ELF data encoding " + std::to_string(data));
    }
    const auto type = static_cast<std::uint16_t>(img.get(16, 2));
    const auto machine = static_cast<std::uint16_t>(img.get(18, 2));
    if (machine != kEmRiscv) {
        img.fail("machine " + std::to_string(machine) + " (" + machine_name(machine) + "); expected " +
                 std::to_string(kEmRiscv) + " (RISC-V)");
    }
    if (type != kEtExec)
        img.fail("not an executable: e_type " + std::to_string(type) + " (" + type_name(type) + "); expected ET_EXEC");
    Header h;
    h.entry = img.get(24, 8);
    h.phoff = img.get(32, 8);
    h.shoff = img.get(40, 8);
    h.phentsize = static_cast<std::uint16_t>(img.get(54, 2));
    h.phnum = static_cast<std::uint16_t>(img.get(56, 2));
    h.shentsize = static_cast<std::uint16_t>(img.get(58, 2));
    h.shnum = static_cast<std::uint16_t>(img.get(60, 2));
    return h;
}

// A header table of `num` entries of `entsize` (at least `min_size`) bytes at `offset`.
void check_table(const Image& img, const char* what, std::uint64_t offset, std::uint64_t num,
                 std::uint64_t entsize, std::uint64_t min_size) {
    if (num == 0) return;
    if (entsize < min_size) {
        img.fail(std::string(what) + " entries are " + std::to_string(entsize) + " bytes; expected at least " +
                 std::to_string(min_size));
    }
    if (!img.contains(offset, num * entsize)) {
        img.fail(std::string(what) + " (offset " + hex(offset) + ", " + std::to_string(num) + " entries of " +
                 std::to_string(entsize) + " bytes) lies outside the file (" + std::to_string(img.size()) + " bytes)");
    }
}

std::vector<ElfSegment> load_segments(const Image& img, const Header& h) {
    check_table(img, "program header table", h.phoff, h.phnum, h.phentsize, kPhdrSize);
    std::vector<ElfSegment> segments;
    for (std::uint64_t i = 0; i < h.phnum; ++i) {
        const std::uint64_t ph = h.phoff + i * h.phentsize;
        if (img.get(ph, 4) != kPtLoad) continue;
        const std::uint64_t offset = img.get(ph + 8, 8), paddr = img.get(ph + 24, 8);
        const std::uint64_t filesz = img.get(ph + 32, 8), memsz = img.get(ph + 40, 8);
        const std::string name = "segment " + std::to_string(i) + " (PT_LOAD at " + hex(paddr) + ")";
        if (filesz > memsz) img.fail(name + ": p_filesz " + hex(filesz) + " > p_memsz " + hex(memsz));
        if (!img.contains(offset, filesz)) {
            img.fail(name + ": its file bytes [" + hex(offset) + ", +" + hex(filesz) +
                     ") run past the end of the file (" + std::to_string(img.size()) + " bytes)");
        }
        if (memsz == 0) continue;  // occupies no memory (picolibc's startup leaves one at 0)
        if (paddr + (memsz - 1) < paddr) img.fail(name + ": p_memsz " + hex(memsz) + " wraps around the address space");
        ElfSegment s;
        s.addr = paddr;
        s.bytes.assign(img.at(offset), img.at(offset) + filesz);
        s.mem_size = memsz;
        segments.push_back(std::move(s));
    }
    if (segments.empty()) img.fail("no PT_LOAD segment with contents: nothing to load");
    return segments;
}

struct Section {
    std::uint32_t type, link;
    std::uint64_t offset, size, entsize;
};

Section section(const Image& img, const Header& h, std::uint64_t index) {
    const std::uint64_t sh = h.shoff + index * h.shentsize;
    return {static_cast<std::uint32_t>(img.get(sh + 4, 4)), static_cast<std::uint32_t>(img.get(sh + 40, 4)),
            img.get(sh + 24, 8), img.get(sh + 32, 8), img.get(sh + 56, 8)};
}

// The contents of a section that is read (.symtab, .strtab) must lie inside the file; others,
// such as .bss, need not.
Section section_in_file(const Image& img, const Header& h, std::uint64_t index, const char* what) {
    const Section s = section(img, h, index);
    if (!img.contains(s.offset, s.size)) {
        img.fail(std::string(what) + " (section " + std::to_string(index) + ", offset " + hex(s.offset) + ", " +
                 std::to_string(s.size) + " bytes) lies outside the file (" + std::to_string(img.size()) + " bytes)");
    }
    return s;
}

using SymbolList = std::vector<std::pair<std::string, std::uint64_t>>;

// Appends the named symbols of one .symtab (section `index`) to `globals` (global and weak
// ones) or `locals`; section and file symbols are left out.
void read_symtab(const Image& img, const Header& h, std::uint64_t index, SymbolList& globals, SymbolList& locals) {
    const Section symtab = section_in_file(img, h, index, ".symtab");
    const std::string where = "section " + std::to_string(index) + " (.symtab): ";
    if (symtab.link >= h.shnum) img.fail(where + "links to a missing string table");
    if (symtab.entsize < kSymSize) img.fail(where + "entries smaller than 24 bytes");
    const Section strtab = section_in_file(img, h, symtab.link, "the string table of .symtab");
    for (std::uint64_t k = 1; k < symtab.size / symtab.entsize; ++k) {  // entry 0 is the null symbol
        const std::uint64_t sym = symtab.offset + k * symtab.entsize;
        const std::uint64_t name = img.get(sym, 4);
        const unsigned info = img.get(sym + 4, 1);
        const unsigned kind = info & 0xF;
        if (name == 0 || kind == kSttSection || kind == kSttFile) continue;
        if (name >= strtab.size) img.fail(where + "symbol " + std::to_string(k) + "'s name lies past its string table");
        const auto* begin = reinterpret_cast<const char*>(img.at(strtab.offset + name));
        const auto* end = static_cast<const char*>(std::memchr(begin, 0, strtab.size - name));
        if (!end) img.fail(where + "symbol " + std::to_string(k) + "'s name is not terminated in its string table");
        ((info >> 4) == kStbLocal ? locals : globals).emplace_back(std::string(begin, end), img.get(sym + 8, 8));
    }
}

// Global and weak symbols come first, so that symbol() prefers them to a local of the same
// name. A file without .symtab (stripped) simply has none.
SymbolList load_symbols(const Image& img, const Header& h) {
    check_table(img, "section header table", h.shoff, h.shnum, h.shentsize, kShdrSize);
    SymbolList globals, locals;
    for (std::uint64_t i = 0; i < h.shnum; ++i)
        if (section(img, h, i).type == kShtSymtab) read_symtab(img, h, i, globals, locals);
    globals.insert(globals.end(), locals.begin(), locals.end());
    return globals;
}

}  // namespace

std::uint64_t ElfImage::symbol(const std::string& name) const {
    for (const auto& [n, value] : symbols)
        if (n == name) return value;
    return 0;
}

ElfImage load_elf(const std::string& path) { return load_elf_bytes(read_file(path), path); }

ElfImage load_elf_bytes(std::vector<std::uint8_t> bytes, const std::string& name) {
    const Image img(name, std::move(bytes));
    const Header h = check_header(img);
    ElfImage elf;
    elf.entry = h.entry;
    elf.segments = load_segments(img, h);
    elf.symbols = load_symbols(img, h);
    return elf;
}

}  // namespace elstm
