// The platform as a SystemC module: its children, how they are bound (inside, or to the user's
// interconnect and host), and the run to the end of the host's work.
#include <elstm_vp/platform/platform.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

namespace {

sc_core::sc_time clock_period(double mhz) {
    return sc_core::sc_time(std::llround(1e6 / mhz), sc_core::SC_PS);
}

// The host's `state` once it has stopped (the core exited or trapped, the driver is done, the
// external host called host_done()).
constexpr std::uint8_t kHostStopped = 2;

}  // namespace

// Polls a stop request every Platform::kStopPollCycles while the host runs and stops the
// simulation when it is granted. It never keeps the simulation alive by itself: it ends with
// the host, or as soon as nothing but its own timeout is left to run (so a host that hangs
// still ends the run by starvation).
class StopPoller : public sc_core::sc_module {
public:
    StopPoller(sc_core::sc_module_name name, const sc_core::sc_signal<std::uint8_t>& host_state, sim::Clock clock)
        : sc_module(name), host_state_(host_state), clock_(clock) {
        SC_HAS_PROCESS(StopPoller);
        SC_THREAD(run);
    }
    void set_requested(std::function<bool()> requested) { requested_ = std::move(requested); }
    bool stopped() const { return stopped_; }

private:
    void run() {
        while (host_state_.read() != kHostStopped) {
            sc_core::wait(clock_.time(Platform::kStopPollCycles), host_state_.value_changed_event());
            if (requested_ && requested_()) {
                stopped_ = true;
                sc_core::sc_stop();
                return;
            }
            if (!sc_core::sc_pending_activity()) return;
        }
    }

    const sc_core::sc_signal<std::uint8_t>& host_state_;
    sim::Clock clock_;
    std::function<bool()> requested_;
    bool stopped_ = false;
};

Platform::Platform(const PlatformConfig& config, const PlatformOptions& options)
    : Platform("platform", config, options) {}

// Every module made here is a child of this one: SystemC puts what a module's constructor
// creates below it in the hierarchy.
Platform::Platform(sc_core::sc_module_name name, const PlatformConfig& config, const PlatformOptions& options)
    : sc_module(name),
      config_(config),
      options_(options),
      image_(build_workload(config)),
      clock_(clock_period(config.clock_mhz)) {
    config_.accel.buffers = fit_buffers(config_, image_);
    config_.rocc.memory_latency = config_.dram.latency;

    dram_ = std::make_unique<Dram>("dram", config_.dram, clock_);
    bus_ = std::make_unique<MemoryBus>("bus");
    channel_ = std::make_unique<RoccChannel>("rocc", config_.rocc, clock_, Accelerator::known_functs());
    accel_ = std::make_unique<Accelerator>("accel", config_.accel, clock_);
    if (options_.bind_memory) bus_->memory.bind(dram_->socket);
    bind_to_bus(channel_->mem, "rocc");
    accel_->cmd.bind(*channel_);
    accel_->data.bind(*channel_);
    load_image();
    load_descriptor();
    build_host();
    accel_->on_step = [this](const LayerRun&, std::size_t step) {
        last_step_ = {accel_->runs().size() - 1, step + 1};
        if (progress_) progress_(last_step_.run, step);
    };
    accel_->on_start = [this](const LayerRun& run) { capture_inputs(run); };
    open_trace();
    poller_ = std::make_unique<StopPoller>("stop_poller", host_state(), clock_);
}

// A trace still open is a failed run's: it stays for debugging as <stem>.partial.vcd, the
// name this run's own temporary one stands in for (for a device or stream it goes).
Platform::~Platform() {
    if (!trace_) return;
    sc_core::sc_close_vcd_trace_file(trace_);
    if (failed_vcd_.empty() || std::rename(partial_vcd_.c_str(), failed_vcd_.c_str()) != 0)
        std::remove(partial_vcd_.c_str());
}

void Platform::build_host() {
    switch (config_.host.kind) {
    case HostKind::core: {
        const std::uint64_t entry = load_firmware();
        core_ = std::make_unique<RiscvCore>("core", config_.host.core, clock_, entry, std::cout);
        bind_to_bus(core_->mem, "core");
        core_->rocc.bind(*channel_);
        break;
    }
    case HostKind::driver:
        driver_ = std::make_unique<RoccDriver>("core", host_program(), clock_);
        driver_->rocc.bind(*channel_);
        break;
    case HostKind::external:
        // The user's host binds to host_channel() after construction.
        external_state_ = std::make_unique<sim::TimedValue<std::uint8_t>>("host_state", clock_);
        break;
    }
}

tlm::tlm_initiator_socket<64>& Platform::memory_initiator() {
    if (options_.bind_memory)
        throw Error(std::string(name()) + ": memory_initiator(): the platform binds its bus to its own Dram; construct it "
                    "with PlatformOptions::bind_memory = false to bind the bus yourself");
    return bus_->memory;
}

