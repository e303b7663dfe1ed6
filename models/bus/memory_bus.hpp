#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

namespace elstm {

// Several initiators (the RISC-V core, the RoCC channel's data path) sharing one memory
// target: every transport, debug access and DMI request is passed through unchanged, and a
// DMI invalidation from the memory reaches every initiator. Contention is modelled where it
// is known (the RoCC port), not here.
class MemoryBus : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<MemoryBus, 64> initiators;
    tlm_utils::simple_initiator_socket<MemoryBus, 64> memory;

    explicit MemoryBus(sc_core::sc_module_name name);

private:
    void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(int id, tlm::tlm_generic_payload& trans);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);
};

}  // namespace elstm
