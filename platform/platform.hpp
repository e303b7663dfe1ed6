#pragma once
#include <systemc>
#include <tlm>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/bus/memory_bus.hpp>
#include <elstm_vp/bus/transaction_log.hpp>
#include <elstm_vp/core/riscv_core.hpp>
#include <elstm_vp/driver/rocc_driver.hpp>
#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/lstm.hpp>
#include <elstm_vp/numeric/lstm_variant.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>
#include <elstm_vp/platform/classifier.hpp>
#include <elstm_vp/platform/output_path.hpp>
#include <elstm_vp/platform/platform_config.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

// Where one layer's data sits in DRAM.
struct LayerImage {
    std::size_t m = 0, n = 0;
    float threshold = 0.0f;
    std::uint64_t w_addr = 0, u_addr = 0, table_addr = 0, bias_addr = 0;
    PackedMatrix w, u;                  // the packed weights as stored
    int w_frac = 0, u_frac = 0;         // fixed point: W and U are q·2^-frac
    std::uint64_t w_value_words = 0;    // words of W whose slots feed the MACs (the rest steer)
    std::vector<std::uint64_t> h_addr;  // per sequence: steps × padded n fp32
};

// The workload as the platform lays it out: weights (fp16 values), inputs, addresses.
struct WorkloadImage {
    WeightFormat format = WeightFormat::esell;
    Datapath datapath = Datapath::fp32;
    std::vector<LstmLayerWeights> layers;     // as the accelerator gets them (quantized if fixed)
    std::vector<LstmLayerWeights> reference;  // the fp16 weights before quantization (fixed only)
    std::vector<double> gains;            // generator gain per layer (1 for .npy layers)
    std::size_t steps = 0, sequences = 0;
    std::vector<float> inputs;            // sequences × steps × m (unpadded)
    std::vector<LayerImage> placed;
    std::vector<std::uint64_t> x_addr;    // per sequence: steps × padded m fp32
    std::uint64_t descriptor = 0;         // the descriptor's address (base + kImageOffset)
    std::uint64_t layer_table = 0, x_table = 0, h_table = 0;  // the descriptor's tables
    ClassifierImage classifier;           // workload.classifier (classes 0: none)
    std::uint64_t end = 0;                // first byte past the image
};

// Below base + kImageOffset is the firmware's region; there the workload descriptor
// (firmware/include/elstm_desc.h) takes the first page and the workload image follows it.
constexpr std::uint64_t kImageOffset = 1ull << 20;
constexpr std::uint64_t kDescriptorBytes = 4096;

// The ELF the core runs for host.firmware: a path as it is; a built-in one
// (is_builtin_firmware) where this executable or library finds it.
std::string firmware_path(const std::string& name);

// Builds the workload of `config` (generated or from .npy files). Throws elstm::Error.
WorkloadImage build_workload(const PlatformConfig& config);

// Buffer capacities every layer of the workload needs under the configured schedule;
// `auto` buffers take them, explicit ones must hold them (elstm::Error naming the key).
AcceleratorBuffers fit_buffers(const PlatformConfig& config, const WorkloadImage& image);

// The first layer's x of one sequence as the workload holds it (steps × m).
std::vector<float> sequence_inputs(const WorkloadImage& image, std::size_t sequence);

// Golden result of one sequence, the first layer's x `xs` (steps × m), through all layers under
// the schedule's skip policy and the image's datapath: each layer's h (steps × n).
std::vector<std::vector<float>> golden_outputs(const WorkloadImage& image, std::vector<float> xs,
                                               const ScheduleConfig& schedule,
                                               std::vector<VariantStats>* stats = nullptr);
// The fp32 reference of every variant: the dense LSTM on the fp16 weights (before any
// quantization), nothing skipped.
std::vector<std::vector<float>> fp32_reference_outputs(const WorkloadImage& image, std::vector<float> xs);

