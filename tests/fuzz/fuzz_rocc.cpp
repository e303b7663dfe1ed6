// libFuzzer target: the accelerator's RoCC command interface. The input is a sequence of
// commands, kCommandBytes each (funct, xd in bit 0 of a flag byte, rs1, rs2, little-endian),
// that a driver thread issues through the RoCC channel as the core would: a funct the
// accelerator does not implement is refused by the channel, xd waits for the response. The
// accelerator sits on a small DRAM holding a valid layer (the seeds' commands point at it).
//
// SystemC elaborates a design once per simulation context, and a model error ends the
// simulation of its context for good; so every input gets a fresh context with the whole
// system, torn down afterwards. The input's simulation is bounded: a watchdog ends it after
// kMaxCycles of simulated time (a layer of 2^60 steps, a response that never comes), and a
// model error (SC_REPORT_ERROR) ends it at once. Either way every thread is killed, unwinding
// its stack, before the context is deleted. Findings: a crash or sanitizer report, a hang in
// zero simulated time (libFuzzer's timeout), an exception that escapes a process instead of a
// model error, a simulation that neither finishes nor ends.
#include <systemc>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/bus/memory_bus.hpp>
#include <elstm_vp/dram/dram.hpp>
#include "fuzz_input.hpp"
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>
#include <elstm_vp/numeric/workload.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>

namespace {

using namespace elstm;

constexpr std::size_t kCommandBytes = 18;
constexpr std::size_t kMaxCommands = 64;
constexpr sim::Cycles kMaxCycles = 20000;

// The DRAM and the layer in it: m = 8, n = 4, 4 steps (the seeds' addresses).
constexpr std::uint64_t kBase = 0x80000000ull;
constexpr std::uint64_t kDramBytes = 64 * 1024;
constexpr std::uint64_t kW = kBase, kU = kBase + 0x1000, kTable = kBase + 0x2000, kBias = kBase + 0x2100,
                        kX = kBase + 0x3000;
constexpr std::size_t kM = 8, kN = 4, kSteps = 4;

struct Placed {
    std::uint64_t addr;
    std::vector<std::uint64_t> words;
};

std::vector<Placed> layer_image() {
    LayerSpec spec;
    spec.input_size = kM;
    spec.hidden_size = kN;
    spec.w_sparsity = 0.5;
    spec.u_sparsity = 0.25;
    const LstmLayerWeights layer = generate_layer(spec, 1.0, 7);
    const PackedMatrix w = pack(layer.w, WeightFormat::esell), u = pack(layer.u, WeightFormat::esell);
    std::vector<std::uint64_t> x(kSteps * kM / 2);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0x3f0000003e800000ull + (i << 20);  // fp32 pairs near 0.5
    return {{kW, w.words},
            {kU, u.words},
            {kTable, esell::pack_word_table(u.segment_words)},
            {kBias, esell::pack_bias(layer.bias)},
            {kX, x}};
}

// What ended the input's simulation.
struct Outcome {
    bool ended = false;  // the driver finished, the watchdog fired, or a model error
    std::string model_error;
};
Outcome* g_outcome = nullptr;

void kill_processes(sc_core::sc_object* parent, const sc_core::sc_process_handle& self) {
    for (sc_core::sc_object* o : parent->get_child_objects()) {
        sc_core::sc_process_handle h(o);
        if (h.valid() && !h.terminated() && h != self) h.kill();
        kill_processes(o, self);
    }
}

// Ends the simulation from inside it: every other process is killed (its stack unwound), then
// this one. Never returns when called from a process.
void end_simulation() {
    const sc_core::sc_process_handle self = sc_core::sc_get_current_process_handle();
    for (sc_core::sc_object* top : sc_core::sc_get_top_level_objects()) {
        sc_core::sc_process_handle h(top);
        if (h.valid() && !h.terminated() && h != self) h.kill();
        kill_processes(top, self);
    }
    g_outcome->ended = true;
    sc_core::sc_stop();
    sc_core::sc_process_handle(self).kill();
}

// A model error from a process ends the input's simulation (the expected answer to a bad
// command); anything else goes to SystemC's own handler.
void report_handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
    if (report.get_severity() >= sc_core::SC_ERROR && g_outcome && sc_core::sc_get_current_process_handle().valid()) {
        g_outcome->model_error = report.get_msg();
        end_simulation();
    }
    sc_core::sc_report_handler::default_handler(report, actions);
}

