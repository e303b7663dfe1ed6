#include "accel/accelerator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "numeric/esell.hpp"
#include "numeric/fp16.hpp"
#include "numeric/hex.hpp"
#include "numeric/lstm.hpp"

namespace elstm {

using sim::Cycles;

namespace {

Burst make_burst(PortUser user, bool write, std::vector<MemRegion> regions, std::uint64_t* data,
                 std::vector<PaceRun> pace = {}) {
    Burst b;
    b.user = user;
    b.write = write;
    b.regions = std::move(regions);
    b.data = data;
    b.pace = std::move(pace);
    return b;
}

// fp32 vectors sit in memory padded to whole 64-bit words, so every step's vector starts on
// a word the port can fetch.
std::size_t padded_floats(std::size_t n) { return (n + 1) / 2 * 2; }

}  // namespace

struct Accelerator::Registers {
    std::uint64_t m = 0, n = 0;
    float threshold = 0.0f;
    std::uint64_t steps = 0;
    std::uint64_t w_addr = 0, bias_addr = 0, table_addr = 0, n_fuse = 1;
    std::uint64_t x_addr = 0, h_addr = 0, u_addr = 0, flags = 0;
};

struct Accelerator::LayerState {
    Registers r;
    LayerRun* run = nullptr;
    bool fused = true;
    bool pruning = true;
    std::size_t spmv_pes = 0;   // PEs doing W·x (only the first one in the sequential schedule)
    std::size_t lead_spmv = 0;  // index of the first SpMV PE
    std::size_t group = 1;      // steps one SpMV PE fuses
    std::size_t batch = 1;      // steps per W stream
    std::size_t batches = 0;
    std::size_t x_stride = 0, h_stride = 0;  // floats per step in memory

    // The W stream's shape, read from its block heads.
    std::vector<std::uint32_t> w_block_values;  // value words of each block, stream order
    std::vector<std::uint32_t> w_col_words;     // words of each block column
    std::uint64_t w_words = 0;
    // U's block columns from the word-count table, and where each starts.
    std::vector<std::uint32_t> u_col_words;
    std::vector<std::uint64_t> u_col_offset;

    std::vector<PaceRun> pace;  // of the W stream, for pace_steps fused steps on pace_pe
    std::size_t pace_steps = 0;
    const SpmvPe* pace_pe = nullptr;
    std::vector<BurstId> x_bursts, w_bursts;
    std::vector<std::uint64_t> w_stage[2], x_stage[2], u_stage;
    std::vector<std::vector<std::uint64_t>> store_stage;
    BurstId last_store = 0;
    bool any_store = false;

    std::size_t posted = 0;     // batches whose bursts are posted
    std::size_t wx_ready = 0;   // batches whose W·x results are in BUF_wx
    std::size_t uh_done = 0;    // batches whose every U·h is done (their BUF_wx half is free)
    std::size_t h_done = 0;     // steps whose h is computed
    std::size_t wx_live = 0;    // BUF_wx entries holding results not yet consumed
    sc_core::sc_event posted_ev, wx_ready_ev, uh_done_ev, h_done_ev;
    Cycles first_w_done = 0, last_w_done = 0;
};

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config, const sim::Clock& clock)
    : sc_module(name),
      cmd("cmd"),
      data("data"),
      phase("phase", clock),
      uh_step("uh_step", clock, -1),
      config_(config),
      clock_(clock),
      buf_x_("buf_x", config.buffers.x, clock),
      buf_wx_("buf_wx", config.buffers.wx, clock),
      buf_uh_("buf_uh", config.buffers.uh, clock),
      buf_h_("buf_h", config.buffers.h, clock),
      buf_c_("buf_c", config.buffers.c, clock),
      buf_bias_("buf_bias", config.buffers.bias, clock),
      buf_table_("buf_table", config.buffers.table, clock),
      regs_(std::make_unique<Registers>()) {
    std::size_t spmv = 0, spmspv = 0;
    for (const PeConfig& pe : config_.pes) {
        pes_.push_back(std::make_unique<SpmvPe>(pe.name.c_str(), pe, clock));
        (pe.role == PeRole::spmv ? spmv : spmspv)++;
    }
    if (spmv < 1 || spmspv != 1)
        SC_REPORT_ERROR(this->name(), "the accelerator needs at least one spmv PE and exactly one spmspv PE");
    vector_pe_ = std::make_unique<VectorPe>("vpe", config_.vector_pe, clock);

    SC_HAS_PROCESS(Accelerator);
    SC_THREAD(run);
    SC_THREAD(w_side);
    SC_THREAD(wx_side);
    SC_THREAD(u_side);
}

