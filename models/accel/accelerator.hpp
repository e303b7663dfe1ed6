#pragma once
#include <systemc>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <elstm_vp/buffer/onchip_buffer.hpp>
#include <elstm_vp/numeric/lstm_variant.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>
#include <elstm_vp/pe/spmv_pe.hpp>
#include <elstm_vp/pe/vector_pe.hpp>
#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

// RoCC commands of the co-processor (docs/design.md §3).
namespace rocc_cmd {
constexpr std::uint8_t kShape = 0;      // rs1 = m (size of x), rs2 = n (size of h)
constexpr std::uint8_t kThreshold = 1;  // rs1 = h threshold (fp32 bits), rs2 = steps
constexpr std::uint8_t kWeights = 2;    // rs1 = W (eSELL), rs2 = bias
constexpr std::uint8_t kUTable = 3;     // rs1 = U word-count table, rs2 = N_grp (N_fuse)
constexpr std::uint8_t kVectors = 4;    // rs1 = x sequence, rs2 = h output (steps × n fp32)
constexpr std::uint8_t kStart = 5;      // rs1 = U (eSELL), rs2 = flags; xd → rd = cycles
constexpr std::uint8_t kStatus = 6;     // xd → rd = layers completed since reset
constexpr std::uint8_t kDelta = 7;      // rs1 = Θx, rs2 = Θh (fp32 bits) for the delta policy
constexpr std::uint8_t kWeightScale = 8;  // rs1, rs2 = fraction bits of W, U (fixed-point csc_ese)
// kStart flags
constexpr std::uint64_t kFlagSequential = 1;  // W·x_t then U·h_t step by step, no fusion
constexpr std::uint64_t kFlagNoPruning = 2;   // use every block of h
constexpr std::uint64_t kFlagDelta = 4;       // DeltaLSTM: multiply changes above Θx, Θh only
}  // namespace rocc_cmd

enum class Schedule { cell_fusion, sequential };

struct AcceleratorBuffers {
    BufferConfig x{2 * 1024, 32, 1};       // x of the steps in flight (fp32)
    BufferConfig wx{64 * 1024, 32, 1};     // W·x results of two batches
    BufferConfig uh{8 * 1024, 32, 1};      // U·h results of one step
    BufferConfig h{2 * 1024, 32, 1};       // h_{t-1}
    BufferConfig c{2 * 1024, 32, 1};       // cell state
    BufferConfig bias{8 * 1024, 32, 1};
    BufferConfig table{1024, 16, 1};       // U block-column word counts
};

struct AcceleratorConfig {
    std::vector<PeConfig> pes;     // ≥ 1 spmv and exactly 1 spmspv
    VectorPeConfig vector_pe;
    AcceleratorBuffers buffers;
    WeightFormat format = WeightFormat::esell;  // the format the PEs' decoders read
    Datapath datapath = Datapath::fp32;
};

// What one started layer (one kStart) did, for the stats.
struct LayerRun {
    std::size_t m = 0, n = 0, steps = 0;
    std::uint64_t x_addr = 0, h_addr = 0;  // where the run reads x and writes h (command 4)
    Schedule schedule = Schedule::cell_fusion;
    unsigned n_fuse = 1;
    std::size_t batches = 0;
    sim::Cycles start = 0, end = 0;
    sim::Cycles prolog = 0, main = 0, epilog = 0;  // sum to end − start
    std::uint64_t words[kPortUsers] = {};         // per PortUser
    SkipPolicy skip = SkipPolicy::h_block_threshold;
    std::uint64_t h_blocks_total = 0, h_blocks_skipped = 0;
    std::uint64_t x_total = 0, x_propagated = 0;  // delta: elements of x multiplied
    std::uint64_t h_total = 0, h_propagated = 0;  // delta: elements of h_{t-1} multiplied
    std::vector<std::uint64_t> pe_busy;             // per PE, in config order
    std::uint64_t vector_busy = 0;
    // The events the energy model prices: the MACs of W·x and of U·h (the non-zeros each
    // multiply applied), the vector PE's element operations (one per h element per step), the
    // RoCC command words (rs1 and rs2 of every command since the previous run, the start
    // command's included, and its response), and the entries each buffer read and wrote during
    // the run, in buffers() order.
    std::uint64_t macs_w = 0, macs_u = 0;
    std::uint64_t vector_ops = 0;
    std::uint64_t command_words = 0;
    std::vector<std::uint64_t> buffer_reads, buffer_writes;
    sim::Cycles cycles() const { return end - start; }
};

