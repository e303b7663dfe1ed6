#include <elstm_vp/numeric/energy.hpp>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

void add_events(EnergyEvents& a, const EnergyEvents& b) {
    a.port_words += b.port_words;
    a.command_words += b.command_words;
    a.macs += b.macs;
    a.vector_ops += b.vector_ops;
    a.core_instructions += b.core_instructions;
    if (a.buffers.empty()) {
        a.buffers = b.buffers;
        return;
    }
    if (a.buffers.size() != b.buffers.size()) throw Error("add_events: the events list different buffers");
    for (std::size_t k = 0; k < a.buffers.size(); ++k) {
        a.buffers[k].reads += b.buffers[k].reads;
        a.buffers[k].writes += b.buffers[k].writes;
    }
}

EnergyBreakdown energy_of(const EnergyEvents& e, const EnergyTable& t, bool fixed) {
    EnergyBreakdown out;
    out.dram = static_cast<double>(e.port_words) * t.dram_word;
    for (const BufferEvents& b : e.buffers) {
        const double accesses = static_cast<double>(b.reads + b.writes);
        out.per_buffer.push_back(accesses * (b.entry_bits / 32.0) * t.buffer_access_32);
        out.buffers += out.per_buffer.back();
    }
    out.macs = static_cast<double>(e.macs) * (fixed ? t.mac_fixed : t.mac);
    out.vector_pe = static_cast<double>(e.vector_ops) * t.vector_op;
    out.rocc = static_cast<double>(e.port_words + e.command_words) * t.rocc_word;
    out.core = static_cast<double>(e.core_instructions) * t.core_instruction;
    return out;
}

}  // namespace elstm
