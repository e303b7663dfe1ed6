#include <elstm_vp/core/rv_iss.hpp>

#include <cstring>
#include <type_traits>

// The loads and stores copy little-endian target values straight to and from host memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the ISS needs a little-endian host");

namespace elstm::rv {
namespace {

// ---- Bit fields and immediates (unsigned arithmetic throughout: wrap-around is the ISA's) ----

inline std::uint64_t sext32(std::uint64_t v) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v)));
}
inline unsigned rd_of(std::uint32_t i) { return (i >> 7) & 31; }
inline unsigned rs1_of(std::uint32_t i) { return (i >> 15) & 31; }
inline unsigned rs2_of(std::uint32_t i) { return (i >> 20) & 31; }
inline unsigned funct3_of(std::uint32_t i) { return (i >> 12) & 7; }
inline std::uint64_t imm_i(std::uint32_t i) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(i) >> 20));
}
inline std::uint64_t imm_s(std::uint32_t i) {
    return static_cast<std::uint64_t>(
               static_cast<std::int64_t>(static_cast<std::int32_t>(i & 0xfe000000u) >> 20)) |
           ((i >> 7) & 0x1f);
}
inline std::uint64_t imm_b(std::uint32_t i) {
    return static_cast<std::uint64_t>(
               static_cast<std::int64_t>(static_cast<std::int32_t>(i & 0x80000000u) >> 19)) |
           ((i << 4) & 0x800) | ((i >> 20) & 0x7e0) | ((i >> 7) & 0x1e);
}
inline std::uint64_t imm_u(std::uint32_t i) { return sext32(i & 0xfffff000u); }
inline std::uint64_t imm_j(std::uint32_t i) {
    return static_cast<std::uint64_t>(
               static_cast<std::int64_t>(static_cast<std::int32_t>(i & 0x80000000u) >> 11)) |
           (i & 0xff000) | ((i >> 9) & 0x800) | ((i >> 20) & 0x7fe);
}

// ---- Compressed instructions: each expands to the 32-bit instruction it stands for ----

constexpr std::uint32_t kOpImm = 0x13, kOpImm32 = 0x1b, kOp = 0x33, kOp32 = 0x3b, kLui = 0x37, kLoad = 0x03,
                        kStore = 0x23, kBranch = 0x63, kJal = 0x6f, kJalr = 0x67;
constexpr std::uint32_t kEbreak = 0x00100073;

