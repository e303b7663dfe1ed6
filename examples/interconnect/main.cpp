// Interconnect example: the accelerator's memory port on a user's own TLM-2.0 interconnect.
// The RoCC channel's `mem` initiator socket is bound to the user's router, which decodes
// addresses between the elstm Dram (weights and inputs) and the user's own memory-mapped
// register bank (where the accelerator stores its h outputs). The layer's result is checked
// against the golden LSTM, bit for bit.
//
//   Host --rocc--> RoccChannel <--cmd/data-- Accelerator
//                       |mem
//                     Router ---- 0x80000000: Dram
//                            \--- 0x40000000: OutputRegisters
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

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
constexpr std::uint64_t kDramSize = 1 << 20;
constexpr std::uint64_t kRegsBase = 0x40000000;
constexpr std::uint64_t kRegsSize = 4096;  // 1024 32-bit registers
constexpr sim::Cycles kDramLatency = 30;
constexpr unsigned kNFuse = 3;

struct Window {
    std::uint64_t base, size;
    bool contains(std::uint64_t addr, std::uint64_t len) const {
        return addr >= base && len <= size && addr - base <= size - len;
    }
};

// The user's peripheral: a bank of 32-bit registers, read and written whole by any TLM-2.0
// initiator. Accesses cost one cycle.
class OutputRegisters : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<OutputRegisters, 64> socket;

    OutputRegisters(sc_core::sc_module_name name, Window window, sc_core::sc_time access_time)
        : sc_module(name), socket("socket"), window_(window), access_time_(access_time),
          regs_(window.size / 4, 0) {
        socket.register_b_transport(this, &OutputRegisters::b_transport);
        socket.register_transport_dbg(this, &OutputRegisters::transport_dbg);
    }

    std::uint32_t reg(std::size_t index) const { return regs_.at(index); }
    std::uint64_t writes() const { return writes_; }

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        if (trans.get_byte_enable_ptr() || trans.get_streaming_width() != trans.get_data_length()) {
            trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
            return;
        }
        if (access(trans) == 0) return;
        writes_ += trans.is_write();
        delay += access_time_;
    }

    unsigned int transport_dbg(tlm::tlm_generic_payload& trans) { return access(trans); }

    // Copies whole registers between the payload and the bank; returns the bytes moved.
    unsigned int access(tlm::tlm_generic_payload& trans) {
        const std::uint64_t addr = trans.get_address();
        const unsigned int len = trans.get_data_length();
        if (!window_.contains(addr, len) || addr % 4 != 0 || len % 4 != 0) {
            trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return 0;
        }
        unsigned char* reg = reinterpret_cast<unsigned char*>(regs_.data()) + (addr - window_.base);
        if (trans.is_write())
            std::memcpy(reg, trans.get_data_ptr(), len);
        else
            std::memcpy(trans.get_data_ptr(), reg, len);
        trans.set_response_status(tlm::TLM_OK_RESPONSE);
        return len;
    }

    Window window_;
    sc_core::sc_time access_time_;
    std::vector<std::uint32_t> regs_;
    std::uint64_t writes_ = 0;
};

// The user's interconnect: any number of initiators, two targets chosen by address.
// Addresses pass through unchanged, since the elstm Dram decodes them against its own base.
class Router : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<Router, 64> initiators;
    tlm_utils::simple_initiator_socket<Router, 64> dram;
    tlm_utils::simple_initiator_socket<Router, 64> regs;

    Router(sc_core::sc_module_name name, Window dram_window, Window regs_window)
        : sc_module(name), initiators("initiators"), dram("dram"), regs("regs"),
          dram_window_(dram_window), regs_window_(regs_window) {
        // No DMI: every access goes through the router, so it sees all the traffic.
        initiators.register_b_transport(this, &Router::b_transport);
        initiators.register_transport_dbg(this, &Router::transport_dbg);
    }

private:
    tlm_utils::simple_initiator_socket<Router, 64>* decode(const tlm::tlm_generic_payload& trans) {
        if (dram_window_.contains(trans.get_address(), trans.get_data_length())) return &dram;
        if (regs_window_.contains(trans.get_address(), trans.get_data_length())) return &regs;
        return nullptr;
    }

    void b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        if (auto* target = decode(trans))
            (*target)->b_transport(trans, delay);
        else
            trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }

    unsigned int transport_dbg(int, tlm::tlm_generic_payload& trans) {
        auto* target = decode(trans);
        return target ? (*target)->transport_dbg(trans) : 0;
    }

    Window dram_window_, regs_window_;
};

