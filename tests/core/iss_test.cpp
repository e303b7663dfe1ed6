// The ISS against small assembly programs (tests/core/*.S). Every expected value comes from the
// ISA specification, written here by hand (as C++ expressions where that is clearer), never
// from running the ISS. Each program runs in four variants: assembled with and without the C
// extension, and with its RAM as a direct window or behind the Bus.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/core/rv_iss.hpp>
#include "rvtest.h"

namespace elstm::rv {
namespace {

using u64 = std::uint64_t;
using i64 = std::int64_t;

u64 sx32(std::uint32_t v) { return static_cast<u64>(static_cast<i64>(static_cast<std::int32_t>(v))); }

std::string program_path(const std::string& name, const char* ext) {
    return std::string(ELSTM_ISS_PROGRAMS) + "/" + name + ext;
}

// A program's image and its symbols (from `nm`).
struct Program {
    std::vector<std::uint8_t> image;
    std::map<std::string, u64> symbols;

    explicit Program(const std::string& name) {
        std::ifstream bin(program_path(name, ".bin"), std::ios::binary);
        EXPECT_TRUE(bin) << program_path(name, ".bin");
        image.assign(std::istreambuf_iterator<char>(bin), std::istreambuf_iterator<char>());
        std::ifstream sym(program_path(name, ".sym"));
        std::string line, addr, type, symbol;
        while (std::getline(sym, line)) {
            std::istringstream fields(line);
            if (fields >> addr >> type >> symbol) symbols[symbol] = std::stoull(addr, nullptr, 16);
        }
    }
    u64 sym(const std::string& name) const {
        const auto it = symbols.find(name);
        EXPECT_NE(it, symbols.end()) << name;
        return it == symbols.end() ? 0 : it->second;
    }
};

// RAM at RAM_BASE (as the direct window, or behind the Bus when `direct` is false), a small
// memory at DEV_BASE always behind the Bus, nothing anywhere else.
class Machine : public Bus {
public:
    Machine(const Program& program, bool direct, const CpiTable& cpi = kDefaultCpi)
        : ram_(RAM_SIZE),
          dev_(DEV_SIZE),
          iss_(*this, direct ? DirectMemory{ram_.data(), RAM_BASE, RAM_SIZE} : DirectMemory{}, cpi) {
        std::memcpy(ram_.data(), program.image.data(), program.image.size());
        iss_.reset(RAM_BASE);
    }

    bool read(u64 addr, void* data, unsigned len) override {
        auto* p = find(addr, len);
        if (p) std::memcpy(data, p, len);
        return p != nullptr;
    }
    bool write(u64 addr, const void* data, unsigned len) override {
        auto* p = find(addr, len);
        if (p) std::memcpy(p, data, len);
        return p != nullptr;
    }

    Iss& iss() { return iss_; }
    u64 load64(u64 addr) {
        u64 v = 0;
        EXPECT_TRUE(read(addr, &v, 8));
        return v;
    }
    // The doublewords from `base` up to where the register `end_reg` points.
    std::vector<u64> words(u64 base, unsigned end_reg) {
        std::vector<u64> out;
        for (u64 a = base; a < iss_.reg(end_reg); a += 8) out.push_back(load64(a));
        return out;
    }

private:
    std::uint8_t* find(u64 addr, unsigned len) {
        if (addr >= RAM_BASE && addr + len <= RAM_BASE + RAM_SIZE) return ram_.data() + (addr - RAM_BASE);
        if (addr >= DEV_BASE && addr + len <= DEV_BASE + DEV_SIZE) return dev_.data() + (addr - DEV_BASE);
        return nullptr;
    }