Accelerator::~Accelerator() = default;

std::set<std::uint8_t> Accelerator::known_functs() {
    return {rocc_cmd::kShape, rocc_cmd::kThreshold, rocc_cmd::kWeights, rocc_cmd::kUTable,
            rocc_cmd::kVectors, rocc_cmd::kStart, rocc_cmd::kStatus};
}

std::vector<const OnChipBuffer*> Accelerator::buffers() const {
    return {&buf_x_, &buf_wx_, &buf_uh_, &buf_h_, &buf_c_, &buf_bias_, &buf_table_};
}

void Accelerator::run() {
    for (;;) {
        const RoccCommand c = cmd->next_command();
        Registers& r = *regs_;
        switch (c.funct) {
            case rocc_cmd::kShape: r.m = c.rs1, r.n = c.rs2; break;
            case rocc_cmd::kThreshold: {
                const std::uint32_t bits = static_cast<std::uint32_t>(c.rs1);
                std::memcpy(&r.threshold, &bits, sizeof bits);
                r.steps = c.rs2;
                break;
            }
            case rocc_cmd::kWeights: r.w_addr = c.rs1, r.bias_addr = c.rs2; break;
            case rocc_cmd::kUTable: r.table_addr = c.rs1, r.n_fuse = c.rs2; break;
            case rocc_cmd::kVectors: r.x_addr = c.rs1, r.h_addr = c.rs2; break;
            case rocc_cmd::kStart:
                r.u_addr = c.rs1, r.flags = c.rs2;
                start_layer();
                sc_core::wait(done_event_);
                ++layers_completed_;
                if (c.xd) cmd->respond({c.rd, runs_.back().cycles()});
                break;
            case rocc_cmd::kStatus:
                if (c.xd) cmd->respond({c.rd, layers_completed_});
                break;
            default:
                SC_REPORT_ERROR(name(), ("unknown RoCC funct " + std::to_string(c.funct)).c_str());
        }
    }
}

void Accelerator::start_layer() {
    const Registers& r = *regs_;
    if (r.m == 0 || r.n == 0 || r.steps == 0 || r.n_fuse == 0 || r.n_fuse > 1024)
        SC_REPORT_ERROR(name(), ("layer rejected: m=" + std::to_string(r.m) + " n=" + std::to_string(r.n) +
                                 " steps=" + std::to_string(r.steps) + " N_grp=" + std::to_string(r.n_fuse))
                                    .c_str());
    layer_ = std::make_unique<LayerState>();
    LayerState& L = *layer_;
    L.r = r;
    L.fused = !(r.flags & rocc_cmd::kFlagSequential);
    L.pruning = !(r.flags & rocc_cmd::kFlagNoPruning);
    for (std::size_t i = pes_.size(); i-- > 0;) {
        if (pes_[i]->config().role != PeRole::spmv) continue;
        ++L.spmv_pes;
        L.lead_spmv = i;  // the first SpMV PE: the one the sequential schedule uses
    }
    if (!L.fused) L.spmv_pes = 1;
    L.group = L.fused ? r.n_fuse : 1;
    L.batch = L.spmv_pes * L.group;
    L.batches = (r.steps + L.batch - 1) / L.batch;
    L.x_stride = padded_floats(r.m);
    L.h_stride = padded_floats(r.n);
    L.store_stage.resize(r.steps);

    runs_.emplace_back();
    LayerRun& run = runs_.back();
    L.run = &run;
    run.m = r.m, run.n = r.n, run.steps = r.steps;
    run.schedule = L.fused ? Schedule::cell_fusion : Schedule::sequential;
    run.n_fuse = static_cast<unsigned>(L.group);
    run.batches = L.batches;
    run.start = clock_.now();
    run.pe_busy.assign(pes_.size(), 0);
    phase.set_now(1);

    read_w_structure(L);
    start_event_.notify(sc_core::SC_ZERO_TIME);
}

// The W stream is self-delimiting: each block's head gives its chunk widths. The controller
// reads the heads in zero time to know the stream's length and the PEs' pace before
// streaming it.
void Accelerator::read_w_structure(LayerState& L) {
    const std::size_t block_rows = (4 * L.r.n + esell::kBlockHeight - 1) / esell::kBlockHeight;
    const std::size_t block_cols = (L.r.m + esell::kBlockColWidth - 1) / esell::kBlockColWidth;
    std::uint64_t addr = L.r.w_addr;
    L.w_block_values.reserve(block_rows * block_cols);
    for (std::size_t j = 0; j < block_cols; ++j) {
        std::uint32_t col_words = 0;
        for (std::size_t b = 0; b < block_rows; ++b) {
            std::uint64_t head = 0;
            data->peek(addr, 1, &head);
            const unsigned w0 = head & 7u, w1 = (head >> 32) & 7u;
            if (w0 > 4 || w1 > 4)
                SC_REPORT_ERROR(name(), ("malformed eSELL block head at " + hex(addr) + " in W").c_str());
            L.w_block_values.push_back(w0 + w1);
            col_words += 1 + w0 + w1;
            addr += 8 * (1 + w0 + w1);
        }
        L.w_col_words.push_back(col_words);
        L.w_words += col_words;
    }
}

