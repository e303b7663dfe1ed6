// DMA-contention example: the E-LSTM accelerator in a user's SoC, sharing its memory with a
// DMA engine. The user's SharedMemory serialises the accesses of both bus masters in front of
// the elstm Dram (one transfer at a time, later ones queue), so the DMA's traffic delays the
// accelerator's bursts, and with them its cycles. Four systems run side by side in one
// simulation: the accelerator alone on its Dram, and in the SoC with the DMA using 0 %, 25 %
// and 50 % of the memory's time. Checks that 0 % costs the standalone cycles, that the cycles
// grow with the DMA's load, and that every h matches the golden LSTM bit for bit.
//
//   Host --rocc--> RoccChannel <--cmd/data-- Accelerator
//                       |mem (64-bit TLM-2.0)
//   Dma ----------> SharedMemory (one transfer at a time) ---> Dram
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
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

// The layer: 64 inputs, 64 hidden units, 16 steps; weights calibrated so that about 40 % of
// the h blocks fall under the threshold and are skipped in U·h.
Workload make_workload() {
    WorkloadSpec spec;
    spec.layers = {LayerSpec{64, 64, 0.3, 0.5, 0.3f, 1.0, 0.4}};
    spec.steps = 16;
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


// The user's memory controller: any number of initiators, one master's transfer at a time. A
// transfer occupies the memory for its data beats (8 bytes per cycle); one arriving while
// another master's is on the bus waits for it, and that wait is annotated on its delay before
// the Dram's own latency and transfer time. (A master's own transfers do not queue here: the
// RoCC channel already orders the accelerator's on its port.) Debug requests pass straight
// through; no DMI, so every access comes here.
class SharedMemory : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<SharedMemory, 64> initiators;
    tlm_utils::simple_initiator_socket<SharedMemory, 64> memory;

    SharedMemory(sc_core::sc_module_name name, sim::Clock clock)
        : sc_module(name), initiators("initiators"), memory("memory"), clock_(clock) {
        initiators.register_b_transport(this, &SharedMemory::b_transport);
        initiators.register_transport_dbg(this, &SharedMemory::transport_dbg);
    }

private:
    void b_transport(int master, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        if (free_at_.size() <= static_cast<std::size_t>(master)) free_at_.resize(master + 1, sc_core::SC_ZERO_TIME);
        const sc_core::sc_time arrival = sc_core::sc_time_stamp() + delay;
        sc_core::sc_time begin = arrival;
        for (std::size_t other = 0; other < free_at_.size(); ++other)
            if (other != static_cast<std::size_t>(master)) begin = std::max(begin, free_at_[other]);
        delay += begin - arrival;  // queued behind the other master's transfer
        free_at_[master] = begin + clock_.time((trans.get_data_length() + 7) / 8);
        memory->b_transport(trans, delay);
    }

    unsigned int transport_dbg(int, tlm::tlm_generic_payload& trans) { return memory->transport_dbg(trans); }

    sim::Clock clock_;
    std::vector<sc_core::sc_time> free_at_;  // per master: when its last transfer leaves the bus
};

// The user's DMA engine: copies 64-byte blocks within its own buffer, keeping the memory busy
// `load_percent` of the time (a block's 8 cycles on the bus every period), until `stop`. It
// posts its transfers (it does not wait for each to finish, only for its next period).
class Dma : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<Dma, 64> socket;

    SC_HAS_PROCESS(Dma);
    Dma(sc_core::sc_module_name name, sim::Clock clock, unsigned load_percent, std::uint64_t buffer,
        std::function<bool()> stop)
        : sc_module(name), socket("socket"), clock_(clock), load_percent_(load_percent), buffer_(buffer),
          stop_(std::move(stop)) {
        if (load_percent_ > 0) SC_THREAD(run);
    }

    std::uint64_t blocks() const { return blocks_; }

private:
    static constexpr unsigned kBlockBytes = 64;
    static constexpr sim::Cycles kBlockCycles = kBlockBytes / 8;

    void run() {
        // A block takes kBlockCycles of the memory's time every period: read it, then write it.
        const sc_core::sc_time period = clock_.time(kBlockCycles * 100 / load_percent_);
        std::array<unsigned char, kBlockBytes> block{};
        while (!stop_()) {
            const std::uint64_t at = buffer_ + kBlockBytes * (blocks_ / 2 % 16);
            const bool read = blocks_ % 2 == 0;
            transport(read ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND, at + (read ? 0 : 16 * kBlockBytes),
                      block.data());
            ++blocks_;
            sc_core::wait(period);
        }
    }

    void transport(tlm::tlm_command command, std::uint64_t addr, unsigned char* data) {
        tlm::tlm_generic_payload trans;
        trans.set_command(command);
        trans.set_address(addr);
        trans.set_data_ptr(data);
        trans.set_data_length(kBlockBytes);
        trans.set_streaming_width(kBlockBytes);
        trans.set_byte_enable_ptr(nullptr);
        trans.set_dmi_allowed(false);
        trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        socket->b_transport(trans, delay);
        if (trans.is_response_error()) SC_REPORT_ERROR(name(), "DMA transfer failed");
    }

    sim::Clock clock_;
    unsigned load_percent_;
    std::uint64_t buffer_;
    std::function<bool()> stop_;
    std::uint64_t blocks_ = 0;
};