    std::vector<std::uint8_t> ram_, dev_;
    Iss iss_;
};

constexpr unsigned kA0 = 10, kA1 = 11, kA2 = 12, kS1 = 9, kS10 = 26;
constexpr u64 kMstatusMpp = 0x1800, kMpie = 0x80, kMie = 0x8;

// The signature: the doublewords SIG stored (s1 points past the last).
std::vector<u64> signature(Machine& m) { return m.words(SIG_BASE, kS1); }

// One entry of the trap handler's log (TRAP_HANDLER in rvtest.h).
struct TrapRecord {
    u64 cause, tval, epc, mstatus;
    bool operator==(const TrapRecord& o) const {
        return cause == o.cause && tval == o.tval && epc == o.epc && mstatus == o.mstatus;
    }
};
std::ostream& operator<<(std::ostream& os, const TrapRecord& t) {
    return os << std::hex << "{cause " << t.cause << ", tval 0x" << t.tval << ", epc 0x" << t.epc
              << ", mstatus 0x" << t.mstatus << "}";
}
std::vector<TrapRecord> trap_log(Machine& m) {
    const auto w = m.words(LOG_BASE, kS10);
    std::vector<TrapRecord> out;
    for (std::size_t i = 0; i + 4 <= w.size(); i += 4) out.push_back({w[i], w[i + 1], w[i + 2], w[i + 3]});
    return out;
}

struct Variant {
    bool compressed;
    bool direct;
};
void PrintTo(const Variant& v, std::ostream* os) {
    *os << (v.compressed ? "rv64imac" : "rv64ima") << (v.direct ? ", direct" : ", bus");
}

class IssProgram : public ::testing::TestWithParam<Variant> {
protected:
    // Runs `name` to its final ebreak (TEST_END).
    void run(const std::string& name) {
        program_ = std::make_unique<Program>(name + (GetParam().compressed ? "_c" : ""));
        machine_ = std::make_unique<Machine>(*program_, GetParam().direct);
        const Stop stop = machine_->iss().run(1'000'000);
        ASSERT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.cause, kBreakpoint)
            << cause_name(stop.cause) << " at 0x" << std::hex << stop.pc << " insn 0x" << stop.insn;
        EXPECT_EQ(stop.pc, sym("end"));
    }
    u64 sym(const std::string& name) const { return program_->sym(name); }
    std::vector<u64> signature() { return elstm::rv::signature(*machine_); }
    std::vector<TrapRecord> traps() { return trap_log(*machine_); }

