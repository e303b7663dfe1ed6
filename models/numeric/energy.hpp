#pragma once
#include <cstdint>
#include <string>
#include <vector>

// The energy model: a price in pJ per event, events counted by the platform. The defaults are
// 45 nm figures from M. Horowitz, "Computing's energy problem (and what we can do about it)",
// ISSCC 2014 (as tabulated in Han et al., EIE, ISCA 2016, Table I): estimates for comparing
// design points, not a power sign-off.
namespace elstm {

namespace horowitz45 {
constexpr double kFpAdd32 = 0.9;     // 32-bit float add
constexpr double kFpMult32 = 3.7;    // 32-bit float multiply
constexpr double kIntAdd32 = 0.1;    // 32-bit integer add
constexpr double kIntMult32 = 3.1;   // 32-bit integer multiply
constexpr double kRegFile32 = 1.0;   // 32-bit register-file access
constexpr double kSram32 = 5.0;      // 32-bit SRAM (cache) access
constexpr double kDram32 = 640.0;    // 32-bit DRAM access
constexpr double kInstruction = 70;  // one instruction of a simple in-order core (the talk's breakdown)
}  // namespace horowitz45

// The vector PE's work per h element: 4 gate sums of 3 terms (8 adds), f·c, i·g and o·tanh(c)
// (3 multiplies), c = f·c + i·g (1 add), 3 σ and 2 tanh each a 32-bit table (SRAM) read.
constexpr double kVectorOpDefault =
    8 * horowitz45::kFpAdd32 + 3 * horowitz45::kFpMult32 + horowitz45::kFpAdd32 + 5 * horowitz45::kSram32;

struct EnergyTable {  // pJ per event
    double dram_word = 2 * horowitz45::kDram32;                    // one 64-bit word from or to DRAM
    double buffer_access_32 = horowitz45::kSram32;                 // a read or a write of 32 bits of SRAM
    double mac = horowitz45::kFpMult32 + horowitz45::kFpAdd32;     // fp16 weight × fp32, fp32 accumulate
    double mac_fixed = horowitz45::kIntMult32 + horowitz45::kIntAdd32;  // the fixed-point datapath's MAC
    double vector_op = kVectorOpDefault;                           // the cell's math for one h element
    double rocc_word = 2 * horowitz45::kRegFile32;                 // a 64-bit register transfer
    double core_instruction = horowitz45::kInstruction;            // one retired core instruction
};

// The accesses of one on-chip buffer: an entry of `entry_bits` costs entry_bits/32 of a 32-bit access.
struct BufferEvents {
    std::string name;
    unsigned entry_bits = 32;
    std::uint64_t reads = 0, writes = 0;
};

// What a layer run (or the whole run) did that costs energy.
struct EnergyEvents {
    std::uint64_t port_words = 0;    // 64-bit words across the RoCC memory port, each from or to DRAM
    std::uint64_t command_words = 0; // RoCC command and response words
    std::uint64_t macs = 0;
    std::uint64_t vector_ops = 0;    // h elements the vector PE finished
    std::uint64_t core_instructions = 0;
    std::vector<BufferEvents> buffers;
};

// Adds b's counts to a's (buffers matched by position; a takes b's list when it has none).
void add_events(EnergyEvents& a, const EnergyEvents& b);

// The energy of each component, pJ.
struct EnergyBreakdown {
    double dram = 0, buffers = 0, macs = 0, vector_pe = 0, rocc = 0, core = 0;
    std::vector<double> per_buffer;  // in the events' order
    double total() const { return dram + buffers + macs + vector_pe + rocc + core; }
};

// `fixed`: the MACs are the fixed-point datapath's (mac_fixed), else fp (mac).
EnergyBreakdown energy_of(const EnergyEvents& events, const EnergyTable& table, bool fixed);

}  // namespace elstm
