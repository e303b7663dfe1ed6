#pragma once
#include <systemc>

#include <cstdint>
#include <string>

#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

struct VectorPeConfig {
    unsigned lanes = 4;          // hidden units finished per cycle (their 4 gates each)
    sim::Cycles latency = 8;     // pipeline depth (σ/tanh units)
};

// The element-wise gate math of a cell: pre-activations, σ/tanh, c and h update.
class VectorPe : public sc_core::sc_module {
public:
    VectorPe(sc_core::sc_module_name name, const VectorPeConfig& config, sim::Clock clock);

    const VectorPeConfig& config() const { return config_; }
    // Cycles to finish n hidden units: ceil(n / lanes) + latency.
    sim::Cycles cycles(std::size_t n) const;
    // One step of n units: preact = (wx + uh) + bias, then c and h in place. Returns its cycles.
    sim::Cycles run(const float* wx, const float* uh, const float* bias, std::size_t n, float* c, float* h);

    std::uint64_t busy_cycles() const { return busy_cycles_; }
    void plan_busy(sim::Cycles from, sim::Cycles to);

    sim::TimedValue<std::uint8_t> state;  // 0 idle, 1 busy
    // Adds prefix.state to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

private:
    VectorPeConfig config_;
    std::vector<float> preact_;
    std::uint64_t busy_cycles_ = 0;
};

}  // namespace elstm
