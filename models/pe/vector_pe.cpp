#include <elstm_vp/pe/vector_pe.hpp>

#include <elstm_vp/numeric/lstm.hpp>

namespace elstm {

VectorPe::VectorPe(sc_core::sc_module_name name, const VectorPeConfig& config, sim::Clock clock)
    : sc_module(name), state("state", clock), config_(config) {}

sim::Cycles VectorPe::cycles(std::size_t n) const {
    return (n + config_.lanes - 1) / config_.lanes + config_.latency;
}

sim::Cycles VectorPe::run(const float* wx, const float* uh, const float* bias, std::size_t n, float* c,
                          float* h) {
    preact_.resize(4 * n);
    lstm_preactivation(wx, uh, bias, 4 * n, preact_.data());
    lstm_cell_update(preact_.data(), n, c, h);
    return cycles(n);
}

void VectorPe::plan_busy(sim::Cycles from, sim::Cycles to) {
    busy_cycles_ += to - from;
    state.set_at(from, 1);
    state.set_at(to, 0);
}

void VectorPe::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, state.signal, prefix + ".state");
}

}  // namespace elstm