std::uint32_t enc_i(std::uint32_t op, unsigned rd, unsigned f3, unsigned rs1, std::uint32_t imm) {
    return (imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
std::uint32_t enc_r(std::uint32_t op, unsigned rd, unsigned f3, unsigned rs1, unsigned rs2,
                    std::uint32_t f7) {
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
std::uint32_t enc_s(unsigned f3, unsigned rs1, unsigned rs2, std::uint32_t imm) {
    return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | kStore;
}
std::uint32_t enc_b(unsigned f3, unsigned rs1, std::uint32_t imm) {
    return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs1 << 15) | (f3 << 12) |
           (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | kBranch;
}
std::uint32_t enc_j(unsigned rd, std::uint32_t imm) {
    return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
           (((imm >> 12) & 0xff) << 12) | (rd << 7) | kJal;
}

inline std::uint32_t cbit(std::uint32_t c, unsigned from, unsigned to) { return ((c >> from) & 1) << to; }
// A 6-bit signed immediate from bit 12 (sign) and bits 6:2, as the low 12 bits of an I-type immediate.
inline std::uint32_t c_imm6(std::uint32_t c) {
    return (((c >> 2) & 31) | ((c >> 7) & 32) | ((c & 0x1000) ? 0xfc0 : 0)) & 0xfff;
}

// Returns 0 for a reserved or unsupported encoding (0 is no valid 32-bit instruction).
std::uint32_t expand_compressed(std::uint32_t c) {
    const unsigned rd = (c >> 7) & 31, rs2 = (c >> 2) & 31;
    const unsigned rdp = 8 + ((c >> 2) & 7), rs1p = 8 + ((c >> 7) & 7);  // the 3-bit register fields
    const std::uint32_t lw_off = ((c >> 7) & 0x38) | cbit(c, 6, 2) | cbit(c, 5, 6);
    const std::uint32_t ld_off = ((c >> 7) & 0x38) | ((c << 1) & 0xc0);
    // quadrant (bits 1:0) and funct3: cases 0-7 are quadrant 0, 8-15 quadrant 1, 16-23 quadrant 2
    switch (((c & 3) << 3) | (c >> 13)) {
        case 0: {  // c.addi4spn (a zero immediate, and so the all-zero halfword, is reserved)
            const std::uint32_t imm = ((c >> 7) & 0x30) | ((c >> 1) & 0x3c0) | cbit(c, 6, 2) | cbit(c, 5, 3);
            return imm ? enc_i(kOpImm, rdp, 0, 2, imm) : 0;
        }
        case 2: return enc_i(kLoad, rdp, 2, rs1p, lw_off);              // c.lw
        case 3: return enc_i(kLoad, rdp, 3, rs1p, ld_off);              // c.ld
        case 6: return enc_s(2, rs1p, rdp, lw_off);                     // c.sw
        case 7: return enc_s(3, rs1p, rdp, ld_off);                     // c.sd
        case 8: return enc_i(kOpImm, rd, 0, rd, c_imm6(c));             // c.addi, c.nop
        case 9: return rd ? enc_i(kOpImm32, rd, 0, rd, c_imm6(c)) : 0;  // c.addiw
        case 10: return enc_i(kOpImm, rd, 0, 0, c_imm6(c));             // c.li
        case 11: {
            if (rd == 2) {  // c.addi16sp
                const std::uint32_t imm = cbit(c, 6, 4) | cbit(c, 2, 5) | cbit(c, 5, 6) | ((c << 4) & 0x180) |
                                          ((c & 0x1000) ? 0xe00 : 0);
                return imm ? enc_i(kOpImm, 2, 0, 2, imm) : 0;
            }
            const std::uint32_t imm = c_imm6(c);  // c.lui: bits 17:12 of the upper immediate
            return imm ? ((imm & 0xfffff) << 12 | (imm & 0x800 ? 0xfffc0000u : 0)) | (rd << 7) | kLui : 0;
        }
        case 12: {
            const std::uint32_t shamt = ((c >> 2) & 31) | ((c >> 7) & 32);
            switch ((c >> 10) & 3) {
                case 0: return enc_i(kOpImm, rs1p, 5, rs1p, shamt);          // c.srli
                case 1: return enc_i(kOpImm, rs1p, 5, rs1p, 0x400 | shamt);  // c.srai
                case 2: return enc_i(kOpImm, rs1p, 7, rs1p, c_imm6(c));      // c.andi
                default: {
                    static constexpr std::uint8_t kF3[4] = {0, 4, 6, 7};  // sub, xor, or, and
                    const unsigned op = (c >> 5) & 3;
                    if (!(c & 0x1000)) return enc_r(kOp, rs1p, kF3[op], rs1p, rdp, op == 0 ? 0x20 : 0);
                    if (op >= 2) return 0;
                    return enc_r(kOp32, rs1p, 0, rs1p, rdp, op == 0 ? 0x20 : 0);  // c.subw, c.addw
                }
            }
        }
        case 13: {  // c.j
            const std::uint32_t imm = cbit(c, 12, 11) | cbit(c, 11, 4) | ((c >> 1) & 0x300) | cbit(c, 8, 10) |
                                      cbit(c, 7, 6) | cbit(c, 6, 7) | ((c >> 2) & 0xe) | cbit(c, 2, 5);
            return enc_j(0, (c & 0x1000) ? imm | 0xfffff000u : imm);
        }
        case 14:
        case 15: {  // c.beqz, c.bnez
            const std::uint32_t imm = ((c >> 7) & 0x18) | ((c << 1) & 0xc0) | ((c >> 2) & 6) | cbit(c, 2, 5);
            return enc_b((c >> 13) & 1, rs1p, (c & 0x1000) ? imm | 0xffffff00u : imm);
        }
        case 16: return enc_i(kOpImm, rd, 1, rd, ((c >> 2) & 31) | ((c >> 7) & 32));  // c.slli
        case 18: {                                                                    // c.lwsp
            const std::uint32_t off = ((c >> 2) & 0x1c) | ((c >> 7) & 0x20) | ((c << 4) & 0xc0);
            return rd ? enc_i(kLoad, rd, 2, 2, off) : 0;
        }
        case 19: {  // c.ldsp
            const std::uint32_t off = ((c >> 2) & 0x18) | ((c >> 7) & 0x20) | ((c << 4) & 0x1c0);
            return rd ? enc_i(kLoad, rd, 3, 2, off) : 0;
        }
        case 20:
            if (!(c & 0x1000)) {
                if (rs2) return enc_r(kOp, rd, 0, 0, rs2, 0);  // c.mv
                return rd ? enc_i(kJalr, 0, 0, rd, 0) : 0;     // c.jr
            }
            if (rs2) return enc_r(kOp, rd, 0, rd, rs2, 0);                         // c.add
            return rd ? enc_i(kJalr, 1, 0, rd, 0) : kEbreak;                       // c.jalr, c.ebreak
        case 22: return enc_s(2, 2, rs2, ((c >> 7) & 0x3c) | ((c >> 1) & 0xc0));   // c.swsp
        case 23: return enc_s(3, 2, rs2, ((c >> 7) & 0x38) | ((c >> 1) & 0x1c0));  // c.sdsp
        default: return 0;  // c.fld, c.fsd, c.fldsp, c.fsdsp (no D) and the reserved funct3 100 of quadrant 0
    }
}

// ---- CSRs ----

constexpr std::uint64_t kMisa =
    (2ull << 62) | (1u << ('A' - 'A')) | (1u << ('C' - 'A')) | (1u << ('I' - 'A')) | (1u << ('M' - 'A'));
constexpr std::uint64_t kMstatusMie = 1u << 3, kMstatusMpie = 1u << 7, kMstatusMppM = 3u << 11;
constexpr std::uint64_t kMieWritable = 0x888;  // MSIE, MTIE, MEIE: the machine-level interrupts

enum CsrAddr : unsigned {
    kMstatus = 0x300,
    kMisaAddr = 0x301,
    kMie = 0x304,
    kMtvec = 0x305,
    kMcounteren = 0x306,
    kMcountinhibit = 0x320,
    kMscratch = 0x340,
    kMepc = 0x341,
    kMcause = 0x342,
    kMtval = 0x343,
    kMip = 0x344,
    kMcycle = 0xb00,
    kMinstret = 0xb02,
    kCycle = 0xc00,
    kTime = 0xc01,
    kInstret = 0xc02,
    kMvendorid = 0xf11,
    kMarchid = 0xf12,
    kMimpid = 0xf13,
    kMhartid = 0xf14,
};
// The hardware performance counters and their event selectors exist but count nothing.
inline bool is_zero_counter(unsigned a) {
    return (a >= 0xb03 && a <= 0xb1f) || (a >= 0xc03 && a <= 0xc1f) || (a >= 0x323 && a <= 0x33f);
}
// CSR addresses with bits 11:10 set are read-only.
inline bool csr_read_only(unsigned a) { return (a >> 10) == 3; }

constexpr std::uint32_t kSemihostPre = 0x01f01013;   // slli x0, x0, 0x1f
constexpr std::uint32_t kSemihostPost = 0x40705013;  // srai x0, x0, 7

inline std::uint32_t cpi_of(const CpiTable& cpi, InsnClass c) { return cpi[static_cast<std::size_t>(c)]; }

}  // namespace

const char* cause_name(std::uint64_t cause) {
    switch (cause) {
        case kMisalignedFetch: return "instruction address misaligned";
        case kFetchAccess: return "instruction access fault";
        case kIllegalInstruction: return "illegal instruction";
        case kBreakpoint: return "breakpoint";
        case kMisalignedLoad: return "load address misaligned";
        case kLoadAccess: return "load access fault";
        case kMisalignedStore: return "store/AMO address misaligned";
        case kStoreAccess: return "store/AMO access fault";
        case kEcallM: return "environment call from M-mode";
        default: return "unknown exception";
    }
}

CustomFields decode_custom(std::uint32_t insn) {
    const unsigned f3 = funct3_of(insn);
    return CustomFields{(insn >> 5) & 3, insn >> 25,    rd_of(insn),   rs1_of(insn),
                        rs2_of(insn),    (f3 & 4) != 0, (f3 & 2) != 0, (f3 & 1) != 0};
}

Iss::Iss(Bus& bus, DirectMemory direct, const CpiTable& cpi)
    : bus_(bus),
      direct_(direct.ptr ? direct : DirectMemory{}),
      cpi_(cpi),
      fetch_span_(direct_.size >= 4 ? direct_.size - 3 : 0) {
    reset(0);
}

void Iss::reset(std::uint64_t pc) {
    x_.fill(0);
    pc_ = pc;
    csr_ = Csrs{};
    csr_.mstatus = kMstatusMppM;
    instret_ = cycles_ = 0;
    pending_trap_ = false;
    reservation_ = ~0ull;
}

// ---- Memory ----

bool Iss::read_mem(std::uint64_t addr, void* data, unsigned len) {
    const std::uint64_t off = addr - direct_.base;
    if (off < direct_.size && len <= direct_.size - off) {
        std::memcpy(data, direct_.ptr + off, len);
        return true;
    }
    return bus_.read(addr, data, len);
}

template <typename T>
inline bool Iss::load(std::uint64_t addr, T& value) {
    const std::uint64_t off = addr - direct_.base;
    if (off < direct_.size && sizeof(T) <= direct_.size - off) {
        std::memcpy(&value, direct_.ptr + off, sizeof(T));
        return true;
    }
    return bus_.read(addr, &value, sizeof(T));
}

template <typename T>
inline bool Iss::store(std::uint64_t addr, T value) {
    const std::uint64_t off = addr - direct_.base;
    if (off < direct_.size && sizeof(T) <= direct_.size - off) {
        std::memcpy(direct_.ptr + off, &value, sizeof(T));
        return true;
    }
    return bus_.write(addr, &value, sizeof(T));
}

// A load of T, sign- or zero-extended to 64 bits as T's signedness says.
template <typename T>
inline bool Iss::load_extended(std::uint64_t addr, std::uint64_t& value) {
    T v = 0;
    if (!load(addr, v)) return false;
    value = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
    return true;
}

// Outside the direct window: a 16-bit parcel, and the second one only for a 32-bit instruction.
bool Iss::fetch_slow(std::uint64_t pc, std::uint32_t& insn, std::uint64_t& fault_addr) {
    std::uint16_t lo = 0, hi = 0;
    if (!read_mem(pc, &lo, 2)) {
        fault_addr = pc;
        return false;
    }
    if ((lo & 3) != 3) {
        insn = lo;
        return true;
    }
    if (!read_mem(pc + 2, &hi, 2)) {
        fault_addr = pc + 2;
        return false;
    }
    insn = lo | static_cast<std::uint32_t>(hi) << 16;
    return true;
}

std::uint32_t Iss::peek_insn(std::uint64_t pc) {
    std::uint32_t insn = 0;
    std::uint64_t unused;
    return fetch_slow(pc, insn, unused) ? insn : 0;
}

bool Iss::is_semihosting_call(std::uint64_t pc) {
    std::uint32_t pre = 0, post = 0;
    return read_mem(pc - 4, &pre, 4) && pre == kSemihostPre && read_mem(pc + 4, &post, 4) &&
           post == kSemihostPost;
}

bool Iss::next_access(MemoryAccess& access) {
    std::uint32_t insn = peek_insn(pc_);
    if ((insn & 3) != 3) insn = expand_compressed(insn & 0xffff);  // 0 (not fetched) stays 0: none
    const unsigned f3 = funct3_of(insn);
    switch ((insn >> 2) & 31) {
        case 0x00:  // LOAD
            if ((insn & 3) != 3 || f3 == 7) return false;
            access = {x_[rs1_of(insn)] + imm_i(insn), 1u << (f3 & 3), true, false};
            return true;
        case 0x08:  // STORE
            if (f3 > 3) return false;
            access = {x_[rs1_of(insn)] + imm_s(insn), 1u << f3, false, true};
            return true;
        case 0x0b: {  // AMO: lr only reads, sc only writes
            if (f3 != 2 && f3 != 3) return false;
            const unsigned funct5 = insn >> 27;
            access = {x_[rs1_of(insn)], f3 == 2 ? 4u : 8u, funct5 != 0x03, funct5 != 0x02};
            return true;
        }
        default: return false;
    }
}

// ---- CSRs ----

bool Iss::csr_read(unsigned addr, std::uint64_t& value) const {
    switch (addr) {
        case kMstatus: value = csr_.mstatus; return true;
        case kMisaAddr: value = kMisa; return true;
        case kMie: value = csr_.mie; return true;
        case kMtvec: value = csr_.mtvec; return true;
        case kMscratch: value = csr_.mscratch; return true;
        case kMepc: value = csr_.mepc; return true;
        case kMcause: value = csr_.mcause; return true;
        case kMtval: value = csr_.mtval; return true;
        case kMip: value = csr_.mip; return true;
        case kMcycle:
        case kCycle:
        case kTime: value = cycles_; return true;
        case kMinstret:
        case kInstret: value = instret_; return true;
        case kMcounteren:
        case kMcountinhibit:
        case kMvendorid:
        case kMarchid:
        case kMimpid:
        case kMhartid: value = 0; return true;
        default: value = 0; return is_zero_counter(addr);
    }
}

// Only called for CSRs that exist and are not read-only. WARL fields keep their legal values.
void Iss::csr_write(unsigned addr, std::uint64_t value) {
    switch (addr) {
        case kMstatus:
            csr_.mstatus = (value & (kMstatusMie | kMstatusMpie)) | kMstatusMppM;
            break;  // M-mode only: MPP stays M
        case kMie: csr_.mie = value & kMieWritable; break;
        case kMtvec: csr_.mtvec = value & ~2ull; break;  // modes 0 (direct) and 1 (vectored)
        case kMscratch: csr_.mscratch = value; break;
        case kMepc: csr_.mepc = value & ~1ull; break;  // IALIGN is 16 with C
        case kMcause: csr_.mcause = value; break;
        case kMtval: csr_.mtval = value; break;
        case kMcycle: cycles_ = value; break;
        case kMinstret: instret_ = value; break;
        default: break;  // misa, mip, mcounteren, mcountinhibit, the zero counters: writes are ignored
    }
}

std::uint64_t Iss::csr(unsigned addr) const {
    std::uint64_t value = 0;
    csr_read(addr, value);
    return value;
}

bool Iss::set_csr(unsigned addr, std::uint64_t value) {
    std::uint64_t old;
    if (!csr_read(addr, old) || csr_read_only(addr)) return false;
    csr_write(addr, value);
    return true;
}

// CSRRW/S/C and the immediate forms. The instruction retires before its write takes effect, so a
// write to mcycle or minstret is what the next instruction reads. False: illegal instruction.
bool Iss::exec_csr(std::uint32_t insn) {
    const unsigned addr = insn >> 20, f3 = funct3_of(insn), rs1 = rs1_of(insn);
    const std::uint64_t src = (f3 & 4) ? rs1 : x_[rs1];
    const bool writes = (f3 & 3) == 1 || rs1 != 0;
    std::uint64_t old;
    if (!csr_read(addr, old) || (writes && csr_read_only(addr))) return false;
    ++instret_;
    cycles_ += cpi_of(cpi_, InsnClass::csr);
    if (writes) {
        switch (f3 & 3) {
            case 1: csr_write(addr, src); break;
            case 2: csr_write(addr, old | src); break;
            default: csr_write(addr, old & ~src); break;
        }
    }
    x_[rd_of(insn)] = old;
    x_[0] = 0;
    return true;
}

// ---- Traps ----

// False when there is no handler: mtvec is 0, or the trap happened at the handler's own first
// instruction (it would trap again forever).
bool Iss::enter_trap(std::uint64_t pc, std::uint64_t cause, std::uint64_t tval) {
    const std::uint64_t vector = csr_.mtvec & ~3ull;  // exceptions use the base in both modes
    if (csr_.mtvec == 0 || pc == vector) return false;
    csr_.mepc = pc;
    csr_.mcause = cause;
    csr_.mtval = tval;
    csr_.mstatus = ((csr_.mstatus & kMstatusMie) ? kMstatusMpie : 0) | kMstatusMppM;  // MPIE = MIE, MIE = 0
    reservation_ = ~0ull;
    cycles_ += cpi_of(cpi_, InsnClass::system);
    pc_ = vector;
    return true;
}

void Iss::raise(std::uint64_t cause, std::uint64_t tval) {
    if (enter_trap(pc_, cause, tval)) return;
    pending_trap_ = true;
    pending_cause_ = cause;
    pending_tval_ = tval;
}

void Iss::retire_custom() {
    pc_ += 4;
    ++instret_;
    cycles_ += cpi_of(cpi_, InsnClass::system);
}

// Like a custom instruction: the wrapper carried out a 4-byte instruction (the ebreak).
void Iss::retire_semihosting() { retire_custom(); }

// ---- M and A ----

namespace {

std::uint64_t mul_div(unsigned f3, std::uint64_t a, std::uint64_t b) {
    using i64 = std::int64_t;
    using i128 = __int128;
    using u128 = unsigned __int128;
    const i64 sa = static_cast<i64>(a), sb = static_cast<i64>(b);
    switch (f3) {
        case 0: return a * b;
        case 1:
            return static_cast<std::uint64_t>(static_cast<u128>(static_cast<i128>(sa) * sb) >> 64);  // mulh
        case 2:
            return static_cast<std::uint64_t>(
                static_cast<u128>(static_cast<i128>(sa) * static_cast<i128>(b)) >> 64);  // mulhsu
        case 3: return static_cast<std::uint64_t>((static_cast<u128>(a) * b) >> 64);     // mulhu
        case 4:  // div: x/0 = -1, overflow gives the dividend
            if (b == 0) return ~0ull;
            if (sb == -1) return 0 - a;
            return static_cast<std::uint64_t>(sa / sb);
        case 5: return b == 0 ? ~0ull : a / b;
        case 6:  // rem: x%0 = x, overflow gives 0
            if (b == 0) return a;
            if (sb == -1) return 0;
            return static_cast<std::uint64_t>(sa % sb);
        default: return b == 0 ? a : a % b;
    }
}

std::uint64_t mul_div_w(unsigned f3, std::uint64_t a64, std::uint64_t b64) {
    const auto a = static_cast<std::uint32_t>(a64), b = static_cast<std::uint32_t>(b64);
    const auto sa = static_cast<std::int32_t>(a), sb = static_cast<std::int32_t>(b);
    switch (f3) {
        case 0: return sext32(a * b);
        case 4:
            if (b == 0) return ~0ull;
            if (sb == -1) return sext32(0u - a);
            return sext32(static_cast<std::uint32_t>(sa / sb));
        case 5: return sext32(b == 0 ? ~0u : a / b);
        case 6:
            if (b == 0) return sext32(a);
            if (sb == -1) return 0;
            return sext32(static_cast<std::uint32_t>(sa % sb));
        default: return sext32(b == 0 ? a : a % b);
    }
}

// funct5 values of the AMOs: swap, add, xor, and, or, min, max, minu, maxu.
constexpr std::uint32_t kAmoFunct5 = (1u << 0x01) | (1u << 0x00) | (1u << 0x04) | (1u << 0x0c) |
                                     (1u << 0x08) | (1u << 0x10) | (1u << 0x14) | (1u << 0x18) | (1u << 0x1c);

template <typename T>
T amo_op(unsigned funct5, T mem, T reg) {
    using S = std::make_signed_t<T>;
    switch (funct5) {
        case 0x00: return mem + reg;
        case 0x01: return reg;
        case 0x04: return mem ^ reg;
        case 0x08: return mem | reg;
        case 0x0c: return mem & reg;
        case 0x10: return static_cast<S>(mem) < static_cast<S>(reg) ? mem : reg;
        case 0x14: return static_cast<S>(mem) > static_cast<S>(reg) ? mem : reg;
        case 0x18: return mem < reg ? mem : reg;
        default: return mem > reg ? mem : reg;  // 0x1c
    }
}

}  // namespace

// LR, SC and the AMOs of one width. Returns the exception cause, or 0 (no exception is cause 0
// here: a misaligned fetch cannot come from an AMO); ~0 for an illegal encoding.
template <typename T>
std::uint64_t Iss::exec_atomic(std::uint32_t insn, std::uint64_t& tval, InsnClass& cls) {
    const std::uint64_t addr = x_[rs1_of(insn)];
    const unsigned funct5 = insn >> 27, rd = rd_of(insn);
    const T src = static_cast<T>(x_[rs2_of(insn)]);
    auto widen = [](T v) {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::make_signed_t<T>>(v)));
    };
    tval = addr;
    if (funct5 == 0x02) {  // lr
        if (rs2_of(insn) != 0) return ~0ull;
        if (addr & (sizeof(T) - 1)) return kMisalignedLoad;
        T v;
        if (!load(addr, v)) return kLoadAccess;
        reservation_ = addr;
        x_[rd] = widen(v);
        cls = InsnClass::load;
        return 0;
    }
    if (funct5 == 0x03) {  // sc: succeeds (rd = 0) only on the address the last lr reserved
        if (addr & (sizeof(T) - 1)) return kMisalignedStore;
        const bool ok = reservation_ == addr;
        if (ok && !store(addr, src)) return kStoreAccess;
        reservation_ = ~0ull;
        x_[rd] = ok ? 0 : 1;
        cls = InsnClass::store;
        return 0;
    }
    if (!((kAmoFunct5 >> funct5) & 1)) return ~0ull;
    if (addr & (sizeof(T) - 1)) return kMisalignedStore;
    T old;
    if (!load(addr, old) || !store(addr, amo_op<T>(funct5, old, src))) return kStoreAccess;
    x_[rd] = widen(old);
    cls = InsnClass::load;
    return 0;
}

