#include <elstm_vp/accel/accelerator.hpp>

namespace elstm {

void Accelerator::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, phase.signal, prefix + ".phase");
    sc_core::sc_trace(file, uh_step.signal, prefix + ".uh_step");
    for (const auto& pe : pes_) pe->trace(file, prefix + "." + pe->config().name);
    vector_pe_->trace(file, prefix + ".vpe");
    for (const OnChipBuffer* b : buffers()) b->trace(file, prefix + "." + b->basename());
}

}  // namespace elstm