// PE p of the SpMV PEs takes steps [p·group, p·group + group) of the batch.
std::vector<Accelerator::Share> Accelerator::shares(const LayerState& L, std::size_t steps) const {
    std::vector<Share> out;
    for (std::size_t i = 0, p = 0; i < pes_.size() && p < L.spmv_pes; ++i) {
        if (pes_[i]->config().role != PeRole::spmv) continue;
        const std::size_t first = p++ * L.group;
        if (first < steps) out.push_back({i, first, std::min(L.group, steps - first)});
    }
    return out;
}

std::size_t Accelerator::batch_steps(const LayerState& L, std::size_t k) const {
    return std::min(L.batch, L.r.steps - k * L.batch);
}

BurstId Accelerator::post(LayerState& L, Burst burst) {
    std::uint64_t words = 0;
    for (const MemRegion& r : burst.regions) words += r.words;
    L.run->words[static_cast<int>(burst.user)] += words;
    return data->post(std::move(burst));
}

void Accelerator::wait_count(const std::size_t& counter, std::size_t at_least, const sc_core::sc_event& ev) {
    while (counter < at_least) sc_core::wait(ev);
}

// Bias and the U word-count table, once per layer, ahead of the first x.
void Accelerator::load_layer_constants(LayerState& L) {
    const std::size_t rows = 4 * L.r.n;
    const std::size_t u_cols = (L.r.n + esell::kBlockColWidth - 1) / esell::kBlockColWidth;
    std::vector<std::uint64_t> bias_words((rows + 3) / 4), table_words((u_cols + 3) / 4);
    const BurstId bias = post(L, make_burst(PortUser::bias, false, {{L.r.bias_addr, bias_words.size()}}, bias_words.data()));
    const BurstId table =
        post(L, make_burst(PortUser::table, false, {{L.r.table_addr, table_words.size()}}, table_words.data()));
    data->wait_done(bias);
    const std::vector<float> b = esell::unpack_bias(bias_words, rows);
    std::copy(b.begin(), b.end(), buf_bias_.write_span(0, rows));
    buf_bias_.set_fill_at(clock_.now(), static_cast<std::int64_t>(rows));
    data->wait_done(table);
    const std::vector<std::uint16_t> counts = esell::unpack_word_table(table_words, u_cols);
    std::uint64_t offset = 0;
    for (std::size_t j = 0; j < u_cols; ++j) {
        buf_table_.write_u32(j, counts[j]);
        L.u_col_words.push_back(counts[j]);
        L.u_col_offset.push_back(offset);
        offset += counts[j];
    }
    buf_table_.set_fill_at(clock_.now(), static_cast<std::int64_t>(u_cols));
}

void Accelerator::w_side() {
    for (;;) {
        sc_core::wait(start_event_);
        LayerState& L = *layer_;
        load_layer_constants(L);
        L.x_bursts.resize(L.batches);
        L.w_bursts.resize(L.batches);
        for (std::size_t k = 0; k < L.batches; ++k) {
            // BUF_wx holds two batches: batch k reuses the half of batch k−2 (fused); the
            // sequential schedule starts step k only once step k−1's h exists.
            if (L.fused && k >= 2) wait_count(L.uh_done, k - 1, L.uh_done_ev);
            if (!L.fused && k >= 1) wait_count(L.h_done, k, L.h_done_ev);
            const std::size_t steps = batch_steps(L, k);
            std::vector<std::uint64_t>& xs = L.x_stage[k % 2];
            xs.resize(steps * L.x_stride / 2);  // filled by the burst
            const std::uint64_t x_addr = L.r.x_addr + 4 * L.x_stride * k * L.batch;
            L.x_bursts[k] = post(L, make_burst(PortUser::x, false, {{x_addr, xs.size()}}, xs.data()));

            // The W stream is broadcast to the SpMV PEs; the slowest one sets its pace.
            std::vector<SpmvPe*> working;
            SpmvPe* slowest = nullptr;
            std::size_t slowest_steps = 0;
            for (const Share& s : shares(L, steps)) {
                SpmvPe& pe = *pes_[s.pe];
                pe.assign(static_cast<int>(k * L.batch + s.first), PeState::wx);
                working.push_back(&pe);
                if (!slowest || pe.value_word_cycles(s.steps) > slowest->value_word_cycles(slowest_steps))
                    slowest = &pe, slowest_steps = s.steps;
            }
            std::vector<std::uint64_t>& ws = L.w_stage[k % 2];
            ws.resize(L.w_words);
            // Every full batch has the same pace: build it once per layer.
            if (L.pace_steps != slowest_steps || L.pace_pe != slowest) {
                L.pace = slowest->stream_pace(L.w_block_values, slowest_steps);
                L.pace_steps = slowest_steps;
                L.pace_pe = slowest;
            }
            Burst w = make_burst(PortUser::w, false, {{L.r.w_addr, L.w_words}}, ws.data(), L.pace);
            w.on_first_slot = [working](Cycles first) {
                for (SpmvPe* pe : working) pe->start_at(first);
            };
            L.w_bursts[k] = post(L, std::move(w));
            ++L.posted;
            L.posted_ev.notify(sc_core::SC_ZERO_TIME);
        }
    }
}

