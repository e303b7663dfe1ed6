#include <elstm_vp/platform/energy.hpp>

namespace elstm {

EnergyEvents run_energy_events(const Accelerator& accel, const LayerRun& run) {
    EnergyEvents e;
    for (int u = 1; u < kPortUsers; ++u) e.port_words += run.words[u];
    e.command_words = run.command_words;
    e.macs = run.macs_w + run.macs_u;
    e.vector_ops = run.vector_ops;
    const std::vector<const OnChipBuffer*> buffers = accel.buffers();
    for (std::size_t b = 0; b < buffers.size(); ++b)
        e.buffers.push_back({buffers[b]->basename(), buffers[b]->config().entry_bits, run.buffer_reads.at(b),
                             run.buffer_writes.at(b)});
    return e;
}

EnergyEvents platform_energy_events(const Platform& p) {
    EnergyEvents total;
    const Accelerator& accel = p.accelerator();
    for (std::size_t i = 0; i < p.completed_runs(); ++i) add_events(total, run_energy_events(accel, accel.runs()[i]));
    if (total.buffers.empty())  // no finished run
        for (const OnChipBuffer* b : accel.buffers()) total.buffers.push_back({b->basename(), b->config().entry_bits, 0, 0});
    // Every command word, also those of no finished run (status polls after the last start).
    total.command_words = accel.command_words();
    if (p.core()) total.core_instructions = p.core()->instructions();
    return total;
}

EnergyBreakdown platform_energy(const Platform& p, const EnergyEvents& events) {
    return energy_of(events, p.config().energy, p.image().datapath == Datapath::fixed);
}

}  // namespace elstm