// The layer: 12 inputs, 8 hidden units, 5 steps (shapes that need eSELL's padding).
Workload make_workload() {
    WorkloadSpec spec;
    spec.layers = {LayerSpec{12, 8, 0.4, 0.4, 0.2f, 1.0, 0.3}};
    spec.steps = 5;
    spec.seed = 7;
    return generate_workload(spec);
}

// fp32 vectors sit in memory padded to whole 64-bit words, step by step.
std::size_t padded(std::size_t n) { return (n + 1) / 2 * 2; }
std::uint64_t align64(std::uint64_t a) { return (a + 63) / 64 * 64; }

struct LayerAddresses {
    std::uint64_t w, u, table, bias, x, h;
};

std::uint64_t place(Dram& dram, std::uint64_t at, const void* data, std::size_t bytes) {
    dram.write_backdoor(at, data, bytes);
    return align64(at + bytes);
}

// Weights and inputs in the DRAM as the accelerator reads them (README "RoCC commands");
// h goes to `h_addr`, wherever the interconnect puts it.
LayerAddresses load_layer(Dram& dram, const LstmLayerWeights& layer, const std::vector<float>& xs,
                          std::size_t steps, std::uint64_t h_addr) {
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
    a.h = h_addr;
    return a;
}

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

// Two SpMV PEs for W·x and one SpMSpV PE for U·h; the default buffers hold this small layer.
AcceleratorConfig accelerator_config() {
    AcceleratorConfig c;
    c.pes = {{"pe0", PeRole::spmv}, {"pe1", PeRole::spmv}, {"pe2", PeRole::spmspv}};
    return c;
}

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
            sc_core::wait(issue_time_);
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

// h of every step from the register bank (padded rows, as the accelerator stores them).
std::vector<float> read_h(const OutputRegisters& regs, std::size_t n, std::size_t steps) {
    std::vector<float> h(steps * n);
    for (std::size_t t = 0; t < steps; ++t)
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t bits = regs.reg(t * padded(n) + i);
            std::memcpy(&h[t * n + i], &bits, sizeof bits);
        }
    return h;
}

}  // namespace

int sc_main(int, char*[]) {
    const Workload workload = make_workload();
    const LstmLayerWeights& layer = workload.layers[0];
    const float threshold = workload.spec.layers[0].h_threshold;
    const std::size_t steps = workload.spec.steps;

    const sim::Clock clock(sc_core::sc_time(1, sc_core::SC_NS));
    Dram dram("dram", DramConfig{kDramBase, kDramSize, kDramLatency, 8}, clock);
    OutputRegisters regs("regs", Window{kRegsBase, kRegsSize}, clock.period());
    Router router("router", Window{kDramBase, kDramSize}, Window{kRegsBase, kRegsSize});
    RoccChannelConfig rocc_config;
    // The channel times the port itself (one word per cycle, this latency before a burst's
    // first word); only a target annotating more than that plan delays the accelerator.
    rocc_config.memory_latency = kDramLatency;
    RoccChannel channel("rocc", rocc_config, clock, Accelerator::known_functs());
    Accelerator accel("accel", accelerator_config(), clock);

    const LayerAddresses addr = load_layer(dram, layer, workload.inputs, steps, kRegsBase);
    Host host("host", layer_commands(layer, threshold, steps, addr), clock.period());

    router.dram.bind(dram.socket);
    router.regs.bind(regs.socket);
    channel.mem.bind(router.initiators);  // the accelerator's memory port on the user's interconnect
    accel.cmd.bind(channel);
    accel.data.bind(channel);
    host.rocc.bind(channel);

    sc_core::sc_start();
    if (!host.done()) {
        std::cerr << "the host did not finish its commands\n";
        return 1;
    }

    std::cout << "layer " << layer.input_size << " -> " << layer.hidden_size << ", " << steps << " steps: "
              << host.cycles() << " cycles; " << regs.writes() << " h stores reached the register bank\n";
    const std::vector<float> golden =
        golden_lstm_layer(layer, workload.inputs, steps, HPruning{true, threshold, esell::kBlockColWidth});
    const std::vector<float> h = read_h(regs, layer.hidden_size, steps);
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
