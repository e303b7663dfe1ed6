#include <elstm_vp/core/riscv_core.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <sstream>

#include <elstm_vp/numeric/hex.hpp>

namespace elstm {

namespace {

// An instruction as the disassembler shows it: 4 hex digits when compressed, else 8.
std::string insn_hex(std::uint32_t insn) {
    std::ostringstream s;
    s << "0x" << std::hex;
    s.fill('0');
    s.width((insn & 3) == 3 ? 8 : 4);
    s << insn;
    return s.str();
}

}  // namespace

// The ISS's memory outside the DMI window: timed b_transport calls.
class RiscvCore::TlmBus : public rv::Bus {
public:
    explicit TlmBus(RiscvCore& core) : core_(core) {}
    bool read(std::uint64_t addr, void* data, unsigned len) override {
        return core_.transport(tlm::TLM_READ_COMMAND, addr, data, len);
    }
    bool write(std::uint64_t addr, const void* data, unsigned len) override {
        // TLM takes a non-const data pointer for both directions; a write only reads it.
        return core_.transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len);
    }

private:
    RiscvCore& core_;
};

// Memory as semihosting sees it: the DMI window, else the debug transport (one contiguous
// target: a range exists when its first and last bytes do).
class RiscvCore::DebugMemory : public GuestMemory {
public:
    explicit DebugMemory(RiscvCore& core) : core_(core) {}
    bool contains(std::uint64_t addr, std::uint64_t len) override {
        if (len == 0 || window_holds(core_.direct_, addr, len)) return true;
        std::uint8_t byte;
        return addr + (len - 1) >= addr && core_.debug_access(tlm::TLM_READ_COMMAND, addr, &byte, 1) &&
               core_.debug_access(tlm::TLM_READ_COMMAND, addr + (len - 1), &byte, 1);
    }
    bool read(std::uint64_t addr, void* data, std::size_t len) override {
        return core_.debug_access(tlm::TLM_READ_COMMAND, addr, data, len);
    }
    bool write(std::uint64_t addr, const void* data, std::size_t len) override {
        // TLM takes a non-const data pointer for both directions; a write only reads it.
        return core_.debug_access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len);
    }

private:
    RiscvCore& core_;
};

// The core as GDB sees it: the ISS's registers, memory the way semihosting reaches it.
class RiscvCore::GdbTarget : public gdb::Target {
public:
    explicit GdbTarget(RiscvCore& core) : core_(core) {}
    std::uint64_t gpr(unsigned i) override { return core_.iss_->reg(i); }
    void set_gpr(unsigned i, std::uint64_t value) override { core_.iss_->set_reg(i, value); }
    std::uint64_t pc() override { return core_.iss_->pc(); }
    void set_pc(std::uint64_t pc) override { core_.iss_->set_pc(pc); }
    bool csr(unsigned addr, std::uint64_t& value) override {
        value = core_.iss_->csr(addr);
        return true;  // the stub asks only for the CSRs the ISS has
    }
    bool set_csr(unsigned addr, std::uint64_t value) override { return core_.iss_->set_csr(addr, value); }
    bool read_memory(std::uint64_t addr, void* data, std::size_t len) override {
        return core_.debug_memory_->read(addr, data, len);
    }
    bool write_memory(std::uint64_t addr, const void* data, std::size_t len) override {
        return core_.debug_memory_->write(addr, data, len);
    }

private:
    RiscvCore& core_;
};

RiscvCore::RiscvCore(sc_core::sc_module_name name, const CoreConfig& config, sim::Clock clock,
                     std::uint64_t entry, std::ostream& console)
    : sc_module(name),
      mem("mem"),
      rocc("rocc"),
      state("state", clock),
      config_(config),
      clock_(clock),
      entry_(entry),
      console_(console),
      max_cpi_(std::max<std::uint32_t>(1, *std::max_element(config.cpi.begin(), config.cpi.end()))),
      bus_(std::make_unique<TlmBus>(*this)),
      debug_memory_(std::make_unique<DebugMemory>(*this)),
      semihosting_(*debug_memory_, console, config.semihosting_root) {
    // The core is the platform's only temporally decoupled initiator, so its quantum is the
    // global one its quantum keeper reads.
    tlm::tlm_global_quantum::instance().set(clock.time(config.quantum));
    mem.register_invalidate_direct_mem_ptr(this, &RiscvCore::invalidate_dmi);
    if (config.gdb_port) {  // listening from elaboration on: a busy port is bad input, found before the run
        gdb_target_ = std::make_unique<GdbTarget>(*this);
        gdb_ = std::make_unique<gdb::Server>(config.gdb_port, *gdb_target_);
    }
    SC_HAS_PROCESS(RiscvCore);
    SC_THREAD(run);
}

RiscvCore::~RiscvCore() = default;