// ---- The interpreter ----

Stop Iss::run(std::uint64_t max_instructions) {
    if (pending_trap_) {
        pending_trap_ = false;
        return Stop{StopReason::trap, pc_, peek_insn(pc_), pending_cause_, pending_tval_};
    }
    if (pc_ & 1) {  // only reset() can leave pc odd; every jump and trap keeps it even
        if (!enter_trap(pc_, kMisalignedFetch, pc_))
            return Stop{StopReason::trap, pc_, 0, kMisalignedFetch, pc_};
    }
    // pc, instret and cycles live in locals: host stores through direct_.ptr may alias any
    // member, locals whose address is never taken cannot be. They go back to the members
    // whenever code outside this loop needs them.
    std::uint64_t pc = pc_, instret = instret_, cycles = cycles_;
    std::uint64_t budget = max_instructions;  // not instret: a CSR write may change instret
    const CpiTable cpi = cpi_;
    auto sync_out = [&] {
        pc_ = pc;
        instret_ = instret;
        cycles_ = cycles;
    };
    auto sync_in = [&] {
        pc = pc_;
        instret = instret_;
        cycles = cycles_;
    };
    auto* const x = x_.data();
    std::uint64_t cause = 0, tval = 0;
    std::uint32_t raw = 0;

    while (budget) {
        std::uint32_t insn;
        const std::uint64_t off = pc - direct_.base;
        if (off < fetch_span_) {
            std::memcpy(&insn, direct_.ptr + off, 4);
        } else if (!fetch_slow(pc, insn, tval)) {
            raw = 0;
            cause = kFetchAccess;
            goto trap;
        }
        {
            raw = insn;
            std::uint64_t next = pc + 4;
            if ((insn & 3) != 3) {
                raw = insn & 0xffff;
                insn = expand_compressed(raw);
                next = pc + 2;
                if (!insn) goto illegal;
            }
            const unsigned rd = rd_of(insn), rs1 = rs1_of(insn), rs2 = rs2_of(insn), f3 = funct3_of(insn);
            InsnClass cls = InsnClass::alu;
            switch ((insn >> 2) & 31) {
                case 0x00: {  // LOAD
                    if (f3 == 7) goto illegal;
                    const std::uint64_t addr = x[rs1] + imm_i(insn);
                    if (addr & ((1u << (f3 & 3)) - 1)) {
                        cause = kMisalignedLoad;
                        tval = addr;
                        goto trap;
                    }
                    std::uint64_t v = 0;
                    bool ok;
                    switch (f3) {
                        case 0: ok = load_extended<std::int8_t>(addr, v); break;
                        case 1: ok = load_extended<std::int16_t>(addr, v); break;
                        case 2: ok = load_extended<std::int32_t>(addr, v); break;
                        case 3: ok = load(addr, v); break;
                        case 4: ok = load_extended<std::uint8_t>(addr, v); break;
                        case 5: ok = load_extended<std::uint16_t>(addr, v); break;
                        default: ok = load_extended<std::uint32_t>(addr, v); break;
                    }
                    if (!ok) {
                        cause = kLoadAccess;
                        tval = addr;
                        goto trap;
                    }
                    x[rd] = v;
                    cls = InsnClass::load;
                    break;
                }
                case 0x03:  // MISC-MEM: fence, fence.i (one hart, no caches)
                    if (f3 > 1) goto illegal;
                    cls = InsnClass::system;
                    break;
                case 0x04: {  // OP-IMM
                    const std::uint64_t a = x[rs1], imm = imm_i(insn);
                    const unsigned shamt = (insn >> 20) & 63, f6 = insn >> 26;
                    switch (f3) {
                        case 0: x[rd] = a + imm; break;
                        case 1:
                            if (f6 != 0) goto illegal;
                            x[rd] = a << shamt;
                            break;
                        case 2: x[rd] = static_cast<std::int64_t>(a) < static_cast<std::int64_t>(imm); break;
                        case 3: x[rd] = a < imm; break;
                        case 4: x[rd] = a ^ imm; break;
                        case 5:
                            if (f6 == 0)
                                x[rd] = a >> shamt;
                            else if (f6 == 0x10)
                                x[rd] = static_cast<std::uint64_t>(static_cast<std::int64_t>(a) >> shamt);
                            else
                                goto illegal;
                            break;
                        case 6: x[rd] = a | imm; break;
                        default: x[rd] = a & imm; break;
                    }
                    break;
                }
                case 0x05: x[rd] = pc + imm_u(insn); break;  // AUIPC
                case 0x06: {                                 // OP-IMM-32
                    const std::uint32_t a = static_cast<std::uint32_t>(x[rs1]);
                    const unsigned shamt = (insn >> 20) & 31, f7 = insn >> 25;
                    switch (f3) {
                        case 0: x[rd] = sext32(a + static_cast<std::uint32_t>(imm_i(insn))); break;
                        case 1:
                            if (f7 != 0) goto illegal;
                            x[rd] = sext32(a << shamt);
                            break;
                        case 5:
                            if (f7 == 0)
                                x[rd] = sext32(a >> shamt);
                            else if (f7 == 0x20)
                                x[rd] =
                                    sext32(static_cast<std::uint32_t>(static_cast<std::int32_t>(a) >> shamt));
                            else
                                goto illegal;
                            break;
                        default: goto illegal;
                    }
                    break;
                }
                case 0x08: {  // STORE
                    const std::uint64_t addr = x[rs1] + imm_s(insn);
                    const std::uint64_t v = x[rs2];
                    if (f3 > 3) goto illegal;
                    if (addr & ((1u << f3) - 1)) {
                        cause = kMisalignedStore;
                        tval = addr;
                        goto trap;
                    }
                    bool ok;
                    switch (f3) {
                        case 0: ok = store(addr, static_cast<std::uint8_t>(v)); break;
                        case 1: ok = store(addr, static_cast<std::uint16_t>(v)); break;
                        case 2: ok = store(addr, static_cast<std::uint32_t>(v)); break;
                        default: ok = store(addr, v); break;
                    }
                    if (!ok) {
                        cause = kStoreAccess;
                        tval = addr;
                        goto trap;
                    }
                    cls = InsnClass::store;
                    break;
                }
                case 0x0b: {  // AMO
                    std::uint64_t c;
                    if (f3 == 2)
                        c = exec_atomic<std::uint32_t>(insn, tval, cls);
                    else if (f3 == 3)
                        c = exec_atomic<std::uint64_t>(insn, tval, cls);
                    else
                        goto illegal;
                    if (c == ~0ull) goto illegal;
                    if (c) {
                        cause = c;
                        goto trap;
                    }
                    break;
                }
                case 0x0c: {  // OP
                    const std::uint64_t a = x[rs1], b = x[rs2];
                    const unsigned f7 = insn >> 25;
                    if (f7 == 1) {
                        x[rd] = mul_div(f3, a, b);
                        cls = f3 < 4 ? InsnClass::mul : InsnClass::div;
                        break;
                    }
                    if (f7 == 0x20) {
                        if (f3 == 0)
                            x[rd] = a - b;
                        else if (f3 == 5)
                            x[rd] = static_cast<std::uint64_t>(static_cast<std::int64_t>(a) >> (b & 63));
                        else
                            goto illegal;
                        break;
                    }
                    if (f7 != 0) goto illegal;
                    switch (f3) {
                        case 0: x[rd] = a + b; break;
                        case 1: x[rd] = a << (b & 63); break;
                        case 2: x[rd] = static_cast<std::int64_t>(a) < static_cast<std::int64_t>(b); break;
                        case 3: x[rd] = a < b; break;
                        case 4: x[rd] = a ^ b; break;
                        case 5: x[rd] = a >> (b & 63); break;
                        case 6: x[rd] = a | b; break;
                        default: x[rd] = a & b; break;
                    }
                    break;
                }
                case 0x0d: x[rd] = imm_u(insn); break;  // LUI
                case 0x0e: {                            // OP-32
                    const std::uint32_t a = static_cast<std::uint32_t>(x[rs1]),
                                        b = static_cast<std::uint32_t>(x[rs2]);
                    const unsigned f7 = insn >> 25;
                    if (f7 == 1) {
                        if (f3 >= 1 && f3 <= 3) goto illegal;
                        x[rd] = mul_div_w(f3, a, b);
                        cls = f3 == 0 ? InsnClass::mul : InsnClass::div;
                    } else if (f7 == 0 && f3 == 0) {
                        x[rd] = sext32(a + b);
                    } else if (f7 == 0x20 && f3 == 0) {
                        x[rd] = sext32(a - b);
                    } else if (f7 == 0 && f3 == 1) {
                        x[rd] = sext32(a << (b & 31));
                    } else if (f7 == 0 && f3 == 5) {
                        x[rd] = sext32(a >> (b & 31));
                    } else if (f7 == 0x20 && f3 == 5) {
                        x[rd] = sext32(static_cast<std::uint32_t>(static_cast<std::int32_t>(a) >> (b & 31)));
                    } else {
                        goto illegal;
                    }
                    break;
                }
                case 0x18: {  // BRANCH
                    const std::uint64_t a = x[rs1], b = x[rs2];
                    bool taken;
                    switch (f3) {
                        case 0: taken = a == b; break;
                        case 1: taken = a != b; break;
                        case 4: taken = static_cast<std::int64_t>(a) < static_cast<std::int64_t>(b); break;
                        case 5: taken = static_cast<std::int64_t>(a) >= static_cast<std::int64_t>(b); break;
                        case 6: taken = a < b; break;
                        case 7: taken = a >= b; break;
                        default: goto illegal;
                    }
                    if (taken) next = pc + imm_b(insn);
                    cls = taken ? InsnClass::branch_taken : InsnClass::branch_not_taken;
                    break;
                }
                case 0x19: {  // JALR (bit 0 of the target is cleared; with C it is then always 2-aligned)
                    if (f3 != 0) goto illegal;
                    const std::uint64_t target = (x[rs1] + imm_i(insn)) & ~1ull;
                    x[rd] = next;
                    next = target;
                    cls = InsnClass::jump;
                    break;
                }
                case 0x1b:  // JAL
                    x[rd] = next;
                    next = pc + imm_j(insn);
                    cls = InsnClass::jump;
                    break;
                case 0x1c:  // SYSTEM
                    if (f3 == 0) {
                        switch (insn) {
                            case 0x00000073:  // ecall
                                cause = kEcallM;
                                tval = 0;
                                goto trap;
                            case kEbreak:
                                if (next == pc + 4 && is_semihosting_call(pc)) {
                                    sync_out();
                                    return Stop{StopReason::semihosting, pc, raw};
                                }
                                cause = kBreakpoint;
                                tval = 0;
                                goto trap;
                            case 0x30200073:  // mret (M-mode only: MPP stays M)
                                next = csr_.mepc;
                                csr_.mstatus = ((csr_.mstatus & kMstatusMpie) ? kMstatusMie : 0) |
                                               kMstatusMpie | kMstatusMppM;
                                break;
                            case 0x10500073: break;  // wfi: no interrupts, so a nop
                            default: goto illegal;
                        }
                        cls = InsnClass::system;
                        break;
                    }
                    if (f3 == 4) goto illegal;
                    sync_out();
                    if (!exec_csr(insn)) goto illegal;  // exec_csr retires it itself
                    sync_in();
                    pc = next;
                    --budget;
                    continue;
                case 0x02:
                case 0x0a:
                case 0x16:
                case 0x1e:  // custom-0..3: the wrapper carries them out
                    sync_out();
                    return Stop{StopReason::custom, pc, raw};
                default: goto illegal;
            }
            x[0] = 0;
            pc = next;
            ++instret;
            --budget;
            cycles += cpi[static_cast<std::size_t>(cls)];
            continue;
        }
    illegal:
        cause = kIllegalInstruction;
        tval = raw;
    trap:
        sync_out();
        if (!enter_trap(pc, cause, tval)) return Stop{StopReason::trap, pc, raw, cause, tval};
        sync_in();
    }
    sync_out();
    return Stop{StopReason::budget, pc, 0};
}

}  // namespace elstm::rv
