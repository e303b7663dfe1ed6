#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <elstm_vp/core/gdb_server.hpp>
#include <elstm_vp/core/rv_iss.hpp>
#include <elstm_vp/core/semihosting.hpp>
#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

struct CoreConfig {
    std::uint64_t max_instructions = 2'000'000'000;  // budget; exceeding it ends the run
    sim::Cycles quantum = 10'000;                     // temporal decoupling (tlm_quantumkeeper)
    rv::CpiTable cpi = rv::kDefaultCpi;
    sim::Cycles rocc_issue = 1;                       // cycles to hand a command to the RoCC queue
    std::string semihosting_root;                     // the folder of the program's files; empty: none
    std::uint16_t gdb_port = 0;                       // GDB stub on 127.0.0.1:gdb_port; 0: none
};

// How the core's program ended.
struct CoreExit {
    bool exited = false;          // SYS_EXIT / SYS_EXIT_EXTENDED reached
    std::int64_t code = 0;        // the program's exit code (a 64-bit word on RV64)
    std::string error;            // set when it did not exit: unhandled trap, budget, ...
};

// The RISC-V host: the ISS in an SC_THREAD, memory through a TLM-2.0 initiator socket (DMI
// when the target grants it), temporal decoupling with a quantum keeper, custom-0..3
// instructions forwarded to the RoCC channel (rd written when xd), RISC-V semihosting for
// console and exit. Its console output goes to `console` (std::cout by default).
class RiscvCore : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<RiscvCore, 64> mem;
    sc_core::sc_port<RoccCoreIf> rocc;

    RiscvCore(sc_core::sc_module_name name, const CoreConfig& config, sim::Clock clock,
              std::uint64_t entry, std::ostream& console);
    ~RiscvCore() override;

    const CoreExit& exit() const { return exit_; }
    std::uint64_t instructions() const;
    std::uint64_t cycles() const;
    // The next instruction's address (the ISS runs up to one quantum ahead of the kernel).
    std::uint64_t pc() const;

    sim::TimedValue<std::uint8_t> state;  // 0 running, 1 waiting for the accelerator, 2 stopped
    // Adds prefix.state to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

    // Asked between the ISS's slices (at most kSliceInstructions each, a few milliseconds):
    // while it returns true the core hands control to the kernel after every slice instead of
    // at the end of its quantum, so a stop request is seen promptly whatever the quantum.
    void set_yield_request(std::function<bool()> requested) { yield_requested_ = std::move(requested); }
    static constexpr std::uint64_t kSliceInstructions = 1 << 16;

private:
    class TlmBus;
    class DebugMemory;
    class GdbTarget;

    void run();
    rv::DirectMemory request_dmi();
    void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
    std::uint64_t run_length() const;
    void account();
    sim::Cycles unaccounted() const;
    sc_core::sc_time local_time() const;
    bool transport(tlm::tlm_command command, std::uint64_t addr, void* data, unsigned len);

    void serve_custom(const rv::Stop& stop);
    void serve_semihosting();

    bool debug_access(tlm::tlm_command command, std::uint64_t addr, void* data, std::size_t len);
    std::uint32_t instruction_at(std::uint64_t pc);

    bool debugging() const { return gdb_ && gdb_->attached(); }
    void halt_for_debugger(bool announce);

    bool done() const { return exit_.exited || !exit_.error.empty(); }
    void finish(CoreExit how);
    void stop_with(const std::string& error);

    CoreConfig config_;
    sim::Clock clock_;
    std::uint64_t entry_;
    std::ostream& console_;
    std::uint32_t max_cpi_;           // the slowest instruction class: bounds a slice's cycles
    std::unique_ptr<TlmBus> bus_;
    std::unique_ptr<DebugMemory> debug_memory_;
    Semihosting semihosting_;
    rv::DirectMemory direct_;
    std::unique_ptr<rv::Iss> iss_;
    tlm_utils::tlm_quantumkeeper qk_;
    std::uint64_t accounted_ = 0;     // ISS cycles already handed to the quantum keeper
    std::uint64_t bus_stall_ = 0;     // bus latency cycles not yet added to the ISS
    CoreExit exit_;
    std::function<bool()> yield_requested_;
    std::unique_ptr<GdbTarget> gdb_target_;
    std::unique_ptr<gdb::Server> gdb_;
};

}  // namespace elstm