std::uint64_t RiscvCore::instructions() const { return iss_ ? iss_->instret() : 0; }
std::uint64_t RiscvCore::cycles() const { return iss_ ? iss_->cycles() : 0; }
std::uint64_t RiscvCore::pc() const { return iss_ ? iss_->pc() : entry_; }

// The ISS runs in slices of at most one quantum until the program ends.
void RiscvCore::run() {
    direct_ = request_dmi();
    iss_ = std::make_unique<rv::Iss>(*bus_, direct_, config_.cpi);
    iss_->reset(entry_);
    qk_.reset();  // the global quantum was set after qk_ was built
    if (gdb_) {
        std::cerr << "elstm-vp: waiting for GDB on 127.0.0.1:" << gdb_->port() << " (target remote :" << gdb_->port()
                  << ")" << std::endl;
        gdb_->wait_for_client();
        halt_for_debugger(false);
    }
    while (!done()) {
        if (iss_->instret() >= config_.max_instructions) {
            const std::uint64_t pc = iss_->pc();
            stop_with("instruction budget of " + std::to_string(config_.max_instructions) + " exceeded at pc " +
                      hex(pc) + ", instruction " + insn_hex(instruction_at(pc)));
            break;
        }
        if (debugging() && gdb_->should_halt(iss_->pc())) {
            halt_for_debugger(true);
            continue;  // the resume pc comes back here first, so the instruction after it is checked
        }
        rv::MemoryAccess access;
        const bool watched = debugging() && gdb_->watching() && iss_->next_access(access);
        const std::uint64_t retired = iss_->instret();
        const rv::Stop stop = iss_->run(run_length());
        if (watched && iss_->instret() != retired) gdb_->data_access(access.addr, access.len, access.read, access.write);
        account();
        if (qk_.need_sync() || (yield_requested_ && yield_requested_())) qk_.sync();
        switch (stop.reason) {
            case rv::StopReason::budget: break;
            case rv::StopReason::custom: serve_custom(stop); break;
            case rv::StopReason::semihosting: serve_semihosting(); break;
            case rv::StopReason::trap:
                stop_with(std::string("unhandled ") + rv::cause_name(stop.cause) + " at pc " + hex(stop.pc) +
                          ", instruction " + insn_hex(stop.insn) + ", mtval " + hex(stop.tval));
                break;
        }
    }
    if (debugging()) gdb_->program_ended(exit_.exited, exit_.code);
}

// Simulated time stands still while GDB holds the core: the thread does not return to the kernel.
void RiscvCore::halt_for_debugger(bool announce) {
    if (gdb_->halt(announce) == gdb::Resume::kill) stop_with("killed by the debugger at pc " + hex(iss_->pc()));
}

// The whole DRAM as one DMI window, asked for at the entry point; without it (target refuses,
// or read-only) every access goes through the bus.
rv::DirectMemory RiscvCore::request_dmi() {
    tlm::tlm_generic_payload trans;
    trans.set_command(tlm::TLM_READ_COMMAND);
    trans.set_address(entry_);
    tlm::tlm_dmi dmi;
    if (!mem->get_direct_mem_ptr(trans, dmi) || !dmi.is_read_write_allowed()) return {};
    return {dmi.get_dmi_ptr(), dmi.get_start_address(), dmi.get_end_address() - dmi.get_start_address() + 1};
}

// The ISS holds its window for the whole run and cannot drop it.
void RiscvCore::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
    if (direct_.ptr && start < direct_.base + direct_.size && end >= direct_.base)
        SC_REPORT_FATAL(name(), "the target revoked the DMI window the ISS is running in");
}

// Instructions for the next ISS slice: no more than the budget left, and few enough that even
// the slowest instruction class cannot carry the core past the end of its quantum (one at a time
// while a debugger is attached). Slices end
// without a sync before the quantum does (no timing changes): only to ask yield_requested_.
std::uint64_t RiscvCore::run_length() const {
    if (debugging()) return 1;  // the debugger looks at every pc
    const sim::Cycles local = clock_.cycles(qk_.get_local_time());
    const sim::Cycles left = config_.quantum > local ? config_.quantum - local : 0;
    return std::min({config_.max_instructions - iss_->instret(), std::max<std::uint64_t>(1, left / max_cpi_),
                     kSliceInstructions});
}

// Hands what the ISS did since the last call to the quantum keeper. Bus latency stalls the
// core but happens outside the ISS's CPI table, so it is added to the ISS's cycles (mcycle) here.
void RiscvCore::account() {
    iss_->add_cycles(bus_stall_);
    bus_stall_ = 0;
    qk_.inc(clock_.time(unaccounted()));
    accounted_ = iss_->cycles();
}

// ISS cycles not yet handed to the quantum keeper. The program may write mcycle; a write
// backwards must not turn into time running backwards (or, unsigned, into eons).
sim::Cycles RiscvCore::unaccounted() const {
    const std::uint64_t now = iss_->cycles();
    return now > accounted_ ? now - accounted_ : 0;
}