void Accelerator::wx_side() {
    for (;;) {
        sc_core::wait(start_event_);
        LayerState& L = *layer_;
        const std::size_t rows = 4 * L.r.n;
        for (std::size_t k = 0; k < L.batches; ++k) {
            wait_count(L.posted, k + 1, L.posted_ev);
            const std::size_t steps = batch_steps(L, k);
            data->wait_done(L.x_bursts[k]);
            const std::size_t x_base = (k % 2) * L.batch * L.x_stride;
            std::memcpy(buf_x_.write_span(x_base, steps * L.x_stride), L.x_stage[k % 2].data(),
                        4 * steps * L.x_stride);
            buf_x_.set_fill_at(clock_.now(), static_cast<std::int64_t>(steps * L.x_stride));
            data->wait_done(L.w_bursts[k]);

            // Each SpMV PE applies the broadcast stream to its own fused steps; the simulator
            // walks the stream once for all of them.
            const std::vector<std::uint64_t>& ws = L.w_stage[k % 2];
            const std::size_t wx_base = (k % 2) * L.batch * rows;
            std::vector<const float*> xs(steps);
            std::vector<float*> ys(steps);
            for (std::size_t s = 0; s < steps; ++s) {
                xs[s] = buf_x_.read_span(x_base + s * L.x_stride, L.r.m);
                ys[s] = buf_wx_.write_span(wx_base + s * rows, rows);
            }
            SpmvPe& lead = *pes_[L.lead_spmv];
            const std::uint64_t macs = walk_esell(name(), lead.decode_cache(), L.r.w_addr, ws.data(), ws.size(),
                                                  L.w_col_words, nullptr, rows, L.r.m, xs.data(), ys.data(), steps);
            const std::uint64_t heads = L.w_block_values.size();
            for (const Share& s : shares(L, steps)) {
                SpmvPe& pe = *pes_[s.pe];
                const std::uint64_t cycles = heads + (L.w_words - heads) * pe.value_word_cycles(s.steps);
                pe.add_work(cycles, macs * s.steps);
                L.run->pe_busy[s.pe] += cycles;
                pe.finish();
            }
            buf_x_.set_fill_at(clock_.now(), 0);
            L.wx_live += steps * rows;
            buf_wx_.set_fill_at(clock_.now(), static_cast<std::int64_t>(L.wx_live));
            if (k == 0) {
                L.first_w_done = clock_.now();
                if (L.batches > 1) phase.set_now(2);
            }
            if (k + 1 == L.batches) {
                L.last_w_done = clock_.now();
                phase.set_now(3);
            }
            ++L.wx_ready;
            L.wx_ready_ev.notify(sc_core::SC_ZERO_TIME);
        }
    }
}