    std::unique_ptr<Program> program_;
    std::unique_ptr<Machine> machine_;
};

// The expectation tables follow the programs line by line.
// clang-format off
TEST_P(IssProgram, Alu) {
    run("alu");
    const u64 a = 0x123456789abcdef0, b = static_cast<u64>(-7);
    auto sra = [](u64 v, unsigned n) { return static_cast<u64>(static_cast<i64>(v) >> n); };
    const std::vector<u64> expected{
        // add sub sub sll(57) slt slt sltu sltu xor srl srl sra sra or and
        a + b, a - b, b - a, a << 57, 1, 0, 0, 1, a ^ b, a >> 36, b >> 57, sra(b, 36), sra(a, 36), a | b, a & b,
        // addi addi slti slti sltiu sltiu xori ori andi andi slli slli srli srai srai slli(0)
        a - 2048, a + 2047, 1, 0, 1, 0, ~a, a | 0x70f, a & ~0xffull, a & 0x7ff, a << 63, a << 4, b >> 60,
        sra(b, 1), sra(a, 36), a,
        // addw subw subw sllw srlw sraw sraw addiw addiw slliw srliw sraiw srliw(0)
        sx32(0x9abcdef0u - 7), sx32(0x9abcdef0u + 7), sx32(0xfffffff9u - 0x9abcdef0u), sx32(0xabcdef00u),
        sx32(0x09abcdefu), sx32(0xf9abcdefu), sra(b, 63), sx32(0x9abcdf00u), b, 0, 0x4d5e6f78,
        sx32(0xf3579bdeu), b,
        // lui lui auipc auipc x0 x0
        0xffffffff80000000, 0x7ffff000, sym("auipc_here") + 0x1000, sym("auipc_neg") - 0x1000, 0, 0};
    EXPECT_EQ(signature(), expected);
}

TEST_P(IssProgram, Branch) {
    run("branch");
    const std::vector<u64> expected{
        1, 0,     // beq
        0, 1,     // bne
        1, 0, 0,  // blt
        1, 1, 0,  // bge
        1, 0, 0,  // bltu
        1, 0, 1,  // bgeu
        55,       // backwards loop
        1,        // over 2 KiB
        sym("after_jal"), sym("after_jalr"), sym("after_jalr_odd"), sym("after_jalr_same"),
        7};
    EXPECT_EQ(signature(), expected);
}

TEST_P(IssProgram, Mem) {
    run("mem");
    const u64 v = 0xf1e2d3c4b5a69788, w = 0x0102030405060708;
    const std::vector<u64> expected{
        // lb lbu lb lb lbu
        0xffffffffffffff88, 0x88, 0xffffffffffffff97, 0xfffffffffffffff1, 0xf1,
        // lh lhu lh lhu
        0xffffffffffff9788, 0x9788, 0xfffffffffffff1e2, 0xb5a6,
        // lw lwu lw lwu ld
        0xffffffffb5a69788, 0xb5a69788, 0xfffffffff1e2d3c4, 0xf1e2d3c4, v,
        0x0506070807080008,  // sb, sh, sw into a zeroed doubleword
        0x0102030405880708,  // w with its byte 2 from sb (negative offsets)
        0,                   // lw into x0
        w, v,                // offsets 2040 and -2048
        // DEV_BASE, behind the Bus: lw lbu, ld after sh/sb, lwu lh
        0xfffffffff1e2d3c4, 0xf1, 0xf1e2d3c407080888, 0x05060708, 0xfffffffffffff1e2};
    EXPECT_EQ(signature(), expected);
}

TEST_P(IssProgram, MulDiv) {
    run("muldiv");
    using i128 = __int128;
    using u128 = unsigned __int128;
    const u64 a2 = 0x123456789abcdef0, a3 = 0xfedcba9876543210, m1 = ~0ull, min = 1ull << 63;
    const i64 s2 = static_cast<i64>(a2), s3 = static_cast<i64>(a3);
    auto hi = [](i128 v) { return static_cast<u64>(static_cast<u128>(v) >> 64); };
    const std::vector<u64> expected{
        // -6 * 4: mul mulh mulhu ((2^64 - 6) * 4 = 3 * 2^64 + ...) mulhsu
        static_cast<u64>(-24), m1, 3, m1,
        // mul mulh mulhu mulhsu of a2, a3
        a2 * a3, hi(static_cast<i128>(s2) * s3), static_cast<u64>((static_cast<u128>(a2) * a3) >> 64),
        hi(static_cast<i128>(s3) * static_cast<i128>(a2)),
        m1,       // mulhsu(-1, 2^64 - 1) = -(2^64 - 1)
        m1 - 1,   // mulhu(2^64 - 1, 2^64 - 1)
        1ull << 62,  // mulh(-2^63, -2^63) = 2^126
        // div rem divu remu of -7, 2
        static_cast<u64>(-3), static_cast<u64>(-1), (m1 - 6) / 2, 1,
        static_cast<u64>(s2 / -6), static_cast<u64>(s2 % -6),
        m1, m1, static_cast<u64>(-7), static_cast<u64>(-7),  // by zero: div divu rem remu
        min, 0,                                              // overflow: div rem
        // mulw mulw divw divuw remw remuw
        sx32(0xfffffffeu), 49, static_cast<u64>(-3), 0x7ffffffc, static_cast<u64>(-1), 1,
        m1, m1, static_cast<u64>(-7), 0xffffffff80000000,  // by zero: divw divuw remw remuw
        0xffffffff80000000, 0};                             // overflow: divw remw
    EXPECT_EQ(signature(), expected);
}

TEST_P(IssProgram, Atomic) {
    run("atomic");
    const u64 v = 0x1122334455667788, m1 = ~0ull;
    const std::vector<u64> expected{
        // amoadd ld amoswap amoxor amoor amoand ld amomin amomax amomaxu amominu x0 ld
        v, v + 5, v + 5, 5, 9, 0xd, 4, 4, static_cast<u64>(-3), 2, static_cast<u64>(-3), 0, 14,
        // .w at +16, whose upper word 0x55555555 stays: amoadd ld amomin amominu amomax amomaxu amoswap
        0xffffffff80000000, 0x5555555580000005, 0xffffffff80000005, 0xffffffff80000005, 0xffffffff80000005,
        m1, m1,
        // amoand amoor amoxor ld
        0x7fffffff, 0x70f0f0f0, 0xfffffffff0f0f0f0, 0x5555555500000000,
        // lr.d sc.d ld sc.d | sc.w (other address) sc.w | lr.w sc.w lw | sc.d after a trap
        14, 0, 15, 1, 1, 1, 0, 0xfffffffff0f0f0f0, 1};
    EXPECT_EQ(signature(), expected);
    EXPECT_EQ(traps().size(), 1u);
}

TEST_P(IssProgram, Csr) {
    run("csr");
    const u64 misa = (2ull << 62) | 0x1105;  // RV64, A C I M
    const std::vector<u64> expected{
        // misa mhartid mvendorid marchid mimpid mstatus mtvec
        misa, 0, 0, 0, 0, kMstatusMpp, sym("trap_handler"),
        // mscratch: csrrw, csrr, csrrs, csrrc, csrrwi, csrrci, csrrsi, csrr
        0x1234, 0, 0xf0, 0xff, 0xc3, 0x1f, 0x1a, 0x1e,
        // WARL: mstatus mstatus mepc mie mip misa mcause mtval mcounteren mcountinhibit mhpmcounter3
        kMstatusMpp | kMpie | kMie, kMstatusMpp, 0x80000002, 0x888, 0, misa, ~0ull, 0xabc, 0, 0, 0,
        // counters: minstret instret mcycle time-cycle, written minstret and mcycle
        1, 3, 2, 1, 1000, 5000,
        // csrrs x0, csrrci 0, a0 after the traps
        0, 1, 3};
    EXPECT_EQ(signature(), expected);
    const std::vector<TrapRecord> expected_traps{
        {kIllegalInstruction, 0xf1451073, sym("csr_ro"), kMstatusMpp},
        {kIllegalInstruction, 0xc0051073, sym("csr_ro_cycle"), kMstatusMpp},
        {kIllegalInstruction, 0xf1105073, sym("csr_ro_imm"), kMstatusMpp},
        {kIllegalInstruction, 0xc0252073, sym("csr_ro_set"), kMstatusMpp},
        {kIllegalInstruction, 0x7c002573, sym("csr_unknown"), kMstatusMpp},
        {kIllegalInstruction, 0x10002573, sym("csr_sstatus"), kMstatusMpp}};
    EXPECT_EQ(traps(), expected_traps);
}

TEST_P(IssProgram, Trap) {
    run("trap");
    EXPECT_EQ(signature(), (std::vector<u64>{kMstatusMpp | kMpie | kMie, kMstatusMpp | kMpie, 42}));
    const u64 s = SCRATCH, m = kMstatusMpp;
    const std::vector<TrapRecord> expected{
        {kEcallM, 0, sym("t_ecall"), m | kMpie},
        {kBreakpoint, 0, sym("t_ebreak"), m},
        {kMisalignedLoad, s + 1, sym("t_ld"), m},
        {kMisalignedLoad, s + 2, sym("t_lw"), m},
        {kMisalignedLoad, s + 3, sym("t_lhu"), m},
        {kMisalignedStore, s + 4, sym("t_sd"), m},
        {kMisalignedStore, s + 6, sym("t_sw"), m},
        {kMisalignedStore, s + 1, sym("t_sh"), m},
        {kMisalignedStore, s + 2, sym("t_amo"), m},
        {kMisalignedLoad, s + 2, sym("t_lr"), m},
        {kMisalignedStore, s + 2, sym("t_sc"), m},
        {kLoadAccess, UNMAPPED, sym("t_ld_fault"), m},
        {kStoreAccess, UNMAPPED + 8, sym("t_sd_fault"), m},
        {kStoreAccess, UNMAPPED, sym("t_amo_fault"), m},
        {kFetchAccess, UNMAPPED, UNMAPPED, m},
        {kIllegalInstruction, 0x00007003, sym("t_ill_load"), m},
        {kIllegalInstruction, 0x40051513, sym("t_ill_slli"), m},
        {kIllegalInstruction, 0x10200073, sym("t_ill_sret"), m},
        {kIllegalInstruction, 0xffffffff, sym("t_ill_ones"), m},
        {kIllegalInstruction, 0xf005b52f, sym("t_ill_amo"), m},
        {kIllegalInstruction, 0x02b5153b, sym("t_ill_mulh_w"), m}};
    EXPECT_EQ(traps(), expected);
}

TEST_P(IssProgram, CompressedForms) {
    run("c_forms");
    const u64 s = SCRATCH + 0x100, v = 0x0123456789abcdef, w = 0x1122334455667788;
    const std::vector<u64> expected{
        s + 16, s + 1020,                                           // addi4spn
        v, 0x01234567, 0xffffffff89abcdef, 0x89abcdef,              // ld lw lw sw
        v, 0xffffffff89abcdef,                                      // largest ld/lw offsets
        68, 99, static_cast<u64>(-32), 31,                          // addi li
        0xffffffff80000000, 0x7fffffff,                             // addiw
        0x1f000, 0xfffffffffffe0000, 0x1000,                        // lui
        s - 512, s - 16,                                            // addi16sp
        v << 4, 1ull << 63, v >> 36, static_cast<u64>(-16), 1,      // slli srli srai
        0xffe0, 0,                                                  // andi
        0x110000000, 0xd0000000, 0xd0000000, 0xf0000000, 0xf0000000,  // add sub xor or and
        0x10000000, 0x30000000, 0xfffffffff0000000,                 // addw subw sext.w
        w, 0x55667788, w, 0x55667788,                               // sdsp/ldsp swsp/lwsp
        6,                                                          // beqz bnez
        17, sym("c_jalr_ret")};                                     // jalr jr j
    EXPECT_EQ(signature(), expected);
}

// Stores over code the ISS has already decoded: each run sees the instruction memory holds now.
TEST_P(IssProgram, SelfModifyingCode) {
    run("smc");
    EXPECT_EQ(sym("straddle") % 4096, 4094u);  // the instruction really crosses the page boundary
    const std::vector<u64> expected{
        1, 2, 3,                // 32-bit: before, after a store, after a store and fence.i
        1, 1, 4, 1, 4, 5,       // compressed pair (a0, a1): first parcel patched, then the second
        6, 0, 7, 8,             // the pair as one 32-bit addi, then two compressed again
        10, 11,                 // the instruction right after the store
        1, 9};                  // across the page boundary, upper half patched
    EXPECT_EQ(signature(), expected);
}
// clang-format on

std::string variant_name(const ::testing::TestParamInfo<Variant>& info) {
    return std::string(info.param.compressed ? "rv64imac" : "rv64ima") +
           (info.param.direct ? "_direct" : "_bus");
}
INSTANTIATE_TEST_SUITE_P(Variants, IssProgram,
                         ::testing::Values(Variant{true, true}, Variant{true, false}, Variant{false, true},
                                           Variant{false, false}),
                         variant_name);

// The compressed builds must really be compressed (and so exercise the C decoder).
TEST(Iss, CompressedBuildIsSmaller) {
    for (const char* name : {"alu", "branch", "mem", "c_forms"})
        EXPECT_LT(Program(std::string(name) + "_c").image.size(), Program(name).image.size()) << name;
}

// Reserved compressed encodings (only the C build exists).
TEST(Iss, CompressedReserved) {
    // The reserved halfwords in c_reserved.S, each at its label.
    const std::vector<std::pair<const char*, u64>> reserved{
        {"r_zero", 0x0000},    {"r_addi4spn", 0x0004}, {"r_fld", 0x2000},      {"r_q0_100", 0x8000},
        {"r_fsd", 0xa000},     {"r_addiw", 0x2001},    {"r_addi16sp", 0x6101}, {"r_lui", 0x6501},
        {"r_subw_10", 0x9c41}, {"r_subw_11", 0x9c61},  {"r_fldsp", 0x2002},    {"r_lwsp", 0x4002},
        {"r_ldsp", 0x6002},    {"r_jr", 0x8002},       {"r_fsdsp", 0xa002}};
    const Program p("c_reserved_c");
    std::vector<TrapRecord> expected;
    for (const auto& [label, bits] : reserved)
        expected.push_back({kIllegalInstruction, bits, p.sym(label), kMstatusMpp});
    expected.push_back({kBreakpoint, 0, p.sym("r_cebreak"), kMstatusMpp});  // c.ebreak: never semihosting

    for (const bool direct : {true, false}) {
        SCOPED_TRACE(direct ? "direct" : "bus");
        Machine m(p, direct);
        const Stop stop = m.iss().run(1'000'000);
        ASSERT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.cause, kBreakpoint);
        EXPECT_EQ(stop.pc, p.sym("end"));
        EXPECT_EQ(signature(m), std::vector<u64>{7});  // the hints changed nothing
        EXPECT_EQ(trap_log(m), expected);
    }
}

