#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <string>

namespace elstm {

// A pass-through between one initiator and the memory that logs each of its transactions
// (b_transport) as a JSON line (trace.tlm):
//   {"time_ps": 1234000, "initiator": "rocc", "command": "read", "address": "0x80100000",
//    "length": 64, "response": "TLM_OK_RESPONSE", "latency_ps": 38000}
// time_ps: when it is requested (simulated time plus the delay annotated on the way in);
// latency_ps: the delay the target added. Debug accesses and DMI requests pass unlogged
// (reads and writes through a DMI pointer are no transactions). Lines are appended to `log`,
// which several logs may share, in the order the transactions are made: time_ps may run ahead
// of the lines before it (the RoCC channel plans bursts ahead, the core runs a quantum ahead).
class TransactionLog : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<TransactionLog, 64> target;
    tlm_utils::simple_initiator_socket<TransactionLog, 64> initiator;

    TransactionLog(sc_core::sc_module_name name, std::string initiator_name, std::string& log);

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

    std::string initiator_name_;
    std::string& log_;
};

}  // namespace elstm
