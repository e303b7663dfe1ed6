#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include <elstm_vp/core/rv_decode.hpp>

// An instruction-set simulator for RV64IMAC + Zicsr, machine mode only, one hart. Plain C++:
// the SystemC wrapper (riscv_core.hpp) gives it memory, time and the outside world.
namespace elstm::rv {

// mcause values of the synchronous exceptions it raises.
enum Cause : std::uint64_t {
    kMisalignedFetch = 0,
    kFetchAccess = 1,
    kIllegalInstruction = 2,
    kBreakpoint = 3,
    kMisalignedLoad = 4,
    kLoadAccess = 5,
    kMisalignedStore = 6,
    kStoreAccess = 7,
    kEcallM = 11,
};
const char* cause_name(std::uint64_t cause);

// Memory outside the direct window (and the window itself when none is given).
class Bus {
public:
    virtual ~Bus() = default;
    // false: nothing there (the ISS raises an access fault).
    virtual bool read(std::uint64_t addr, void* data, unsigned len) = 0;
    virtual bool write(std::uint64_t addr, const void* data, unsigned len) = 0;
};

// A host pointer to [base, base+size) of target memory (TLM DMI): loads, stores and fetches
// inside it bypass the Bus.
struct DirectMemory {
    std::uint8_t* ptr = nullptr;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
};

// Timing classes: each retired instruction costs the cycles of its class.
enum class InsnClass : std::uint8_t { alu, load, store, mul, div, branch_taken, branch_not_taken, jump, csr, system, count };
using CpiTable = std::array<std::uint32_t, static_cast<std::size_t>(InsnClass::count)>;
constexpr CpiTable kDefaultCpi{1, 2, 1, 3, 20, 2, 1, 2, 1, 1};

enum class StopReason {
    budget,      // run()'s instruction count reached
    custom,      // a custom-0..3 instruction at pc(): the wrapper executes it, then retire_custom()
    semihosting, // the semihosting sequence's ebreak at pc(): op in a0, argument in a1
    trap,        // an exception with mtvec == 0 (no handler): cause/tval/insn say which
};

struct Stop {
    StopReason reason = StopReason::budget;
    std::uint64_t pc = 0;
    std::uint32_t insn = 0;   // the instruction at pc (custom, semihosting, trapping)
    std::uint64_t cause = 0;  // trap only
    std::uint64_t tval = 0;   // trap only
};

// A load, store or AMO's data access: `len` bytes at `addr`, read and/or written.
struct MemoryAccess {
    std::uint64_t addr = 0;
    unsigned len = 0;
    bool read = false, write = false;
};

class Iss {
public:
    Iss(Bus& bus, DirectMemory direct, const CpiTable& cpi = kDefaultCpi);

    void reset(std::uint64_t pc);
    // Executes until `max_instructions` more have retired or the wrapper is needed.
    Stop run(std::uint64_t max_instructions);

    std::uint64_t reg(unsigned i) const { return x_[i]; }
    void set_reg(unsigned i, std::uint64_t v) {
        if (i) x_[i] = v;
    }
    std::uint64_t pc() const { return pc_; }
    void set_pc(std::uint64_t pc) { pc_ = pc; }  // a debugger's write

    // The custom instruction at pc() has been carried out: pc moves past it and it retires.
    void retire_custom();
    // The semihosting call at pc() has been served (result already in a0): resume after the ebreak.
    void retire_semihosting();
    // Takes the exception at pc() (e.g. illegal instruction for a RoCC funct the accelerator
    // does not know). With mtvec == 0 the next run() stops with StopReason::trap at once.
    void raise(std::uint64_t cause, std::uint64_t tval);
    // Cycles spent outside the ISS (waiting for the accelerator) count in mcycle too.
    void add_cycles(std::uint64_t cycles) { cycles_ += cycles; }

    // The data access the instruction at pc() makes with the registers as they are now; false
    // when it makes none (or cannot be fetched). For a debugger's watchpoints, outside run().
    bool next_access(MemoryAccess& access);

    std::uint64_t instret() const { return instret_; }
    std::uint64_t cycles() const { return cycles_; }
    std::uint64_t csr(unsigned addr) const;  // for tests and error messages
    // A debugger's write, as csrrw would do it; false (nothing written) where csrrw would trap.
    bool set_csr(unsigned addr, std::uint64_t value);

private:
    // Implementation state; see rv_iss.cpp.
    struct Csrs {
        std::uint64_t mstatus = 0, mtvec = 0, mepc = 0, mcause = 0, mtval = 0, mscratch = 0, mie = 0, mip = 0;
    };
    Bus& bus_;
    DirectMemory direct_;
    CpiTable cpi_;
    std::array<std::uint64_t, kSinkRegister + 1> x_{};  // x0..x31 and the sink for writes to x0
    std::uint64_t pc_ = 0;
    Csrs csr_;
    std::uint64_t instret_ = 0;
    std::uint64_t cycles_ = 0;
    bool pending_trap_ = false;  // raise() with no handler
    std::uint64_t pending_cause_ = 0, pending_tval_ = 0;
    std::uint64_t reservation_ = ~0ull;  // LR/SC
    std::uint64_t fetch_span_ = 0;       // a 4-byte fetch at direct_.base + off is direct when off < this
    // Decoded blocks of the direct window, direct-mapped by their first pc. An instruction of a
    // block runs only while the 32 bits at its pc still equal its `word`, so any write to code
    // (the program's own stores, a debugger, another bus master through its DMI pointer) is
    // seen when the instruction is next reached.
    // Each slot's block is allocated when first needed (a short run stays cheap to set up).
    static constexpr std::size_t kBlocks = 1 << 11;
    std::unique_ptr<std::uint64_t[]> block_start_;  // each slot's first offset in the window plus 1; 0: none
    std::unique_ptr<std::unique_ptr<DecodedBlock>[]> blocks_;

    // Helpers, see rv_iss.cpp.
    bool read_mem(std::uint64_t addr, void* data, unsigned len);
    template <typename T> bool load(std::uint64_t addr, T& value);
    template <typename T> bool store(std::uint64_t addr, T value);
    template <typename T> bool load_extended(std::uint64_t addr, std::uint64_t& value);
    bool fetch_slow(std::uint64_t pc, std::uint32_t& insn, std::uint64_t& fault_addr);
    std::uint32_t peek_insn(std::uint64_t pc);
    bool is_semihosting_call(std::uint64_t pc);
    bool csr_read(unsigned addr, std::uint64_t& value) const;
    void csr_write(unsigned addr, std::uint64_t value);
    bool exec_csr(std::uint32_t insn);
    template <typename T> std::uint64_t exec_atomic(std::uint32_t insn, std::uint64_t& tval, InsnClass& cls);
    bool enter_trap(std::uint64_t pc, std::uint64_t cause, std::uint64_t tval);
};

// Fields of a custom-0..3 instruction (R-type): funct7 is the RoCC command.
struct CustomFields {
    unsigned opcode_index;  // 0..3 for custom-0..3
    unsigned funct7, rd, rs1, rs2;
    bool xd, xs1, xs2;
};
CustomFields decode_custom(std::uint32_t insn);

}  // namespace elstm::rv