// custom-0..3 and semihosting stop the ISS for the wrapper; raise() with and without a handler;
// an exception with no handler ends the run.
TEST(Iss, WrapperStops) {
    for (const bool compressed : {true, false}) {
        SCOPED_TRACE(compressed ? "rv64imac" : "rv64ima");
        const Program p(compressed ? "stop_c" : "stop");
        Machine m(p, true);
        Iss& iss = m.iss();

        Stop stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::custom);
        EXPECT_EQ(stop.pc, p.sym("custom0"));
        EXPECT_EQ(stop.insn, 0x0ab5760bu);
        CustomFields f = decode_custom(stop.insn);
        EXPECT_EQ(f.opcode_index, 0u);
        EXPECT_EQ(f.funct7, 5u);
        EXPECT_EQ(f.rd, kA2);
        EXPECT_EQ(f.rs1, kA0);
        EXPECT_EQ(f.rs2, kA1);
        EXPECT_TRUE(f.xd && f.xs1 && f.xs2);
        EXPECT_EQ(iss.reg(kA0), 11u);
        const u64 retired = iss.instret();
        iss.set_reg(f.rd, 33);
        iss.retire_custom();
        EXPECT_EQ(iss.instret(), retired + 1);
        EXPECT_EQ(iss.pc(), p.sym("custom0") + 4);

        stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::custom);
        EXPECT_EQ(stop.pc, p.sym("custom3"));
        EXPECT_EQ(stop.insn, 0xfe05207bu);
        f = decode_custom(stop.insn);
        EXPECT_EQ(f.opcode_index, 3u);
        EXPECT_EQ(f.funct7, 0x7fu);
        EXPECT_EQ(f.rd, 0u);
        EXPECT_TRUE(!f.xd && f.xs1 && !f.xs2);
        iss.retire_custom();

        stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::custom);
        EXPECT_EQ(stop.insn, 0x0200002bu);
        EXPECT_EQ(decode_custom(stop.insn).opcode_index, 1u);
        iss.retire_custom();
        stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::custom);
        EXPECT_EQ(stop.insn, 0x00b0105bu);
        f = decode_custom(stop.insn);
        EXPECT_EQ(f.opcode_index, 2u);
        EXPECT_TRUE(!f.xd && !f.xs1 && f.xs2);
        iss.retire_custom();

        stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::semihosting);
        EXPECT_EQ(stop.pc, p.sym("semihost"));
        EXPECT_EQ(stop.insn, 0x00100073u);
        EXPECT_EQ(iss.reg(kA0), 0x18u);
        EXPECT_EQ(iss.reg(kA1), 0x1234u);
        iss.set_reg(kA0, 77);
        iss.retire_semihosting();
        EXPECT_EQ(iss.pc(), p.sym("semihost") + 4);

        // An unknown RoCC command: the wrapper raises illegal instruction; no handler, so the
        // next run() stops at once.
        stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::custom);
        EXPECT_EQ(stop.pc, p.sym("rocc_unknown"));
        const u64 before = iss.instret();
        iss.raise(kIllegalInstruction, stop.insn);
        stop = iss.run(1000);
        EXPECT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.pc, p.sym("rocc_unknown"));
        EXPECT_EQ(stop.insn, 0x12b5300bu);
        EXPECT_EQ(stop.cause, kIllegalInstruction);
        EXPECT_EQ(stop.tval, 0x12b5300bu);
        EXPECT_EQ(iss.instret(), before);
        EXPECT_EQ(signature(m), (std::vector<u64>{33, 77}));

        // With a handler, raise() enters it.
        iss.reset(p.sym("handled"));
        stop = iss.run(1000);
        ASSERT_EQ(stop.reason, StopReason::custom);
        EXPECT_EQ(stop.pc, p.sym("rocc_handled"));
        iss.raise(kIllegalInstruction, stop.insn);
        EXPECT_EQ(iss.pc(), p.sym("trap_handler"));
        EXPECT_EQ(iss.csr(0x341), p.sym("rocc_handled"));  // mepc
        stop = iss.run(1000);
        EXPECT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.cause, kBreakpoint);
        EXPECT_EQ(stop.pc, p.sym("handled_end"));
        EXPECT_EQ(m.load64(LOG_BASE), kIllegalInstruction);
        EXPECT_EQ(m.load64(LOG_BASE + 8), 0x12b5300bu);
        EXPECT_EQ(m.load64(LOG_BASE + 16), p.sym("rocc_handled"));

        // An illegal instruction with no handler.
        iss.reset(p.sym("unhandled"));
        stop = iss.run(1000);
        EXPECT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.pc, p.sym("bad"));
        EXPECT_EQ(stop.insn, 0x00007003u);
        EXPECT_EQ(stop.cause, kIllegalInstruction);
        EXPECT_EQ(stop.tval, 0x00007003u);
        EXPECT_EQ(iss.instret(), 1u);
        EXPECT_EQ(iss.reg(kA0), 1u);
    }
}

