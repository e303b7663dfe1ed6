#include <elstm_vp/driver/rocc_driver.hpp>

#include <cstring>

#include <elstm_vp/accel/accelerator.hpp>

namespace elstm {

std::vector<RoccCommand> layer_command_sequence(const LayerCommands& l) {
    const auto bits = [](float v) {
        std::uint32_t b;
        std::memcpy(&b, &v, sizeof b);
        return std::uint64_t{b};
    };
    std::vector<RoccCommand> cmds{
        {rocc_cmd::kShape, l.m, l.n, 0, false},
        {rocc_cmd::kThreshold, bits(l.threshold), l.steps, 0, false},
        {rocc_cmd::kWeights, l.w_addr, l.bias_addr, 0, false},
        {rocc_cmd::kUTable, l.table_addr, l.n_fuse, 0, false},
        {rocc_cmd::kVectors, l.x_addr, l.h_addr, 0, false},
    };
    if (l.delta) cmds.push_back({rocc_cmd::kDelta, bits(l.theta_x), bits(l.theta_h), 0, false});
    if (l.weight_scale)
        cmds.push_back({rocc_cmd::kWeightScale, static_cast<std::uint64_t>(l.w_frac),
                        static_cast<std::uint64_t>(l.u_frac), 0, false});
    cmds.push_back({rocc_cmd::kStart, l.u_addr, l.flags, 10, true});
    return cmds;
}

RoccDriver::RoccDriver(sc_core::sc_module_name name, std::vector<LayerCommands> program,
                       sim::Clock clock, sim::Cycles issue_cycles)
    : sc_module(name),
      rocc("rocc"),
      state("state", clock),
      program_(std::move(program)),
      clock_(clock),
      issue_cycles_(issue_cycles) {
    SC_HAS_PROCESS(RoccDriver);
    SC_THREAD(run);
}

void RoccDriver::run() {
    for (const LayerCommands& layer : program_) {
        for (const RoccCommand& c : layer_command_sequence(layer)) {
            // Each custom instruction occupies the host for its issue cycles.
            sc_core::wait(clock_.time(issue_cycles_));
            if (!rocc->issue(c)) {
                SC_REPORT_ERROR(name(), ("the accelerator rejected RoCC funct " + std::to_string(c.funct)).c_str());
                return;
            }
            if (c.xd) {
                state.set_now(1);
                cycles_.push_back(rocc->wait_response().data);
                state.set_now(0);
            }
        }
    }
    state.set_now(2);
    finished_ = true;
    finish_cycle_ = clock_.now();
    finished_event_.notify(sc_core::SC_ZERO_TIME);
}

void RoccDriver::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, state.signal, prefix + ".state");
}

}  // namespace elstm
