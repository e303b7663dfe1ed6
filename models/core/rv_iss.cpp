#include <elstm_vp/core/rv_iss.hpp>

#include <cstring>
#include <iterator>
#include <type_traits>

// The loads and stores copy little-endian target values straight to and from host memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the ISS needs a little-endian host");

namespace elstm::rv {
namespace {

inline std::uint64_t sext32(std::uint64_t v) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v)));
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
      fetch_span_(direct_.size >= 4 ? direct_.size - 3 : 0),
      block_start_(fetch_span_ ? std::make_unique<std::uint64_t[]>(kBlocks) : nullptr),
      blocks_(fetch_span_ ? std::make_unique<std::unique_ptr<DecodedBlock>[]>(kBlocks) : nullptr) {
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
    const Decoded d = decode(peek_insn(pc_));  // not fetched: 0, illegal, no access
    const std::uint64_t addr = x_[d.rs1] + static_cast<std::uint64_t>(static_cast<std::int64_t>(d.imm));
    switch (d.op) {
        case Op::lb:
        case Op::lbu: access = {addr, 1, true, false}; return true;
        case Op::lh:
        case Op::lhu: access = {addr, 2, true, false}; return true;
        case Op::lw:
        case Op::lwu: access = {addr, 4, true, false}; return true;
        case Op::ld: access = {addr, 8, true, false}; return true;
        case Op::sb: access = {addr, 1, false, true}; return true;
        case Op::sh: access = {addr, 2, false, true}; return true;
        case Op::sw: access = {addr, 4, false, true}; return true;
        case Op::sd: access = {addr, 8, false, true}; return true;
        case Op::amo_w:
        case Op::amo_d: {  // lr only reads, sc only writes
            const unsigned funct5 = d.word >> 27;
            access = {x_[d.rs1], d.op == Op::amo_w ? 4u : 8u, funct5 != 0x03, funct5 != 0x02};
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

// Threaded code over decoded blocks: every handler ends by jumping straight to the next
// instruction's handler (GCC/Clang labels as values), so each handler's indirect jump is
// predicted on its own. A block is entered only when the budget covers all of it, and its
// instructions are counted on entry; the budget and the window are checked per block, the
// memory word per instruction. Outside the window an instruction is fetched through the Bus
// and run as a block of its own.
Stop Iss::run(std::uint64_t max_instructions) {
    if (pending_trap_) {
        pending_trap_ = false;
        return Stop{StopReason::trap, pc_, peek_insn(pc_), pending_cause_, pending_tval_};
    }
    if (pc_ & 1) {  // only reset() can leave pc odd; every jump and trap keeps it even
        if (!enter_trap(pc_, kMisalignedFetch, pc_))
            return Stop{StopReason::trap, pc_, 0, kMisalignedFetch, pc_};
    }
    static constexpr void* kHandlers[] = {
#define ELSTM_RV_OP_LABEL(name) &&op_##name,
        ELSTM_RV_OPS(ELSTM_RV_OP_LABEL)
#undef ELSTM_RV_OP_LABEL
    };
    static_assert(std::size(kHandlers) == static_cast<std::size_t>(Op::count));

    // The pc lives in a local as its offset in the direct window (wrapping outside it), the
    // cycles and the budget in locals too: host stores through direct_.ptr may alias any member,
    // locals whose address is never taken cannot be. Retired instructions are counted by the
    // budget, and so are the cycles of the ALU class, the most frequent: every other instruction
    // adds only its difference to the ALU's CPI (modulo 2^64, so a cheaper class subtracts):
    //   instret = instret0 + retired, cycles = cycles0 + retired * c_alu + extra.
    // They go back to the members whenever code outside this function needs them.
    // Inside a block `off` is the block's start; the budget already counts the whole block.
    std::uint8_t* const window = direct_.ptr;
    const std::uint64_t window_base = direct_.base, span = fetch_span_;
    std::uint64_t off = pc_ - window_base;
    std::uint64_t budget = max_instructions, budget0 = budget, instret0 = instret_, cycles0 = cycles_, extra = 0;
    auto cpi = [this](InsnClass c) -> std::uint64_t { return cpi_of(cpi_, c); };
    const std::uint64_t c_alu = cpi(InsnClass::alu);
    auto over_alu = [&](InsnClass c) { return cpi(c) - c_alu; };
    const std::uint64_t e_load = over_alu(InsnClass::load), e_store = over_alu(InsnClass::store),
                        e_mul = over_alu(InsnClass::mul), e_div = over_alu(InsnClass::div),
                        e_taken = over_alu(InsnClass::branch_taken),
                        e_not_taken = over_alu(InsnClass::branch_not_taken), e_jump = over_alu(InsnClass::jump),
                        e_system = over_alu(InsnClass::system);
    auto sync_out = [&] {
        const std::uint64_t retired = budget0 - budget;
        pc_ = window_base + off;
        instret_ = instret0 + retired;
        cycles_ = cycles0 + retired * c_alu + extra;
    };
    auto sync_in = [&] {
        off = pc_ - window_base;
        instret0 = instret_;
        budget0 = budget;
        cycles0 = cycles_;
        extra = 0;
    };
    std::uint64_t* const x = x_.data();
    std::unique_ptr<DecodedBlock>* const blocks = blocks_.get();
    std::size_t slot = 0;  // the running block's slot (unless it is `single`)
    std::uint64_t* const block_start = block_start_.get();
    DecodedBlock* block = nullptr;  // the block running
    DecodedBlock single;            // a block of one instruction: budget nearly spent, or fetched through the Bus
    const std::uint8_t* host = nullptr;  // the block's first byte (for a Bus fetch: bus_word)
    std::uint32_t bus_word = 0;
    const Decoded* d = nullptr;
    std::uint64_t cause = 0, tval = 0;
    std::uint32_t raw = 0;

    auto imm = [&d] { return static_cast<std::uint64_t>(static_cast<std::int64_t>(d->imm)); };
    // The offset of the instruction running.
    auto here = [&] { return off + d->boff; };

// Runs *d if memory still holds it.
#define GO()                                                      \
    do {                                                          \
        std::uint32_t word_;                                      \
        std::memcpy(&word_, host + d->boff, 4);                   \
        if (__builtin_expect(word_ != d->word, 0)) goto stale;    \
        goto* kHandlers[static_cast<unsigned>(d->op)];            \
    } while (0)
#define NEXT()  \
    do {        \
        ++d;    \
        GO();   \
    } while (0)
#define RETIRE(over_alu)     \
    do {                     \
        extra += (over_alu); \
        NEXT();              \
    } while (0)
#define ALU(expr)          \
    do {                   \
        x[d->rd] = (expr); \
        NEXT();            \
    } while (0)
// The instruction running does not retire: off becomes its offset, the budget gives back it and
// the rest of its block.
#define LEAVE_BLOCK()                                                               \
    do {                                                                            \
        budget += block->n - static_cast<std::uint64_t>(d - block->insn);           \
        off += d->boff;                                                             \
    } while (0)
#define FAULT(c, t)     \
    do {                \
        cause = (c);    \
        tval = (t);     \
        goto trap_insn; \
    } while (0)
#define LOAD(T)                                                              \
    do {                                                                     \
        const std::uint64_t addr = x[d->rs1] + imm();                        \
        if (addr & (sizeof(T) - 1)) FAULT(kMisalignedLoad, addr);            \
        T v;                                                                 \
        if (!load(addr, v)) FAULT(kLoadAccess, addr);                        \
        x[d->rd] = static_cast<std::uint64_t>(static_cast<std::int64_t>(v)); \
        RETIRE(e_load);                                                      \
    } while (0)
#define STORE(T)                                                                \
    do {                                                                        \
        const std::uint64_t addr = x[d->rs1] + imm();                           \
        if (addr & (sizeof(T) - 1)) FAULT(kMisalignedStore, addr);              \
        if (!store(addr, static_cast<T>(x[d->rs2]))) FAULT(kStoreAccess, addr); \
        RETIRE(e_store);                                                        \
    } while (0)
// The next block, when it is decoded, fits the budget and lies in the window; else the general
// path at `dispatch`. A copy in every handler that ends a block, so that the jump into the next
// block is predicted from where it comes.
#define ENTER_BLOCK()                                                                       \
    do {                                                                                    \
        if (__builtin_expect(off >= span, 0)) goto dispatch;                                \
        slot = (off >> 1) & (kBlocks - 1);                                                  \
        if (__builtin_expect(block_start[slot] != off + 1, 0)) goto dispatch;               \
        block = blocks[slot].get();                                                         \
        if (__builtin_expect(block->n > budget, 0)) goto dispatch;                          \
        host = window + off;                                                                \
        budget -= block->n;                                                                 \
        d = block->insn;                                                                    \
        GO();                                                                               \
    } while (0)
// A branch ends its block.
#define BRANCH(cond)                                      \
    do {                                                  \
        const std::uint64_t a = x[d->rs1], b = x[d->rs2]; \
        if (cond) {                                       \
            off = here() + imm();                         \
            extra += e_taken;                             \
        } else {                                          \
            off = here() + d->len;                        \
            extra += e_not_taken;                         \
        }                                                 \
        ENTER_BLOCK();                                    \
    } while (0)

    using i64 = std::int64_t;
    using i32 = std::int32_t;
    using u32 = std::uint32_t;

dispatch:  // a block starts at off
    if (!budget) goto out;
    if (off >= span) goto fetch_bus;
    slot = (off >> 1) & (kBlocks - 1);
    if (block_start[slot] != off + 1) {
        if (!blocks[slot]) blocks[slot] = std::make_unique<DecodedBlock>();
        decode_block(*blocks[slot], window, off, span);
        block_start[slot] = off + 1;
    }
    block = blocks[slot].get();
    if (block->n > budget) {
        single_block(single, block->insn[0]);
        block = &single;
    }
    host = window + off;
    budget -= block->n;
    d = block->insn;
    GO();

fetch_bus : {
    std::uint32_t insn;
    if (!fetch_slow(window_base + off, insn, tval)) {
        raw = 0;
        cause = kFetchAccess;
        goto trap;
    }
    single_block(single, decode(insn));
    block = &single;
    bus_word = insn;
    host = reinterpret_cast<const std::uint8_t*>(&bus_word);
    budget -= 1;
    d = block->insn;
    goto* kHandlers[static_cast<unsigned>(d->op)];
}

stale:  // the word at d's pc changed since the block was decoded
    if (d->op == Op::block_end) goto op_block_end;  // its check rereads the first word: that one ran
    LEAVE_BLOCK();
    if (block != &single) block_start[slot] = 0;
    block_start[(off >> 1) & (kBlocks - 1)] = 0;  // a block starting at d's pc, decoded from the old word
    goto dispatch;

op_block_end:
    off += d->imm;
    ENTER_BLOCK();

op_lb: LOAD(std::int8_t);
op_lh: LOAD(std::int16_t);
op_lw: LOAD(std::int32_t);
op_ld: LOAD(std::int64_t);
op_lbu: LOAD(std::uint8_t);
op_lhu: LOAD(std::uint16_t);
op_lwu: LOAD(std::uint32_t);
op_sb: STORE(std::uint8_t);
op_sh: STORE(std::uint16_t);
op_sw: STORE(std::uint32_t);
op_sd: STORE(std::uint64_t);
op_fence:  // fence, fence.i: one hart, and every instruction is checked against memory
op_wfi:    // no interrupts, so a nop
    RETIRE(e_system);
op_addi: ALU(x[d->rs1] + imm());
op_slli: ALU(x[d->rs1] << d->imm);
op_slti: ALU(static_cast<i64>(x[d->rs1]) < static_cast<i64>(imm()));
op_sltiu: ALU(x[d->rs1] < imm());
op_xori: ALU(x[d->rs1] ^ imm());
op_srli: ALU(x[d->rs1] >> d->imm);
op_srai: ALU(static_cast<std::uint64_t>(static_cast<i64>(x[d->rs1]) >> d->imm));
op_ori: ALU(x[d->rs1] | imm());
op_andi: ALU(x[d->rs1] & imm());
op_auipc: ALU(direct_.base + here() + imm());
op_lui: ALU(imm());
op_addiw: ALU(sext32(static_cast<u32>(x[d->rs1]) + static_cast<u32>(d->imm)));
op_slliw: ALU(sext32(static_cast<u32>(x[d->rs1]) << d->imm));
op_srliw: ALU(sext32(static_cast<u32>(x[d->rs1]) >> d->imm));
op_sraiw: ALU(sext32(static_cast<u32>(static_cast<i32>(x[d->rs1]) >> d->imm)));
op_add: ALU(x[d->rs1] + x[d->rs2]);
op_sub: ALU(x[d->rs1] - x[d->rs2]);
op_sll: ALU(x[d->rs1] << (x[d->rs2] & 63));
op_slt: ALU(static_cast<i64>(x[d->rs1]) < static_cast<i64>(x[d->rs2]));
op_sltu: ALU(x[d->rs1] < x[d->rs2]);
op_xor_: ALU(x[d->rs1] ^ x[d->rs2]);
op_srl: ALU(x[d->rs1] >> (x[d->rs2] & 63));
op_sra: ALU(static_cast<std::uint64_t>(static_cast<i64>(x[d->rs1]) >> (x[d->rs2] & 63)));
op_or_: ALU(x[d->rs1] | x[d->rs2]);
op_and_: ALU(x[d->rs1] & x[d->rs2]);
op_addw: ALU(sext32(static_cast<u32>(x[d->rs1]) + static_cast<u32>(x[d->rs2])));
op_subw: ALU(sext32(static_cast<u32>(x[d->rs1]) - static_cast<u32>(x[d->rs2])));
op_sllw: ALU(sext32(static_cast<u32>(x[d->rs1]) << (x[d->rs2] & 31)));
op_srlw: ALU(sext32(static_cast<u32>(x[d->rs1]) >> (x[d->rs2] & 31)));
op_sraw: ALU(sext32(static_cast<u32>(static_cast<i32>(x[d->rs1]) >> (x[d->rs2] & 31))));
op_mul:
op_mulh:
op_mulhsu:
op_mulhu:
    x[d->rd] = mul_div(static_cast<unsigned>(d->op) - static_cast<unsigned>(Op::mul), x[d->rs1], x[d->rs2]);
    RETIRE(e_mul);
op_div:
op_divu:
op_rem:
op_remu:
    x[d->rd] = mul_div(static_cast<unsigned>(d->op) - static_cast<unsigned>(Op::mul), x[d->rs1], x[d->rs2]);
    RETIRE(e_div);
op_mulw:
    x[d->rd] = mul_div_w(0, x[d->rs1], x[d->rs2]);
    RETIRE(e_mul);
op_divw:
op_divuw:
op_remw:
op_remuw:  // funct3 4..7 in the order of the ops
    x[d->rd] = mul_div_w(4 + static_cast<unsigned>(d->op) - static_cast<unsigned>(Op::divw), x[d->rs1], x[d->rs2]);
    RETIRE(e_div);
op_beq: BRANCH(a == b);
op_bne: BRANCH(a != b);
op_blt: BRANCH(static_cast<i64>(a) < static_cast<i64>(b));
op_bge: BRANCH(static_cast<i64>(a) >= static_cast<i64>(b));
op_bltu: BRANCH(a < b);
op_bgeu: BRANCH(a >= b);
op_jalr: {  // bit 0 of the target is cleared; with C it is then always 2-aligned
    const std::uint64_t target = (x[d->rs1] + imm()) & ~1ull;
    x[d->rd] = direct_.base + here() + d->len;
    off = target - window_base;
    extra += e_jump;
    ENTER_BLOCK();
}
op_jal:
    x[d->rd] = direct_.base + here() + d->len;
    off = here() + imm();
    extra += e_jump;
    ENTER_BLOCK();
op_mret:  // M-mode only: MPP stays M
    off = csr_.mepc - window_base;
    csr_.mstatus = ((csr_.mstatus & kMstatusMpie) ? kMstatusMie : 0) | kMstatusMpie | kMstatusMppM;
    extra += e_system;
    goto dispatch;
op_amo_w:
op_amo_d: {
    InsnClass cls = InsnClass::alu;
    const std::uint64_t c = d->op == Op::amo_w ? exec_atomic<std::uint32_t>(d->word, tval, cls)
                                               : exec_atomic<std::uint64_t>(d->word, tval, cls);
    if (c == ~0ull) goto op_illegal;
    if (c) {
        cause = c;
        goto trap_insn;
    }
    x[0] = 0;
    RETIRE(over_alu(cls));
}
op_csr:
    LEAVE_BLOCK();
    sync_out();
    raw = d->insn();
    if (!exec_csr(d->word)) {
        cause = kIllegalInstruction;
        tval = raw;
        goto trap;
    }
    --budget;  // exec_csr retired it
    sync_in();
    off += d->len;
    goto dispatch;
op_ecall: FAULT(kEcallM, 0);
op_ebreak:
    LEAVE_BLOCK();
    raw = d->insn();
    if (d->len == 4 && is_semihosting_call(window_base + off)) {
        sync_out();
        return Stop{StopReason::semihosting, pc_, raw};
    }
    cause = kBreakpoint;
    tval = 0;
    goto trap;
op_custom:
    LEAVE_BLOCK();
    sync_out();
    return Stop{StopReason::custom, pc_, d->insn()};
op_illegal:
    cause = kIllegalInstruction;
    tval = d->insn();
trap_insn:
    raw = d->insn();
    LEAVE_BLOCK();
trap:
    sync_out();
    if (!enter_trap(pc_, cause, tval)) return Stop{StopReason::trap, pc_, raw, cause, tval};
    sync_in();
    goto dispatch;
out:
    sync_out();
    return Stop{StopReason::budget, pc_, 0};
#undef GO
#undef NEXT
#undef RETIRE
#undef ALU
#undef LEAVE_BLOCK
#undef FAULT
#undef LOAD
#undef STORE
#undef BRANCH
#undef ENTER_BLOCK
}

}  // namespace elstm::rv