// run() stops after the budget, wherever it ends, and resumes where it stopped.
TEST(Iss, Budget) {
    for (const char* name : {"branch", "smc_c"}) {
        const Program p(name);
        Machine whole(p, true);
        const Stop end = whole.iss().run(1'000'000);
        ASSERT_EQ(end.reason, StopReason::trap);
        for (const unsigned slice : {1u, 3u, 7u}) {
            SCOPED_TRACE(std::string(name) + ", slices of " + std::to_string(slice));
            Machine sliced(p, true);
            Stop stop;
            unsigned slices = 0;
            while ((stop = sliced.iss().run(slice)).reason == StopReason::budget) {
                ++slices;
                EXPECT_EQ(sliced.iss().instret(), u64{slice} * slices);
            }
            EXPECT_EQ(stop.pc, end.pc);
            EXPECT_EQ(sliced.iss().instret(), whole.iss().instret());
            EXPECT_EQ(sliced.iss().cycles(), whole.iss().cycles());
            EXPECT_EQ(signature(sliced), signature(whole));
            EXPECT_EQ(slices, whole.iss().instret() / slice);
        }
    }
}

// Code written from outside the ISS between two runs (a debugger's memory write, another bus
// master through its DMI pointer) is what the next run executes, though it ran before.
TEST(Iss, CodeWrittenFromOutside) {
    const Program p("timing");
    Machine m(p, true);
    const std::uint32_t addi_a0_5 = 0x00500513, addi_a0_6 = 0x00600513, ebreak = 0x00100073;
    const std::uint16_t c_li_a0_7 = 0x451d, c_ebreak = 0x9002;
    m.write(SCRATCH, &addi_a0_5, 4);
    m.write(SCRATCH + 4, &ebreak, 4);
    for (const std::uint32_t insn : {addi_a0_5, addi_a0_6}) {
        m.write(SCRATCH, &insn, 4);
        m.iss().reset(SCRATCH);
        EXPECT_EQ(m.iss().run(10).pc, SCRATCH + 4);
        EXPECT_EQ(m.iss().reg(kA0), (insn >> 20));
    }
    m.write(SCRATCH, &c_li_a0_7, 2);  // now a compressed instruction, then c.ebreak
    m.write(SCRATCH + 2, &c_ebreak, 2);
    m.iss().reset(SCRATCH);
    const Stop stop = m.iss().run(10);
    EXPECT_EQ(stop.pc, SCRATCH + 2);
    EXPECT_EQ(stop.insn, c_ebreak);
    EXPECT_EQ(m.iss().reg(kA0), 7u);
}

