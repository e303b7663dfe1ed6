// Co-simulation example: a user's own sc_main that builds the E-LSTM accelerator, its DRAM and
// its RoCC channel in C++ (no YAML), drives one LSTM layer from its own host module with the
// six RoCC commands, and checks the h outputs against the golden LSTM, bit for bit.
//
//   Host --rocc--> RoccChannel <--cmd/data-- Accelerator
//                       |mem (TLM-2.0)
//                      Dram
#include <systemc>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <utility>
#include <vector>

#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/lstm.hpp>
#include <elstm_vp/numeric/workload.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>
#include <elstm_vp/sim/clock.hpp>

using namespace elstm;

namespace {

constexpr std::uint64_t kDramBase = 0x80000000;
constexpr sim::Cycles kDramLatency = 30;
constexpr unsigned kSpmvPes = 2;
constexpr unsigned kNFuse = 2;  // steps each SpMV PE fuses on one W stream

// The layer: 16 inputs, 16 hidden units, 8 steps; weights calibrated so that about 40 % of
// the h blocks fall under the threshold and are skipped in U·h.
Workload make_workload() {
    WorkloadSpec spec;
    spec.layers = {LayerSpec{16, 16, 0.3, 0.5, 0.3f, 1.0, 0.4}};
    spec.steps = 8;
    return generate_workload(spec);
}

// fp32 vectors sit in memory padded to whole 64-bit words, step by step.
std::size_t padded(std::size_t n) { return (n + 1) / 2 * 2; }
std::uint64_t align64(std::uint64_t a) { return (a + 63) / 64 * 64; }

// The addresses the RoCC commands carry.
struct LayerAddresses {
    std::uint64_t w, u, table, bias, x, h;
};

// Writes `bytes` at `at` through the DRAM's back door; returns the next 64-byte aligned address.
std::uint64_t place(Dram& dram, std::uint64_t at, const void* data, std::size_t bytes) {
    dram.write_backdoor(at, data, bytes);
    return align64(at + bytes);
}

// Lays the layer out as the accelerator reads it: W and U in eSELL, U's block-column word
// counts (four 16-bit entries per word), the bias (four fp16 per word), x step by step.
LayerAddresses load_layer(Dram& dram, const LstmLayerWeights& layer, const std::vector<float>& xs,
                          std::size_t steps) {
    const esell::EsellMatrix w = esell::encode(layer.w);
    const esell::EsellMatrix u = esell::encode(layer.u);
    const std::vector<std::uint64_t> table = esell::pack_word_table(u.block_col_words);
    const std::vector<std::uint64_t> bias = esell::pack_bias(layer.bias);

    LayerAddresses a{};
    std::uint64_t at = kDramBase;
    a.w = at, at = place(dram, at, w.words.data(), 8 * w.words.size());
    a.u = at, at = place(dram, at, u.words.data(), 8 * u.words.size());
    a.table = at, at = place(dram, at, table.data(), 8 * table.size());
    a.bias = at, at = place(dram, at, bias.data(), 8 * bias.size());
    a.x = at;
    const std::size_t m = layer.input_size;
    for (std::size_t t = 0; t < steps; ++t) {
        std::vector<float> row(padded(m), 0.0f);
        std::copy_n(&xs[t * m], m, row.begin());
        dram.write_backdoor(a.x + 4 * padded(m) * t, row.data(), 4 * row.size());
    }
    a.h = align64(a.x + 4 * padded(m) * steps);  // steps × padded(n) fp32, written by the accelerator
    return a;
}

// h of every step, read back without padding.
std::vector<float> read_h(const Dram& dram, std::uint64_t h_addr, std::size_t n, std::size_t steps) {
    std::vector<float> h(steps * n);
    std::vector<float> row(padded(n));
    for (std::size_t t = 0; t < steps; ++t) {
        dram.read_backdoor(h_addr + 4 * padded(n) * t, row.data(), 4 * row.size());
        std::copy_n(row.begin(), n, &h[t * n]);
    }
    return h;
}

// The six commands of one layer (README "RoCC commands"); the start answers with the cycles.
std::vector<RoccCommand> layer_commands(const LstmLayerWeights& layer, float threshold, std::size_t steps,
                                        const LayerAddresses& a) {
    std::uint32_t th_bits;
    std::memcpy(&th_bits, &threshold, sizeof th_bits);
    RoccCommand start{rocc_cmd::kStart, a.u, 0 /* flags: cell fusion, pruning on */};
    start.xd = true;  // wait for the response: the layer's cycles
    return {
        {rocc_cmd::kShape, layer.input_size, layer.hidden_size},
        {rocc_cmd::kThreshold, th_bits, steps},
        {rocc_cmd::kWeights, a.w, a.bias},
        {rocc_cmd::kUTable, a.table, kNFuse},
        {rocc_cmd::kVectors, a.x, a.h},
        start,
    };
}

// Two SpMV PEs for W·x, one SpMSpV PE for U·h; buffers sized for this layer.
AcceleratorConfig accelerator_config(std::size_t m, std::size_t n) {
    AcceleratorConfig c;
    c.pes = {{"pe0", PeRole::spmv}, {"pe1", PeRole::spmv}, {"pe2", PeRole::spmspv}};
    const std::size_t batch = kSpmvPes * kNFuse;  // steps one W stream serves
    c.buffers.x.capacity = 2 * batch * padded(m);  // two batches in flight
    c.buffers.wx.capacity = 2 * batch * 4 * n;     // W·x of two batches, 4 gates per unit
    c.buffers.uh.capacity = 4 * n;
    c.buffers.h.capacity = n;
    c.buffers.c.capacity = n;
    c.buffers.bias.capacity = 4 * n;
    c.buffers.table.capacity = (n + 3) / 4;  // one entry per block column of U
    return c;
}

// The user's host: stands where a CPU would, issuing RoCC commands through the channel.
SC_MODULE(Host) {
    sc_core::sc_port<RoccCoreIf> rocc;

    SC_HAS_PROCESS(Host);
    Host(sc_core::sc_module_name name, std::vector<RoccCommand> program, sc_core::sc_time issue_time)
        : sc_module(name), rocc("rocc"), program_(std::move(program)), issue_time_(issue_time) {
        SC_THREAD(run);
    }

    bool done() const { return done_; }
    std::uint64_t cycles() const { return cycles_; }

private:
    void run() {
        for (const RoccCommand& c : program_) {
            sc_core::wait(issue_time_);  // each custom instruction takes the host a cycle
            if (!rocc->issue(c)) SC_REPORT_ERROR(name(), "the accelerator rejected a command");
            if (c.xd) cycles_ = rocc->wait_response().data;
        }
        done_ = true;
    }

    std::vector<RoccCommand> program_;
    sc_core::sc_time issue_time_;
    bool done_ = false;
    std::uint64_t cycles_ = 0;
};

}  // namespace

