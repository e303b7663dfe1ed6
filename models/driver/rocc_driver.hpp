#pragma once
#include <systemc>

#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

// The arguments the host program gives the co-processor for one layer of one sequence.
struct LayerCommands {
    std::uint64_t m = 0, n = 0;
    float threshold = 0.0f;
    std::uint64_t steps = 0;
    std::uint64_t w_addr = 0, bias_addr = 0;
    std::uint64_t table_addr = 0, n_fuse = 1;
    std::uint64_t x_addr = 0, h_addr = 0;
    std::uint64_t u_addr = 0, flags = 0;
    bool delta = false;                      // send Θx, Θh (command 7)
    float theta_x = 0.0f, theta_h = 0.0f;
    bool weight_scale = false;               // send the fixed-point scales (command 8)
    std::int64_t w_frac = 0, u_frac = 0;
};

// The six RoCC commands (§4) for one layer, in the reference host program's order (commands 7
// and 8 before the start when the layer asks for them); the last one has xd = 1 and returns
// the layer's cycles.
std::vector<RoccCommand> layer_command_sequence(const LayerCommands& layer);

// A test-bench host: issues the command sequences of every layer and sequence in order and
// collects the cycle counts the accelerator returns. It stands where the RISC-V core stands
// and is kept as the accelerator-only mode for co-simulation.
class RoccDriver : public sc_core::sc_module {
public:
    sc_core::sc_port<RoccCoreIf> rocc;

    RoccDriver(sc_core::sc_module_name name, std::vector<LayerCommands> program, sim::Clock clock,
               sim::Cycles issue_cycles = 1);

    const std::vector<std::uint64_t>& returned_cycles() const { return cycles_; }
    bool finished() const { return finished_; }
    sim::Cycles finish_cycle() const { return finish_cycle_; }
    const sc_core::sc_event& finished_event() const { return finished_event_; }

    sim::TimedValue<std::uint8_t> state;  // 0 running, 1 waiting for the accelerator, 2 done
    // Adds prefix.state to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

private:
    void run();

    std::vector<LayerCommands> program_;
    sim::Clock clock_;
    sim::Cycles issue_cycles_;
    std::vector<std::uint64_t> cycles_;
    bool finished_ = false;
    sim::Cycles finish_cycle_ = 0;
    sc_core::sc_event finished_event_;
};

}  // namespace elstm