// Each retired instruction costs its class's CPI (distinct primes, so the sum tells them apart).
TEST(Iss, Timing) {
    //                alu load store mul div taken not-taken jump csr system
    const CpiTable cpi{1, 2, 3, 5, 7, 11, 13, 17, 19, 23};
    for (const char* name : {"timing", "timing_c"}) {
        SCOPED_TRACE(name);
        const Program p(name);
        Machine m(p, true, cpi);
        const Stop stop = m.iss().run(1000);
        ASSERT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.pc, p.sym("end"));
        // alu 6, load 3, store 2, mul 2, div 2, taken 2, not taken 1, jump 2, csr 1, system 2
        EXPECT_EQ(m.iss().instret(), 23u);
        EXPECT_EQ(m.iss().cycles(),
                  6 * 1 + 3 * 2 + 2 * 3 + 2 * 5 + 2 * 7 + 2 * 11 + 1 * 13 + 2 * 17 + 1 * 19 + 2 * 23u);
        EXPECT_EQ(m.iss().csr(0xb00), m.iss().cycles());   // mcycle
        EXPECT_EQ(m.iss().csr(0xb02), m.iss().instret());  // minstret
        EXPECT_EQ(m.iss().csr(0xc01), m.iss().cycles());   // time
        m.iss().add_cycles(100);
        EXPECT_EQ(m.iss().csr(0xc00), m.iss().cycles());  // cycle
    }
}

