#pragma once
#include <systemc>

#include <cstdint>

#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

// The port at cycle resolution (trace.port: cycle): whose word crosses it in each cycle, as
// the channel plans or grants the slots. Each side keeps its own planned value, so a later
// burst of one side never overwrites the other's; `port` combines them.
class PortCycleTrace : public sc_core::sc_module {
public:
    PortCycleTrace(sc_core::sc_module_name name, sim::Clock clock);

    // `user`'s words cross the port in cycles [from, to] (planned at or after the current cycle).
    void slots(PortUser user, sim::Cycles from, sim::Cycles to);

    // The PortUser code of the word crossing this cycle, 0 none; kPortShared would be a word
    // of each side in one cycle, which the port never allows.
    sc_core::sc_signal<std::uint8_t> port;

private:
    void combine();

    sim::TimedValue<std::uint8_t> w_, u_;
};

}  // namespace elstm
