#include "core/riscv_core.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "numeric/hex.hpp"

namespace elstm {

namespace {

// The RISC-V semihosting calls served (Arm semihosting numbering; on RV64 every field of a
// parameter block is a 64-bit word).
namespace sys {
constexpr std::uint64_t kOpen = 0x01, kClose = 0x02, kWriteC = 0x03, kWrite0 = 0x04, kWrite = 0x05,
                        kRead = 0x06, kIsTty = 0x09, kFlen = 0x0C, kClock = 0x10, kTime = 0x11,
                        kErrno = 0x13, kGetCmdline = 0x15, kHeapInfo = 0x16, kExit = 0x18,
                        kExitExtended = 0x20, kElapsed = 0x30, kTickFreq = 0x31;
constexpr std::uint64_t kApplicationExit = 0x20026;  // ADP_Stopped_ApplicationExit
}  // namespace sys

// picolibc's exit() opens this file to learn whether SYS_EXIT_EXTENDED exists; without it,
// SYS_EXIT only tells 0 from non-zero. Magic "SHFB", then feature byte 0 with bit 0 =
// SH_EXT_EXIT_EXTENDED (bit 1, SH_EXT_STDOUT_STDERR, stays clear: ":tt" is one console).
const std::string kFeaturesFile = ":semihosting-features";
const std::string kFeatures{'S', 'H', 'F', 'B', '\x01'};

// A semihosting call whose arguments point outside memory.
class GuestMemoryError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

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

RiscvCore::RiscvCore(sc_core::sc_module_name name, const CoreConfig& config, const sim::Clock& clock,
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
      bus_(std::make_unique<TlmBus>(*this)) {
    // The core is the platform's only temporally decoupled initiator, so its quantum is the
    // global one its quantum keeper reads.
    tlm::tlm_global_quantum::instance().set(clock.time(config.quantum));
    mem.register_invalidate_direct_mem_ptr(this, &RiscvCore::invalidate_dmi);
    // stdin, stdout and stderr are open on the console, so a program may write(1, ...) without
    // opening ":tt" first (picolibc's stdio uses SYS_WRITEC and opens nothing).
    for (std::uint64_t handle = 0; handle < 3; ++handle) files_[handle].tty = true;
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
    while (!done()) {
        if (iss_->instret() >= config_.max_instructions) {
            const std::uint64_t pc = iss_->pc();
            stop_with("instruction budget of " + std::to_string(config_.max_instructions) + " exceeded at pc " +
                      hex(pc) + ", instruction " + insn_hex(instruction_at(pc)));
            break;
        }
        const rv::Stop stop = iss_->run(run_length());
        account();
        if (qk_.need_sync()) qk_.sync();
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
// the slowest instruction class cannot carry the core past the end of its quantum.
std::uint64_t RiscvCore::run_length() const {
    const sim::Cycles local = clock_.cycles(qk_.get_local_time());
    const sim::Cycles left = config_.quantum > local ? config_.quantum - local : 0;
    return std::min(config_.max_instructions - iss_->instret(), std::max<std::uint64_t>(1, left / max_cpi_));
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
    std::int64_t result = 0;
    try {
        result = semihosting_call(op, iss_->reg(11));
    } catch (const GuestMemoryError& e) {
        stop_with("semihosting call " + hex(op) + " at pc " + hex(iss_->pc()) + ": " + e.what());
    }
    if (done()) return;
    iss_->set_reg(10, static_cast<std::uint64_t>(result));
    iss_->retire_semihosting();
}

// One call: op and its argument (a1; for most calls the address of a parameter block).
// Returns what goes into a0.
std::int64_t RiscvCore::semihosting_call(std::uint64_t op, std::uint64_t arg) {
    switch (op) {
        case sys::kOpen: return open_file(arg);
        case sys::kClose: return files_.erase(load_word(arg)) ? 0 : -1;
        case sys::kWriteC: {
            char c;
            load(arg, &c, 1);
            console_.put(c);
            return 0;
        }
        case sys::kWrite0: console_ << load_string(arg); return 0;
        case sys::kWrite: return write_file(arg);
        case sys::kRead: return read_file(arg);
        case sys::kIsTty: {
            const HostFile* f = file(load_word(arg));
            return f ? f->tty : -1;
        }
        case sys::kFlen: {
            const HostFile* f = file(load_word(arg));
            return f ? static_cast<std::int64_t>(f->contents.size()) : -1;
        }
        // Time is simulated time, so runs stay deterministic; there is no wall clock.
        case sys::kClock: {
            const double centiseconds = clock_.time(cycles()) / sc_core::sc_time(10, sc_core::SC_MS);
            return static_cast<std::int64_t>(centiseconds);  // truncates: whole centiseconds
        }
        case sys::kTime: return 0;
        case sys::kElapsed: {
            const std::uint64_t ticks = cycles();
            store(arg, &ticks, sizeof ticks);
            return 0;
        }
        case sys::kTickFreq: return std::llround(sc_core::sc_time(1, sc_core::SC_SEC) / clock_.period());
        case sys::kErrno: return 0;
        case sys::kGetCmdline: return get_cmdline(arg);
        // picolibc passes a zeroed block and, finding it still zero, uses its linker symbols.
        case sys::kHeapInfo: return 0;
        case sys::kExit:
        case sys::kExitExtended: return exit_program(arg);
    }
    stop_with("unsupported semihosting call " + hex(op) + " at pc " + hex(iss_->pc()));
    return 0;
}

// Block {name, mode, name length}. Only the console and the features file exist.
std::int64_t RiscvCore::open_file(std::uint64_t block) {
    const std::uint64_t name_addr = load_word(block), mode = load_word(block + 8), length = load_word(block + 16);
    if (length > kFeaturesFile.size()) return -1;  // longer than any name there is
    std::string name(length, '\0');
    load(name_addr, name.data(), length);
    HostFile f;
    if (name == ":tt")
        f.tty = true;
    else if (name == kFeaturesFile && mode <= 1)  // modes 0, 1: "r", "rb"
        f.contents = kFeatures;
    else
        return -1;
    files_.emplace(next_handle_, std::move(f));
    return static_cast<std::int64_t>(next_handle_++);
}

// Block {handle, buffer, length}; returns the bytes not read. The console has no input (EOF).
std::int64_t RiscvCore::read_file(std::uint64_t block) {
    HostFile* f = file(load_word(block));
    const std::uint64_t buffer = load_word(block + 8), length = load_word(block + 16);
    if (!f) return -1;
    const std::uint64_t n = std::min<std::uint64_t>(length, f->contents.size() - f->pos);
    store(buffer, f->contents.data() + f->pos, n);
    f->pos += n;
    return static_cast<std::int64_t>(length - n);
}

// Block {handle, buffer, length}; returns the bytes not written. Only the console is writable.
std::int64_t RiscvCore::write_file(std::uint64_t block) {
    const HostFile* f = file(load_word(block));
    const std::uint64_t buffer = load_word(block + 8), length = load_word(block + 16);
    if (!f) return -1;
    if (!f->tty) return static_cast<std::int64_t>(length);
    char chunk[4096];
    for (std::uint64_t sent = 0; sent < length;) {
        const std::uint64_t n = std::min<std::uint64_t>(sizeof chunk, length - sent);
        load(buffer + sent, chunk, n);
        console_.write(chunk, static_cast<std::streamsize>(n));
        sent += n;
    }
    return 0;
}

// Block {buffer, size}: the command line is empty.
std::int64_t RiscvCore::get_cmdline(std::uint64_t block) {
    if (load_word(block + 8) == 0) return -1;
    const char nul = '\0';
    const std::uint64_t length = 0;
    store(load_word(block), &nul, 1);
    store(block + 8, &length, sizeof length);
    return 0;
}

// SYS_EXIT and SYS_EXIT_EXTENDED: block {reason, subcode}. Only ADP_Stopped_ApplicationExit
// carries the exit code; picolibc's SYS_EXIT fallback reports any other code as another
// reason, which exits with 1.
std::int64_t RiscvCore::exit_program(std::uint64_t block) {
    const std::uint64_t reason = load_word(block), subcode = load_word(block + 8);
    finish({true, reason == sys::kApplicationExit ? static_cast<std::int64_t>(subcode) : 1, ""});
    return 0;
}

RiscvCore::HostFile* RiscvCore::file(std::uint64_t handle) {
    const auto it = files_.find(handle);
    return it == files_.end() ? nullptr : &it->second;
}

// Semihosting reaches memory the way a debugger does: straight through the DMI window, else
// through the debug transport, in zero time and without touching the target's statistics.
bool RiscvCore::debug_access(tlm::tlm_command command, std::uint64_t addr, void* data, std::size_t len) {
    if (direct_.ptr && addr >= direct_.base && len <= direct_.size && addr - direct_.base <= direct_.size - len) {
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

void RiscvCore::load(std::uint64_t addr, void* data, std::size_t len) {
    if (len && !debug_access(tlm::TLM_READ_COMMAND, addr, data, len))
        throw GuestMemoryError("cannot read memory at " + hex(addr));
}

void RiscvCore::store(std::uint64_t addr, const void* data, std::size_t len) {
    if (len && !debug_access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len))
        throw GuestMemoryError("cannot write memory at " + hex(addr));
}

// A parameter-block field (RV64 and the host are both little-endian).
std::uint64_t RiscvCore::load_word(std::uint64_t addr) {
    std::uint64_t v;
    load(addr, &v, sizeof v);
    return v;
}

std::string RiscvCore::load_string(std::uint64_t addr) {
    std::string s;
    for (char c = 0;; ++addr) {
        load(addr, &c, 1);
        if (c == '\0') return s;
        s.push_back(c);
    }
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

}  // namespace elstm