int sc_main(int, char*[]) {
    const Workload workload = make_workload();
    const LstmLayerWeights& layer = workload.layers[0];
    const float threshold = workload.spec.layers[0].h_threshold;
    const std::size_t steps = workload.spec.steps;

    const sim::Clock clock(sc_core::sc_time(1, sc_core::SC_NS));  // 1 GHz
    Dram dram("dram", DramConfig{kDramBase, 1 << 20, kDramLatency, 8}, clock);
    RoccChannelConfig rocc_config;
    rocc_config.memory_latency = kDramLatency;  // the channel times the port against the DRAM's latency
    RoccChannel channel("rocc", rocc_config, clock, Accelerator::known_functs());
    Accelerator accel("accel", accelerator_config(layer.input_size, layer.hidden_size), clock);

    const LayerAddresses addr = load_layer(dram, layer, workload.inputs, steps);
    Host host("host", layer_commands(layer, threshold, steps, addr), clock.period());

    channel.mem.bind(dram.socket);
    accel.cmd.bind(channel);
    accel.data.bind(channel);
    host.rocc.bind(channel);

    sc_core::sc_start();  // runs until no process has anything left to do
    if (!host.done()) {
        std::cerr << "the host did not finish its commands\n";
        return 1;
    }

    const LayerRun& run = accel.runs().back();
    std::cout << "layer " << layer.input_size << " -> " << layer.hidden_size << ", " << steps << " steps: "
              << host.cycles() << " cycles, " << run.h_blocks_skipped << " of " << run.h_blocks_total
              << " h blocks skipped\n";

    const std::vector<float> golden =
        golden_lstm_layer(layer, workload.inputs, steps, HPruning{true, threshold, esell::kBlockColWidth});
    const std::vector<float> h = read_h(dram, addr.h, layer.hidden_size, steps);
    for (std::size_t i = 0; i < h.size(); ++i) {
        if (std::memcmp(&h[i], &golden[i], sizeof(float)) != 0) {
            std::cerr << "mismatch at step " << i / layer.hidden_size << ", h[" << i % layer.hidden_size
                      << "]: " << h[i] << " (accelerator) vs " << golden[i] << " (golden)\n";
            return 1;
        }
    }
    std::cout << "h matches the golden LSTM bit for bit\n";
    return 0;
}
