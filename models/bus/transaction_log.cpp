#include <elstm_vp/bus/transaction_log.hpp>

#include <utility>

#include <elstm_vp/numeric/hex.hpp>

namespace elstm {

namespace {

std::uint64_t ps(const sc_core::sc_time& t) {
    return static_cast<std::uint64_t>(t.value() / sc_core::sc_time(1, sc_core::SC_PS).value());
}

const char* command_name(tlm::tlm_command cmd) {
    switch (cmd) {
        case tlm::TLM_READ_COMMAND: return "read";
        case tlm::TLM_WRITE_COMMAND: return "write";
        case tlm::TLM_IGNORE_COMMAND: return "ignore";
    }
    return "?";
}

}  // namespace

TransactionLog::TransactionLog(sc_core::sc_module_name name, std::string initiator_name, std::string& log)
    : sc_module(name), target("target"), initiator("initiator"), initiator_name_(std::move(initiator_name)), log_(log) {
    target.register_b_transport(this, &TransactionLog::b_transport);
    target.register_transport_dbg(this, &TransactionLog::transport_dbg);
    target.register_get_direct_mem_ptr(this, &TransactionLog::get_direct_mem_ptr);
    initiator.register_invalidate_direct_mem_ptr(this, &TransactionLog::invalidate_direct_mem_ptr);
}

void TransactionLog::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    const sc_core::sc_time before = delay;
    initiator->b_transport(trans, delay);
    log_ += "{\"time_ps\": " + std::to_string(ps(sc_core::sc_time_stamp() + before)) + ", \"initiator\": \"" +
            initiator_name_ + "\", \"command\": \"" + command_name(trans.get_command()) + "\", \"address\": \"" +
            hex(trans.get_address()) + "\", \"length\": " + std::to_string(trans.get_data_length()) +
            ", \"response\": \"" + trans.get_response_string() + "\", \"latency_ps\": " +
            std::to_string(ps(delay - before)) + "}\n";
}

unsigned int TransactionLog::transport_dbg(tlm::tlm_generic_payload& trans) {
    return initiator->transport_dbg(trans);
}

bool TransactionLog::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    return initiator->get_direct_mem_ptr(trans, dmi);
}

void TransactionLog::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
    target->invalidate_direct_mem_ptr(start, end);
}

}  // namespace elstm