// The E-LSTM co-processor: instruction controller, SpMV PEs decoding the configured weight
// format (eSELL by default), the vector PE and the on-chip buffers. Commands arrive through
// `cmd`, memory is reached only through `data`.
class Accelerator : public sc_core::sc_module {
public:
    sc_core::sc_port<RoccAccelIf> cmd;
    sc_core::sc_port<RoccDataIf> data;

    Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config, sim::Clock clock);
    ~Accelerator() override;

    // The funct values the instruction controller decodes.
    static std::set<std::uint8_t> known_functs();
    // The names of the accelerator's own parts (ports, traced values, buffers, the vector PE,
    // threads): a PE, a child module beside them, must not take one (its module and trace
    // names would collide).
    static std::vector<std::string> part_names();

    const std::vector<LayerRun>& runs() const { return runs_; }
    const std::vector<std::unique_ptr<SpmvPe>>& pes() const { return pes_; }
    const VectorPe& vector_pe() const { return *vector_pe_; }
    std::vector<const OnChipBuffer*> buffers() const;
    // RoCC command words since reset: rs1 and rs2 of every command and every response.
    std::uint64_t command_words() const { return command_words_; }

    // Traced: 0 idle, 1 prolog, 2 main, 3 epilog; and the step the U·h PE is on (−1 idle).
    sim::TimedValue<std::uint8_t> phase;
    sim::TimedValue<std::int32_t> uh_step;
    // Adds prefix.phase, prefix.uh_step and every part's signals to `file`: per PE
    // prefix.<pe>.state/.step/.step_last, prefix.vpe.state, prefix.buf_<b>.fill.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

    // Called after every step of a layer (for progress reports): the run so far and the step.
    std::function<void(const LayerRun&, std::size_t step)> on_step;
    // Called when a layer starts, before it reads anything: the x it will read is in memory.
    std::function<void(const LayerRun&)> on_start;

private:
    struct Registers;  // set by commands 0–5
    struct LayerState; // one started layer: its plan, staging and progress
    struct WBatch;     // the part of W one batch fetches

    // The instruction controller: decodes commands, starts a layer, answers with its cycles.
    void run();
    // The three activities of a started layer: the W side posts x and W bursts, the SpMV PEs
    // finish each W stream, the U side runs U·h, the vector PE and the h store step by step.
    void w_side();
    void wx_side();
    void u_side();

    void start_layer();
    std::uint64_t staged_steps(const LayerState& L) const;
    void check_layer_fits(const LayerState& L);
    void read_w_structure(LayerState& L);
    void encode_x_deltas(LayerState& L, std::size_t k, std::size_t steps);
    void select_w_segments(LayerState& L, std::size_t k);
    template <typename T>
    void multiply_wx(LayerState& L, std::size_t k, std::size_t steps);
    template <typename T>
    std::uint64_t multiply_uh(LayerState& L, const std::vector<bool>& keep, const float* h_in);
    template <typename T>
    void gate_inputs(LayerState& L, const T* wx, const T* uh, std::vector<T>& mx, std::vector<T>& mh);
    void load_layer_constants(LayerState& L);
    std::size_t batch_steps(const LayerState& L, std::size_t k) const;
    // Which SpMV PE takes which of a batch's steps.
    struct Share {
        std::size_t pe, first, steps;
    };
    std::vector<Share> shares(const LayerState& L, std::size_t steps) const;
    BurstId post(LayerState& L, Burst burst);
    void wait_count(const std::size_t& counter, std::size_t at_least, const sc_core::sc_event& ev);
    void respond(const RoccCommand& c, std::uint64_t value);  // counts the response word

    AcceleratorConfig config_;
    sim::Clock clock_;
    std::vector<std::unique_ptr<SpmvPe>> pes_;
    std::unique_ptr<VectorPe> vector_pe_;
    OnChipBuffer buf_x_, buf_wx_, buf_uh_, buf_h_, buf_c_, buf_bias_, buf_table_;
    std::vector<LayerRun> runs_;
    std::unique_ptr<Registers> regs_;
    std::unique_ptr<LayerState> layer_;
    std::uint64_t layers_completed_ = 0;
    std::uint64_t command_words_ = 0;
    std::uint64_t pending_command_words_ = 0;  // since the last start command
    sc_core::sc_event start_event_, done_event_;
};

}  // namespace elstm