// One accelerator with its RoCC channel, host and Dram: alone, or in the SoC with a DMA
// engine at `load_percent` of the memory's time (negative: alone).
struct System {
    Dram dram;
    RoccChannel channel;
    Accelerator accel;
    LayerAddresses addr;
    Host host;
    std::unique_ptr<SharedMemory> shared;
    std::unique_ptr<Dma> dma;

    System(const std::string& name, int load_percent, const Workload& workload, sim::Clock clock)
        : dram((name + "_dram").c_str(), DramConfig{kDramBase, 1 << 20, kDramLatency, 8}, clock),
          channel((name + "_rocc").c_str(), rocc_config(), clock, Accelerator::known_functs()),
          accel((name + "_accel").c_str(),
                accelerator_config(workload.layers[0].input_size, workload.layers[0].hidden_size), clock),
          addr(load_layer(dram, workload.layers[0], workload.inputs, workload.spec.steps)),
          host((name + "_host").c_str(),
               layer_commands(workload.layers[0], workload.spec.layers[0].h_threshold, workload.spec.steps, addr),
               clock.period()) {
        accel.cmd.bind(channel);
        accel.data.bind(channel);
        host.rocc.bind(channel);
        if (load_percent < 0) {
            channel.mem.bind(dram.socket);
            return;
        }
        shared = std::make_unique<SharedMemory>((name + "_shared").c_str(), clock);
        dma = std::make_unique<Dma>((name + "_dma").c_str(), clock, static_cast<unsigned>(load_percent),
                                    kDramBase + (1 << 19), [this] { return host.done(); });
        channel.mem.bind(shared->initiators);
        dma->socket.bind(shared->initiators);
        shared->memory.bind(dram.socket);
    }

    static RoccChannelConfig rocc_config() {
        RoccChannelConfig c;
        c.memory_latency = kDramLatency;  // the channel plans against the Dram's latency
        return c;
    }
};

}  // namespace

int sc_main(int, char*[]) {
    const Workload workload = make_workload();
    const LstmLayerWeights& layer = workload.layers[0];
    const std::size_t steps = workload.spec.steps;
    const std::vector<float> golden = golden_lstm_layer(
        layer, workload.inputs, steps, HPruning{true, workload.spec.layers[0].h_threshold, esell::kBlockColWidth});

    const sim::Clock clock(sc_core::sc_time(1, sc_core::SC_NS));
    System standalone("alone", -1, workload, clock);
    const std::array<int, 3> loads{0, 25, 50};
    std::vector<std::unique_ptr<System>> socs;
    for (int load : loads)
        socs.push_back(std::make_unique<System>("dma" + std::to_string(load), load, workload, clock));

    sc_core::sc_start();  // every host finishes, then every DMA engine stops

    bool ok = true;
    auto check = [&](const System& s, const std::string& what) {
        if (!s.host.done()) {
            std::cerr << what << ": the host did not finish its commands\n";
            ok = false;
            return;
        }
        const std::vector<float> h = read_h(s.dram, s.addr.h, layer.hidden_size, steps);
        if (std::memcmp(h.data(), golden.data(), sizeof(float) * h.size()) != 0) {
            std::cerr << what << ": h differs from the golden LSTM\n";
            ok = false;
        }
    };
    check(standalone, "standalone");
    std::cout << "layer " << layer.input_size << " -> " << layer.hidden_size << ", " << steps
              << " steps; standalone: " << standalone.host.cycles() << " cycles\n"
              << "DMA load | accelerator cycles | DMA transfers\n";
    for (std::size_t i = 0; i < loads.size(); ++i) {
        const System& s = *socs[i];
        check(s, "DMA load " + std::to_string(loads[i]) + " %");
        std::cout << std::setw(7) << loads[i] << "% | " << std::setw(18) << s.host.cycles() << " | "
                  << std::setw(10) << s.dma->blocks() << "\n";
    }
    if (socs[0]->host.cycles() != standalone.host.cycles()) {
        std::cerr << "with the DMA idle the accelerator took " << socs[0]->host.cycles()
                  << " cycles, alone " << standalone.host.cycles() << "\n";
        ok = false;
    }
    for (std::size_t i = 1; i < loads.size(); ++i)
        if (socs[i]->host.cycles() <= socs[i - 1]->host.cycles()) {
            std::cerr << "the accelerator's cycles do not grow from " << loads[i - 1] << " % to " << loads[i]
                      << " % DMA load\n";
            ok = false;
        }
    if (!ok) return 1;
    std::cout << "0 % costs the standalone cycles, the cycles grow with the DMA's load, and every h "
                 "matches the golden LSTM bit for bit\n";
    return 0;
}