struct GoldenCheck {
    bool passed = true;
    double tolerance = 0.0;      // 0: bit-exact
    double max_abs_diff = 0.0;
    std::string first_mismatch;  // "layer 2, sequence 0, step 3, h[17]: 0.1234 (accelerator) vs ..."
    std::uint64_t values = 0;    // h values compared
    // Per layer, over all sequences and steps: max and mean |h − fp32 reference|, the error the
    // variant's skipping and datapath cost against fp32_reference_outputs.
    std::vector<double> fp32_max_error, fp32_mean_error;
    // With a classifier: per sequence, the golden h of the last layer at the last step (only the
    // sequences checked before a mismatch).
    std::vector<std::vector<float>> last_h;
};

class StopPoller;

// How the platform sits in a user's SoC (C++ only: elstm-vp has no SoC around it).
struct PlatformOptions {
    // true: the masters' bus is bound to the platform's own Dram inside. false: both ends stay
    // open for the user to bind, memory_initiator() into their interconnect and, behind it,
    // memory_target() at the Dram's configured base (the image is loaded there by backdoor and
    // the golden check reads h from there).
    bool bind_memory = true;
};

// The whole E-LSTM system of one config: DRAM, memory bus, RoCC channel, accelerator and the host
// (the RISC-V core, the test-bench driver, or the user's own with host.kind: external), its child
// modules, bound and ready to run. One per process (SystemC elaborates once).
class Platform : public sc_core::sc_module {
public:
    // An instance named "platform".
    explicit Platform(const PlatformConfig& config, const PlatformOptions& options = {});
    Platform(sc_core::sc_module_name name, const PlatformConfig& config, const PlatformOptions& options = {});
    ~Platform() override;

    // The bus's downstream 64-bit socket: every memory access of the core and of the RoCC
    // channel leaves through it. Only with bind_memory false (else elstm::Error).
    tlm::tlm_initiator_socket<64>& memory_initiator();
    // The platform's Dram's target socket. Only with bind_memory false (else elstm::Error).
    tlm::tlm_target_socket<64>& memory_target();
    // What the user's host binds its sc_port<RoccCoreIf> to. Only with host.kind: external
    // (else elstm::Error: the core or the driver holds the channel).
    RoccCoreIf& host_channel();
    // The external host says it has finished: end_cycle() is this call's cycle and run()
    // succeeds. The first call counts; it does not stop the simulation. Only with host.kind:
    // external (else elstm::Error).
    void host_done();
    // The layer commands of the workload, every sequence's layers in order at the image's
    // addresses: what the test-bench driver issues (layer_command_sequence() turns each into
    // its RoCC commands), and what an external host issues for the golden check to pass.
    std::vector<LayerCommands> host_program() const;

    // Simulates until the simulation runs out of events (the host finished), or the config's
    // max_cycles budget runs out, or a stop request is granted. Returns false (and fills
    // `error`: the cause, the cycle and the position()) unless the host finished.
    bool run(std::string* error);
    // Polled every kStopPollCycles while the host runs: when it returns true the simulation
    // stops (sc_stop) and the run is interrupted(). Call before run(); the callback may only
    // read a flag (e.g. one a signal handler sets).
    void set_stop_request(std::function<bool()> requested);
    static constexpr sim::Cycles kStopPollCycles = 100000;
    bool interrupted() const;
    // Where the simulation is, for messages: "layer run 3, step 12/35, core pc 0x80000a4c"
    // (the run as in the summary, the steps it has finished) or "accelerator idle after 4
    // layer runs"; the pc with the core as host.
    std::string position() const;
    // Layer runs the accelerator has finished (all of runs() once the host is done).
    std::size_t completed_runs() const;
    // The firmware's exit code (0 with the test-bench driver or an external host).
    std::int64_t exit_code() const;
    // Closes the VCD and moves it to its final name (with a fixed $date line); after an
    // interrupted run to interrupted_path(vcd, ".vcd") instead, with a $comment saying so.
    // Returns false (and fills `error`) if it cannot be written; then neither file is left.
    // Beside a VCD written to a file, its GTKWave view (gtkwave_view.hpp). With trace.tlm,
    // writes the transaction log first (after an interrupted run to interrupted_path(tlm, ".jsonl")).
    bool finish_trace(std::string* error = nullptr);
    // Compares every layer's h in DRAM with the golden LSTM run on run_inputs().
    GoldenCheck check_golden() const;
    // The first layer's x of one sequence as it was in DRAM when the accelerator started that
    // layer run (the summary's run `sequence × layers`), so firmware may bring x of its own;
    // the workload's inputs if no such run started (a CPU-only firmware). steps × m.
    std::vector<float> run_inputs(std::size_t sequence) const;
    // The h outputs of one layer and sequence as the run left them in DRAM (steps × n).
    std::vector<float> simulated_h(std::size_t layer, std::size_t sequence) const;