// Fetches at the end of the direct window (and of all memory): a compressed instruction in
// its last two bytes runs, a 32-bit one whose second half is outside faults at that half.
TEST(Iss, FetchAtMemoryEnd) {
    const Program p("timing");
    for (const bool direct : {true, false}) {
        SCOPED_TRACE(direct ? "direct" : "bus");
        Machine m(p, direct);
        const u64 last = RAM_BASE + RAM_SIZE - 2;
        const std::uint16_t c_ebreak = 0x9002, nop_low = 0x0013;
        m.write(last, &c_ebreak, 2);
        m.iss().reset(last);
        Stop stop = m.iss().run(10);
        EXPECT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.cause, kBreakpoint);
        EXPECT_EQ(stop.pc, last);
        EXPECT_EQ(stop.insn, c_ebreak);

        m.write(last, &nop_low, 2);
        m.iss().reset(last);
        stop = m.iss().run(10);
        EXPECT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.cause, kFetchAccess);
        EXPECT_EQ(stop.pc, last);
        EXPECT_EQ(stop.tval, RAM_BASE + RAM_SIZE);

        m.iss().reset(RAM_BASE + 1);  // only reset() can make pc odd
        stop = m.iss().run(10);
        EXPECT_EQ(stop.reason, StopReason::trap);
        EXPECT_EQ(stop.cause, kMisalignedFetch);
        EXPECT_EQ(stop.tval, RAM_BASE + 1);
    }
}

