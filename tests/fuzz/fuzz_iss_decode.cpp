// libFuzzer target: the RV64IMAC instruction decoder and interpreter (elstm::rv::Iss) on
// arbitrary bytes. The input is the whole memory: a window at kBase holding a copy of the bytes
// (exactly that many, so a fetch, load or store past it is a heap overflow), nothing anywhere
// else. The program runs from kBase for at most kBudget instructions; a custom instruction is
// retired (or, for an odd funct7, refused with an illegal-instruction exception as the
// platform refuses an unknown RoCC funct), a semihosting call answered with 0, and a trap
// without handler ends the run.
//
// It runs twice: with the window as a DirectMemory, and with it behind the Bus. Both must end
// in the same state (registers, pc, instret, cycles, stops), as the ISS tests require of
// every program; a difference is a finding, like a sanitizer report. decode_custom is also fed
// every 32-bit word of the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <elstm_vp/core/rv_iss.hpp>

namespace {

using namespace elstm::rv;

constexpr std::uint64_t kBase = 0x80000000ull;
constexpr std::uint64_t kBudget = 10000;
constexpr unsigned kMaxStops = 256;

// The window behind the Bus (when `serve` is set); every other access is refused.
class WindowBus : public Bus {
public:
    explicit WindowBus(std::vector<std::uint8_t>* memory) : memory_(memory) {}
    bool read(std::uint64_t addr, void* data, unsigned len) override {
        std::uint8_t* p = find(addr, len);
        if (p) std::memcpy(data, p, len);
        return p != nullptr;
    }
    bool write(std::uint64_t addr, const void* data, unsigned len) override {
        std::uint8_t* p = find(addr, len);
        if (p) std::memcpy(p, data, len);
        return p != nullptr;
    }

private:
    std::uint8_t* find(std::uint64_t addr, unsigned len) {
        if (!memory_) return nullptr;
        const std::uint64_t off = addr - kBase;
        if (off >= memory_->size() || len > memory_->size() - off) return nullptr;
        return memory_->data() + off;
    }
    std::vector<std::uint8_t>* memory_;
};

struct Outcome {
    std::vector<std::uint64_t> regs;
    std::uint64_t pc = 0, instret = 0, cycles = 0;
    std::vector<std::uint64_t> stops;  // reason, pc, cause of each stop
    std::vector<std::uint8_t> memory;
};

Outcome run(const std::uint8_t* data, std::size_t size, bool direct) {
    std::vector<std::uint8_t> memory(data, data + size);
    WindowBus bus(direct ? nullptr : &memory);
    Iss iss(bus, direct && size ? DirectMemory{memory.data(), kBase, memory.size()} : DirectMemory{});
    iss.reset(kBase);
    iss.set_reg(2, kBase + size);  // sp at the top of the window
    Outcome out;
    std::uint64_t left = kBudget;
    for (unsigned n = 0; n < kMaxStops && left > 0; ++n) {
        const std::uint64_t before = iss.instret();
        const Stop stop = iss.run(left);
        const std::uint64_t ran = iss.instret() - before;  // a CSR write to minstret may change it
        left = ran < left ? left - ran : 0;
        if (left > 0) --left;  // every stop costs one, so the loop ends even if instret does not move
        out.stops.insert(out.stops.end(), {static_cast<std::uint64_t>(stop.reason), stop.pc, stop.cause, stop.insn});
        if (stop.reason == StopReason::budget || stop.reason == StopReason::trap) break;
        if (stop.reason == StopReason::custom) {
            const CustomFields f = decode_custom(stop.insn);
            if (f.funct7 & 1) {
                iss.raise(kIllegalInstruction, stop.insn);
            } else {
                if (f.xd) iss.set_reg(f.rd, iss.reg(f.rs1) + iss.reg(f.rs2));
                iss.retire_custom();
            }
        } else {  // semihosting
            iss.set_reg(10, 0);
            iss.retire_semihosting();
        }
    }
    for (unsigned r = 0; r < 32; ++r) out.regs.push_back(iss.reg(r));
    out.pc = iss.pc();
    out.instret = iss.instret();
    out.cycles = iss.cycles();
    out.memory = std::move(memory);
    return out;
}

[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "fuzz_iss_decode: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (std::size_t k = 0; k + 4 <= size; k += 2) {
        std::uint32_t insn;
        std::memcpy(&insn, data + k, 4);
        const CustomFields f = decode_custom(insn);
        if (f.opcode_index > 3 || f.funct7 > 127 || f.rd > 31 || f.rs1 > 31 || f.rs2 > 31)
            finding("decode_custom field out of range");
    }
    const Outcome direct = run(data, size, true);
    const Outcome bus = run(data, size, false);
    if (direct.regs != bus.regs) finding("registers differ between the direct window and the Bus");
    if (direct.pc != bus.pc || direct.instret != bus.instret || direct.cycles != bus.cycles)
        finding("pc, instret or cycles differ between the direct window and the Bus");
    if (direct.stops != bus.stops) finding("stops differ between the direct window and the Bus");
    if (direct.memory != bus.memory) finding("memory differs between the direct window and the Bus");
    return 0;
}