tlm::tlm_target_socket<64>& Platform::memory_target() {
    if (options_.bind_memory)
        throw Error(std::string(name()) + ": memory_target(): the platform binds its Dram to its own bus; construct it "
                    "with PlatformOptions::bind_memory = false to bind the Dram yourself");
    return dram_->socket;
}

RoccCoreIf& Platform::host_channel() {
    if (!external_state_)
        throw Error(std::string(name()) + ": host_channel(): host.kind is " + host_kind_name(config_.host.kind) +
                    ", whose host the platform binds itself; a host of your own needs host.kind: external");
    return *channel_;
}

void Platform::host_done() {
    if (!external_state_)
        throw Error(std::string(name()) + ": host_done(): host.kind is " + host_kind_name(config_.host.kind) +
                    ", whose end the platform sees itself; only an external host reports its end");
    if (external_end_) return;
    external_end_ = clock_.now();
    external_state_->set_now(kHostStopped);
}

// With trace.tlm, through a TransactionLog; else directly (no logging cost).
void Platform::bind_to_bus(tlm::tlm_initiator_socket<64>& socket, const char* initiator) {
    if (config_.tlm.empty()) {
        socket.bind(bus_->initiators);
        return;
    }
    tlm_logs_.push_back(std::make_unique<TransactionLog>((std::string(initiator) + "_log").c_str(), initiator, tlm_text_));
    socket.bind(tlm_logs_.back()->target);
    tlm_logs_.back()->initiator.bind(bus_->initiators);
}

const sc_core::sc_signal<std::uint8_t>& Platform::host_state() const {
    if (core_) return core_->state.signal;
    return driver_ ? driver_->state.signal : external_state_->signal;
}

void Platform::set_progress(std::function<void(std::size_t, std::size_t)> progress) {
    progress_ = std::move(progress);
}

void Platform::set_stop_request(std::function<bool()> requested) {
    // The core may run a whole quantum ahead without the kernel (and the poller) getting a turn.
    if (core_) core_->set_yield_request(requested);
    poller_->set_requested(std::move(requested));
}

bool Platform::interrupted() const { return poller_->stopped(); }

bool Platform::run(std::string* error) {
    simulate();
    // The run ends when the host is done; the DRAM's access trace may reach a little further.
    if (interrupted()) end_cycle_ = clock_.now();
    else if (core_) end_cycle_ = core_->cycles();
    else if (driver_) end_cycle_ = driver_->finish_cycle();
    else end_cycle_ = external_end_.value_or(clock_.now());
    const std::string why = failure();
    // The kernel writes a time step's values to the VCD when time moves on: one more cycle
    // puts the final step's changes into the trace (after sc_stop the kernel runs no more).
    if (trace_ && !interrupted()) sc_core::sc_start(clock_.period());
    if (why.empty()) return true;
    if (error) *error = why;
    return false;
}

// To the end of the host's work, or of the budget: a budget only bounds simulated time and
// never keeps the simulation running once it is out of events. sc_start(t) stops before the
// time step at t, so a host finishing at cycle max_cycles is within the budget.
void Platform::simulate() {
    if (config_.max_cycles)
        sc_core::sc_start(clock_.time(config_.max_cycles + 1), sc_core::SC_EXIT_ON_STARVATION);
    else
        sc_core::sc_start();
}

// The core exited or trapped, the driver ran its program, the external host called host_done().
bool Platform::host_stopped() const {
    if (core_) return core_->exit().exited || !core_->exit().error.empty();
    return driver_ ? driver_->finished() : external_end_.has_value();
}

// Why the host did not finish, or "" if it did.
std::string Platform::failure() const {
    const auto at = [this](sim::Cycles cycle) {
        return "at cycle " + std::to_string(cycle) + " (" + position() + ")";
    };
    if (interrupted()) return "interrupted " + at(clock_.now());
    // Out of budget: events are left beyond it (the kernel's time is that of the last event before).
    if (!host_stopped() && config_.max_cycles && sc_core::sc_pending_activity())
        return "simulated-time budget max_cycles = " + std::to_string(config_.max_cycles) +
               " ran out before the host finished, " + at(config_.max_cycles);
    if (core_ && !core_->exit().exited)
        return core_->exit().error.empty() ? "the firmware stopped without exiting" : core_->exit().error;
    if (driver_ && !driver_->finished())
        return "the host stopped before finishing its program (simulation ran out of events)";
    if (external_state_ && !external_end_)
        return "the external host did not call host_done() before the simulation ran out of events (" + position() + ")";
    return "";
}

std::int64_t Platform::exit_code() const { return core_ ? core_->exit().code : 0; }

}  // namespace elstm