    const PlatformConfig& config() const { return config_; }
    const WorkloadImage& image() const { return image_; }
    const sim::Clock& clock() const { return clock_; }
    // When the host finished (when the simulation stopped, if it was interrupted); with an
    // external host, the cycle of its host_done() call.
    sim::Cycles end_cycle() const { return end_cycle_; }
    const Dram& dram() const { return *dram_; }
    const RoccChannel& channel() const { return *channel_; }
    const Accelerator& accelerator() const { return *accel_; }
    // The host: the RISC-V core (host.kind core) or the test-bench driver (host.kind driver);
    // neither with host.kind: external.
    const RiscvCore* core() const { return core_.get(); }
    const RoccDriver* driver() const { return driver_.get(); }
    // Adds every traced signal of the platform to `file` (a user's own trace file gets what
    // trace.vcd holds): core.state, rocc.*, dram.busy, accel.* (README "VCD signals"), each
    // name after `prefix` ("" or e.g. "top.").
    void trace(sc_core::sc_trace_file* file, const std::string& prefix = "") const;
    // Progress: called after every simulated step with (layer run index, step).
    void set_progress(std::function<void(std::size_t run, std::size_t step)> progress);

private:
    void load_image();
    void load_descriptor();
    std::uint64_t load_firmware();  // into the DRAM; returns the entry point
    void build_host();
    bool host_stopped() const;
    void open_trace();
    void bind_to_bus(tlm::tlm_initiator_socket<64>& socket, const char* initiator);
    const sc_core::sc_signal<std::uint8_t>& host_state() const;
    void simulate();
    std::string failure() const;
    std::string copy_trace(const std::string& path) const;
    void capture_inputs(const LayerRun& run);

    PlatformConfig config_;
    PlatformOptions options_;
    WorkloadImage image_;
    sim::Clock clock_;
    std::unique_ptr<Dram> dram_;
    std::unique_ptr<MemoryBus> bus_;
    std::vector<std::unique_ptr<TransactionLog>> tlm_logs_;  // trace.tlm: one per initiator
    std::string tlm_text_;                                   // their JSON lines
    std::unique_ptr<RoccChannel> channel_;
    std::unique_ptr<Accelerator> accel_;
    std::unique_ptr<RoccDriver> driver_;
    std::unique_ptr<RiscvCore> core_;
    // host.kind external: 0 until host_done(), then stopped (what the poller waits for).
    std::unique_ptr<sim::TimedValue<std::uint8_t>> external_state_;
    std::optional<sim::Cycles> external_end_;  // host_done()'s cycle
    std::unique_ptr<StopPoller> poller_;
    sc_core::sc_trace_file* trace_ = nullptr;
    std::string partial_vcd_;  // this run's own file SystemC writes the trace to
    std::string failed_vcd_;   // where a failed run leaves it: <stem>.partial.vcd ("" for a device or stream)
    sim::Cycles end_cycle_ = 0;
    std::vector<std::vector<float>> started_x_;  // per sequence: run_inputs() (empty: none captured)
    std::function<void(std::size_t run, std::size_t step)> progress_;
    struct {
        std::size_t run = 0, steps = 0;  // the last layer run that finished a step, and its steps done
    } last_step_;
};

}  // namespace elstm