// The core's side of the channel: issues the input's commands, then ends the simulation once
// the accelerator has answered a final status request (so a started layer runs to its end).
class Driver : public sc_core::sc_module {
public:
    sc_core::sc_port<RoccCoreIf> rocc;

    Driver(sc_core::sc_module_name name, std::vector<RoccCommand> commands, sim::Clock clock)
        : sc_module(name), rocc("rocc"), commands_(std::move(commands)), clock_(clock) {
        SC_HAS_PROCESS(Driver);
        SC_THREAD(run);
        SC_THREAD(watchdog);
    }

private:
    void run() {
        std::uint64_t starts = 0;
        for (const RoccCommand& c : commands_) {
            if (!rocc->issue(c)) continue;  // not implemented: the core would trap
            starts += c.funct == rocc_cmd::kStart;
            if (c.xd) rocc->wait_response();
        }
        // The accelerator takes commands in order and a start ends with its layer, so by the
        // time it answers this every layer started has completed.
        RoccCommand status;
        status.funct = rocc_cmd::kStatus;
        status.xd = true;
        rocc->issue(status);
        if (rocc->wait_response().data != starts) fuzz::finding("fuzz_rocc", "layers completed != layers started");
        end_simulation();
    }
    void watchdog() {
        sc_core::wait(clock_.time(kMaxCycles));
        end_simulation();
    }

    std::vector<RoccCommand> commands_;
    sim::Clock clock_;
};

AcceleratorConfig accelerator_config() {
    AcceleratorConfig c;
    c.pes = {{"pe0", PeRole::spmv, 4}, {"pe1", PeRole::spmv, 4}, {"pe2", PeRole::spmspv, 4}};
    c.buffers.x = {256, 32, 1};
    c.buffers.wx = {1024, 32, 1};
    c.buffers.uh = {64, 32, 1};
    c.buffers.h = {16, 32, 1};
    c.buffers.c = {16, 32, 1};
    c.buffers.bias = {64, 32, 1};
    c.buffers.table = {16, 16, 1};
    return c;
}

// The whole system of one input, in its own simulation context.
void simulate(const std::vector<RoccCommand>& commands, const std::vector<Placed>& image) {
    sc_core::sc_simcontext* const previous = sc_core::sc_curr_simcontext;
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
    Outcome outcome;
    g_outcome = &outcome;
    {
        const sim::Clock clock;
        DramConfig dram_config;
        dram_config.base = kBase;
        dram_config.size = kDramBytes;
        Dram dram("dram", dram_config, clock);
        MemoryBus bus("bus");
        RoccChannel channel("rocc", RoccChannelConfig{}, clock, Accelerator::known_functs());
        Accelerator accel("accel", accelerator_config(), clock);
        Driver driver("driver", commands, clock);
        bus.memory.bind(dram.socket);
        channel.mem.bind(bus.initiators);
        accel.cmd.bind(channel);
        accel.data.bind(channel);
        driver.rocc.bind(channel);
        for (const Placed& p : image) dram.write_backdoor(p.addr, p.words.data(), 8 * p.words.size());
        try {
            sc_core::sc_start();
        } catch (const sc_core::sc_report& r) {
            // Not through SC_REPORT_ERROR: an exception escaped a process.
            fuzz::finding("fuzz_rocc", ("an exception escaped the simulation: " + std::string(r.what())).c_str());
        }
        if (!outcome.ended) fuzz::finding("fuzz_rocc", "the simulation stopped without ending");
    }
    g_outcome = nullptr;
    delete sc_core::sc_curr_simcontext;
    sc_core::sc_curr_simcontext = previous;
    sc_core::sc_default_global_context = previous;
}

}  // namespace

// SystemC's pool of timed events keeps the blocks of events still pending when a context is
// deleted; they are the library's, not the models'.
extern "C" const char* __lsan_default_suppressions() { return "leak:sc_event_timed::allocate\n"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<Placed> image = layer_image();
    static const bool handlers = [] {
        sc_core::sc_report_handler::set_handler(report_handler);
        sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
        return true;
    }();
    (void)handlers;
    fuzz::Reader in(data, size);
    std::vector<RoccCommand> commands;
    for (std::size_t k = 0; k < size / kCommandBytes && k < kMaxCommands; ++k) {
        RoccCommand c;
        c.funct = static_cast<std::uint8_t>(in.take(1));
        c.xd = in.take(1) & 1;
        c.rs1 = in.take(8);
        c.rs2 = in.take(8);
        commands.push_back(c);
    }
    simulate(commands, image);
    return 0;
}
