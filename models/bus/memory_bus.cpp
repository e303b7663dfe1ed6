#include <elstm_vp/bus/memory_bus.hpp>

namespace elstm {

MemoryBus::MemoryBus(sc_core::sc_module_name name) : sc_module(name), initiators("initiators"), memory("memory") {
    initiators.register_b_transport(this, &MemoryBus::b_transport);
    initiators.register_transport_dbg(this, &MemoryBus::transport_dbg);
    initiators.register_get_direct_mem_ptr(this, &MemoryBus::get_direct_mem_ptr);
    memory.register_invalidate_direct_mem_ptr(this, &MemoryBus::invalidate_direct_mem_ptr);
}

void MemoryBus::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    memory->b_transport(trans, delay);
}

unsigned int MemoryBus::transport_dbg(int, tlm::tlm_generic_payload& trans) { return memory->transport_dbg(trans); }

bool MemoryBus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    return memory->get_direct_mem_ptr(trans, dmi);
}

void MemoryBus::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    for (unsigned int i = 0; i < initiators.size(); ++i) initiators[i]->invalidate_direct_mem_ptr(start, end);
}

}  // namespace elstm
