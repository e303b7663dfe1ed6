#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <elstm_vp/sim/clock.hpp>

namespace elstm::test {

// Runs `body` once, as an SC_THREAD starting at time 0.
class Thread : public sc_core::sc_module {
public:
    Thread(sc_core::sc_module_name name, std::function<void()> body)
        : sc_module(name), body_(std::move(body)) {
        SC_HAS_PROCESS(Thread);
        SC_THREAD(run);
    }

private:
    void run() { body_(); }
    std::function<void()> body_;
};

// A TLM-2.0 initiator whose thread runs `body`; `transport` drives its socket.
class Initiator : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<Initiator, 64> socket;

    Initiator(sc_core::sc_module_name name, std::function<void(Initiator&)> body)
        : sc_module(name), socket("socket"), body_(std::move(body)) {
        SC_HAS_PROCESS(Initiator);
        SC_THREAD(run);
    }

    // One blocking transport with zero incoming delay; returns the annotated delay.
    sc_core::sc_time transport(tlm::tlm_generic_payload& trans) {
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        socket->b_transport(trans, delay);
        return delay;
    }

private:
    void run() { body_(*this); }
    std::function<void(Initiator&)> body_;
};

// A plain read or write payload: no byte enables, streaming width = length.
inline void set_payload(tlm::tlm_generic_payload& trans, tlm::tlm_command cmd, std::uint64_t addr,
                        void* data, unsigned len) {
    trans.set_command(cmd);
    trans.set_address(addr);
    trans.set_data_ptr(static_cast<unsigned char*>(data));
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    trans.set_byte_enable_ptr(nullptr);
    trans.set_byte_enable_length(0);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// Logs every change of a signal as (cycle, new value).
template <typename T>
class ChangeLog : public sc_core::sc_module {
public:
    using Entry = std::pair<sim::Cycles, T>;

    ChangeLog(sc_core::sc_module_name name, const sc_core::sc_signal<T>& signal, sim::Clock clock)
        : sc_module(name), signal_(signal), clock_(clock) {
        SC_HAS_PROCESS(ChangeLog);
        SC_METHOD(record);
        sensitive << signal_.value_changed_event();
        dont_initialize();
    }

    std::vector<Entry> changes;

private:
    void record() { changes.emplace_back(clock_.now(), signal_.read()); }

    const sc_core::sc_signal<T>& signal_;
    sim::Clock clock_;
};

// Runs `action` with model errors set to throw; returns "<msg type>: <message>" of the
// SC_REPORT_ERROR it raised, or "no report".
inline std::string report_of(const std::function<void()>& action) {
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
    try {
        action();
    } catch (const sc_core::sc_report& r) {
        return r.get_msg_type() + std::string(": ") + r.get_msg();
    }
    return "no report";
}

}  // namespace elstm::test
