#include <elstm_vp/rocc/port_cycle_trace.hpp>

namespace elstm {

PortCycleTrace::PortCycleTrace(sc_core::sc_module_name name, sim::Clock clock)
    : sc_module(name), port("port"), w_("w", clock), u_("u", clock) {
    SC_HAS_PROCESS(PortCycleTrace);
    SC_METHOD(combine);
    sensitive << w_.signal << u_.signal;
    dont_initialize();
}

// The slot after a run is planned idle; the side's next run, planned later, overrides it
// when it starts right there.
void PortCycleTrace::slots(PortUser user, sim::Cycles from, sim::Cycles to) {
    sim::TimedValue<std::uint8_t>& side = is_w_side(user) ? w_ : u_;
    side.set_at(from, static_cast<std::uint8_t>(user));
    side.set_at(to + 1, static_cast<std::uint8_t>(PortUser::idle));
}

void PortCycleTrace::combine() {
    const std::uint8_t w = w_.signal.read();
    const std::uint8_t u = u_.signal.read();
    port.write(w && u ? kPortShared : (w ? w : u));
}

}  // namespace elstm