TEST(Iss, CauseNames) {
    EXPECT_STREQ(cause_name(kIllegalInstruction), "illegal instruction");
    EXPECT_STREQ(cause_name(kEcallM), "environment call from M-mode");
    EXPECT_STREQ(cause_name(99), "unknown exception");
}

// The data access next_access() sees for one instruction placed at the entry, a0 = RAM_BASE + 0x100.
std::optional<MemoryAccess> access_of(std::uint32_t insn) {
    const Program p("c_reserved_c");
    Machine m(p, true);
    m.write(RAM_BASE, &insn, 4);
    m.iss().set_reg(kA0, RAM_BASE + 0x100);
    MemoryAccess a;
    if (!m.iss().next_access(a)) return std::nullopt;
    return a;
}

}  // namespace

// What a debugger's watchpoints check: loads read, stores write, AMOs both (lr reads, sc
// writes), compressed forms alike, with the address from the registers; others access nothing.
TEST(Iss, NextAccessForWatchpoints) {
    struct Case {
        const char* what;
        std::uint32_t insn;
        u64 addr;
        unsigned len;
        bool read, write;
    };
    const Case cases[] = {
        {"ld a1, 8(a0)", 0x00853583, RAM_BASE + 0x108, 8, true, false},
        {"lbu a1, -1(a0)", 0xfff54583, RAM_BASE + 0xff, 1, true, false},
        {"sw a1, 4(a0)", 0x00b52223, RAM_BASE + 0x104, 4, false, true},
        {"c.sd a1, 8(a0)", 0x0000e50c, RAM_BASE + 0x108, 8, false, true},
        {"c.lw a1, 4(a0)", 0x0000414c, RAM_BASE + 0x104, 4, true, false},
        {"amoadd.d a1, a1, (a0)", 0x00b535af, RAM_BASE + 0x100, 8, true, true},
        {"lr.w a1, (a0)", 0x100525af, RAM_BASE + 0x100, 4, true, false},
        {"sc.d a1, a1, (a0)", 0x18b535af, RAM_BASE + 0x100, 8, false, true},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        const auto a = access_of(c.insn);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->addr, c.addr);
        EXPECT_EQ(a->len, c.len);
        EXPECT_EQ(a->read, c.read);
        EXPECT_EQ(a->write, c.write);
    }
    EXPECT_FALSE(access_of(0x00b50533));  // add a0, a0, a1
    EXPECT_FALSE(access_of(0x0000050b));  // custom-0: the accelerator's access, not the core's
    EXPECT_FALSE(access_of(0x00000000));  // reserved
}

}  // namespace elstm::rv
