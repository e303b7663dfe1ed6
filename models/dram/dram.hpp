#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

struct DramConfig {
    std::uint64_t base = 0x80000000ull;
    std::uint64_t size = 256ull << 20;   // bytes
    sim::Cycles latency = 30;            // cycles from request to first byte
    unsigned bytes_per_cycle = 8;        // transfer rate once data flows
};

// Off-chip DRAM: a TLM-2.0 LT target. An access of `len` bytes costs
// latency + ceil(len / bytes_per_cycle) cycles, annotated on the transaction's delay.
// Accesses outside [base, base+size) get TLM_ADDRESS_ERROR_RESPONSE; an access not aligned
// to its own size (up to 8 bytes) gets TLM_GENERIC_ERROR_RESPONSE; byte enables and streaming
// widths other than the length get their own error responses. DMI is granted for the whole
// range with the per-byte cost of a burst, and the debug transport reads and writes in zero time.
// A transaction whose data pointer is the DMI pointer to its own address (an in-place read)
// copies nothing and costs and counts as any other.
class Dram : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Dram, 64> socket;

    Dram(sc_core::sc_module_name name, const DramConfig& config, sim::Clock clock);

    // Back door for the platform (image loading, result checking). Throws elstm::Error
    // naming the address when [addr, addr+len) is outside the DRAM.
    void write_backdoor(std::uint64_t addr, const void* data, std::size_t len);
    void read_backdoor(std::uint64_t addr, void* data, std::size_t len) const;

    const DramConfig& config() const { return config_; }
    std::uint64_t bytes_read() const { return bytes_read_; }
    std::uint64_t bytes_written() const { return bytes_written_; }
    std::uint64_t accesses() const { return accesses_; }

    // Accesses in flight (planned from each transaction's start and annotated duration).
    sim::TimedLevel busy;
    // Adds prefix.busy to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
    // Checks command and range, and unless `debug` also alignment and payload options
    // (the debug transport ignores byte enables and streaming width); sets the response
    // status on failure.
    bool accept(tlm::tlm_generic_payload& trans, bool debug) const;
    void check_backdoor(std::uint64_t addr, std::size_t len) const;

    DramConfig config_;
    sim::Clock clock_;
    // calloc'd: the OS hands out zero pages lazily, so a large DRAM costs only what is touched.
    struct FreeMemory {
        void operator()(unsigned char* p) const { std::free(p); }
    };
    std::unique_ptr<unsigned char[], FreeMemory> memory_;
    std::uint64_t bytes_read_ = 0;
    std::uint64_t bytes_written_ = 0;
    std::uint64_t accesses_ = 0;
};

}  // namespace elstm