// The core's own time ahead of the kernel, including the slice still running.
sc_core::sc_time RiscvCore::local_time() const {
    return qk_.get_local_time() + clock_.time(unaccounted() + bus_stall_);
}

bool RiscvCore::transport(tlm::tlm_command command, std::uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(addr);
    trans.set_data_ptr(static_cast<unsigned char*>(data));
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    const sc_core::sc_time issued = local_time();
    sc_core::sc_time delay = issued;
    mem->b_transport(trans, delay);
    bus_stall_ += clock_.cycles(delay - issued);
    return trans.is_response_ok();
}

// A custom-0..3 instruction becomes a RoCC command (the channel refuses what no accelerator
// implements, and the core then traps). The core syncs first: the accelerator lives
// in simulated time and must see the command at the core's cycle.
void RiscvCore::serve_custom(const rv::Stop& stop) {
    qk_.sync();
    const rv::CustomFields f = rv::decode_custom(stop.insn);
    const sim::Cycles start = clock_.now();
    const RoccCommand cmd{static_cast<std::uint8_t>(f.funct7), f.xs1 ? iss_->reg(f.rs1) : 0,
                          f.xs2 ? iss_->reg(f.rs2) : 0, static_cast<std::uint8_t>(f.rd), f.xd,
                          static_cast<std::uint8_t>(f.opcode_index)};
    if (!rocc->issue(cmd)) {
        iss_->raise(rv::kIllegalInstruction, stop.insn);
        return;
    }
    sc_core::wait(clock_.time(config_.rocc_issue));
    if (f.xd) {
        state.set_now(1);
        iss_->set_reg(f.rd, rocc->wait_response().data);
        state.set_now(0);
    }
    // These cycles have passed in the kernel already: they go into mcycle, not the keeper.
    const sim::Cycles spent = clock_.now() - start;
    iss_->add_cycles(spent);
    accounted_ += spent;
    iss_->retire_custom();
}

void RiscvCore::serve_semihosting() {
    const std::uint64_t op = iss_->reg(10);
    SemihostingTime time;
    time.cycles = cycles();
    // Whole centiseconds, truncated.
    time.centiseconds = static_cast<std::int64_t>(clock_.time(time.cycles) / sc_core::sc_time(10, sc_core::SC_MS));
    time.ticks_per_second = std::llround(sc_core::sc_time(1, sc_core::SC_SEC) / clock_.period());
    const SemihostingResult r = semihosting_.call(op, iss_->reg(11), time);
    switch (r.kind) {
        case SemihostingResult::Kind::value:
            iss_->set_reg(10, static_cast<std::uint64_t>(r.value));
            iss_->retire_semihosting();
            break;
        case SemihostingResult::Kind::exit: finish({true, r.value, ""}); break;
        case SemihostingResult::Kind::unsupported:
            stop_with("unsupported semihosting call " + hex(op) + " at pc " + hex(iss_->pc()));
            break;
        case SemihostingResult::Kind::bad_memory:
            stop_with("semihosting call " + hex(op) + " at pc " + hex(iss_->pc()) + ": " + r.error);
            break;
    }
}

// Semihosting reaches memory the way a debugger does: straight through the DMI window, else
// through the debug transport, in zero time and without touching the target's statistics.
bool RiscvCore::debug_access(tlm::tlm_command command, std::uint64_t addr, void* data, std::size_t len) {
    if (window_holds(direct_, addr, len)) {
        std::uint8_t* host = direct_.ptr + (addr - direct_.base);
        if (command == tlm::TLM_READ_COMMAND)
            std::memcpy(data, host, len);
        else
            std::memcpy(host, data, len);
        return true;
    }
    tlm::tlm_generic_payload trans;
    trans.set_command(command);
    trans.set_address(addr);
    trans.set_data_ptr(static_cast<unsigned char*>(data));
    trans.set_data_length(static_cast<unsigned>(len));
    return mem->transport_dbg(trans) == len;
}

// For messages only: 0 if pc is not in memory.
std::uint32_t RiscvCore::instruction_at(std::uint64_t pc) {
    std::uint16_t half[2] = {};
    if (!debug_access(tlm::TLM_READ_COMMAND, pc, &half[0], 2)) return 0;
    if ((half[0] & 3) == 3) debug_access(tlm::TLM_READ_COMMAND, pc + 2, &half[1], 2);
    return half[0] | std::uint32_t{half[1]} << 16;
}

// Ends the program: the core catches up with its local time (so the kernel's time is its
// cycles) and shows state 2. The simulation then ends by itself once the accelerator is idle:
// no sc_stop, so the last time step still reaches the trace.
void RiscvCore::finish(CoreExit how) {
    account();
    qk_.sync();
    console_.flush();
    exit_ = std::move(how);
    state.set_now(2);
}

void RiscvCore::stop_with(const std::string& error) { finish({false, 0, error}); }

void RiscvCore::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, state.signal, prefix + ".state");
}

}  // namespace elstm