void Accelerator::u_side() {
    for (;;) {
        sc_core::wait(start_event_);
        LayerState& L = *layer_;
        const std::size_t n = L.r.n, rows = 4 * n;
        const std::size_t u_index = [&] {
            for (std::size_t i = 0; i < pes_.size(); ++i)
                if (pes_[i]->config().role == PeRole::spmspv) return i;
            return std::size_t{0};
        }();
        SpmvPe& upe = *pes_[u_index];
        HPruning pruning{L.pruning, L.r.threshold, esell::kBlockColWidth};
        std::fill_n(buf_h_.write_span(0, n), n, 0.0f);
        std::fill_n(buf_c_.write_span(0, n), n, 0.0f);
        buf_h_.set_fill_at(clock_.now(), static_cast<std::int64_t>(n));
        buf_c_.set_fill_at(clock_.now(), static_cast<std::int64_t>(n));

        for (std::size_t t = 0; t < L.r.steps; ++t) {
            const std::size_t k = t / L.batch;
            // W·x_t must be in BUF_wx (the table was loaded before the first x, so it is too).
            wait_count(L.wx_ready, k + 1, L.wx_ready_ev);

            // Which block columns of U this step needs: the blocks of h_{t-1} that survive pruning.
            const std::vector<bool> keep = h_block_mask(buf_h_.read_span(0, n), n, pruning);
            Burst u = make_burst(PortUser::u, false, {}, nullptr);
            std::uint64_t words = 0;
            for (std::size_t j = 0; j < keep.size(); ++j) {
                L.run->h_blocks_total++;
                if (!keep[j]) {
                    L.run->h_blocks_skipped++;
                    continue;
                }
                const std::uint64_t addr = L.r.u_addr + 8 * L.u_col_offset[j];
                if (!u.regions.empty() && u.regions.back().addr + 8 * u.regions.back().words == addr)
                    u.regions.back().words += L.u_col_words[j];
                else
                    u.regions.push_back({addr, L.u_col_words[j]});
                words += L.u_col_words[j];
            }
            L.u_stage.resize(words);
            u.data = L.u_stage.data();
            upe.assign(static_cast<int>(t), PeState::uh);
            uh_step.set_now(static_cast<std::int32_t>(t));
            u.on_first_slot = [&upe](Cycles first) { upe.start_at(first); };
            data->wait_done(post(L, std::move(u)));

            const float* h_prev = buf_h_.read_span(0, n);
            float* uh = buf_uh_.write_span(0, rows);
            upe.multiply(L.r.u_addr, L.u_stage.data(), L.u_stage.size(), L.u_col_words, &keep, rows, n, &h_prev, &uh);
            upe.add_work(words, 0);
            L.run->pe_busy[u_index] += words;
            upe.finish();
            buf_uh_.set_fill_at(clock_.now(), static_cast<std::int64_t>(rows));
            if (t + 1 == std::min(L.r.steps, (k + 1) * L.batch)) {
                ++L.uh_done;
                L.uh_done_ev.notify(sc_core::SC_ZERO_TIME);
                L.wx_live -= batch_steps(L, k) * rows;
                buf_wx_.set_fill_at(clock_.now(), static_cast<std::int64_t>(L.wx_live));
            }

            // The vector PE turns the pre-activations into c_t and h_t.
            const std::size_t wx_at = (k % 2) * L.batch * rows + (t - k * L.batch) * rows;
            const Cycles v = vector_pe_->run(buf_wx_.read_span(wx_at, rows), buf_uh_.read_span(0, rows),
                                              buf_bias_.read_span(0, rows), n, buf_c_.write_span(0, n),
                                              buf_h_.write_span(0, n));
            vector_pe_->plan_busy(clock_.now(), clock_.now() + v);
            L.run->vector_busy += v;
            clock_.wait_until(clock_.now() + v);
            buf_uh_.set_fill_at(clock_.now(), 0);
            // The sequential W side may post step t+1's bursts now; let it plan before this
            // side's store, as the port's priority has it.
            ++L.h_done;
            L.h_done_ev.notify();
            sc_core::wait(sc_core::SC_ZERO_TIME);

            // h_t goes to memory as this step's output (and the next layer's input).
            std::vector<std::uint64_t>& st = L.store_stage[t];
            st.assign(L.h_stride / 2, 0);
            std::memcpy(st.data(), buf_h_.read_span(0, n), 4 * n);
            L.last_store = post(L, make_burst(PortUser::store, true, {{L.r.h_addr + 4 * L.h_stride * t, st.size()}}, st.data()));
            L.any_store = true;
            if (on_step) on_step(*L.run, t);
        }
        data->wait_done(L.last_store);
        uh_step.set_now(-1);

        LayerRun& run = *L.run;
        run.end = clock_.now();
        run.prolog = L.first_w_done - run.start;
        run.epilog = run.end - L.last_w_done;
        run.main = run.cycles() - run.prolog - run.epilog;
        phase.set_now(0);
        for (OnChipBuffer* b : {&buf_x_, &buf_wx_, &buf_uh_, &buf_h_, &buf_c_, &buf_bias_, &buf_table_})
            b->set_fill_at(clock_.now(), 0);
        done_event_.notify(sc_core::SC_ZERO_TIME);
    }
}

}  // namespace elstm
