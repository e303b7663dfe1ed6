#include <elstm_vp/accel/accelerator.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <type_traits>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/hex.hpp>
#include <elstm_vp/numeric/lstm.hpp>

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

// Adds `words` words at `addr` to a burst's regions, extending the last one when they follow it.
void append_region(std::vector<MemRegion>& regions, std::uint64_t addr, std::uint64_t words) {
    if (!regions.empty() && regions.back().addr + 8 * regions.back().words == addr)
        regions.back().words += words;
    else
        regions.push_back({addr, words});
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
    float theta_x = 0.0f, theta_h = 0.0f;
    int w_frac = 0, u_frac = 0;
};

// The part of W one batch's burst fetches: all of it, or (delta) the segments some Δx needs.
struct Accelerator::WBatch {
    std::vector<bool> keep;  // empty: every segment
    std::vector<MemRegion> regions;
    std::vector<std::uint8_t> slots;
    std::uint64_t words = 0, value_words = 0;
};

struct Accelerator::LayerState {
    Registers r;
    LayerRun* run = nullptr;
    bool fused = true;
    SkipPolicy skip = SkipPolicy::h_block_threshold;
    bool fixed = false;  // fixed-point datapath: quantized activations, exact (double) sums
    MatrixRef w_ref, u_ref;
    std::size_t spmv_pes = 0;   // PEs doing W·x (only the first one in the sequential schedule)
    std::size_t lead_spmv = 0;  // index of the first SpMV PE
    std::size_t u_pe = 0;       // index of the SpMSpV PE
    std::size_t group = 1;      // steps one SpMV PE fuses
    std::size_t batch = 1;      // steps per W stream
    std::size_t batches = 0;
    std::size_t x_stride = 0, h_stride = 0;  // floats per step in memory

    // The W stream's shape, read from its segment heads.
    std::vector<std::uint8_t> w_slots;          // weights carried by each word (pace)
    std::vector<std::uint32_t> w_seg_words;     // words of each segment
    std::vector<std::uint64_t> w_seg_first;     // where each segment starts, in words
    std::vector<std::uint32_t> w_seg_values;    // value words of each segment
    std::uint64_t w_words = 0, w_value_words = 0;
    // U's segments: how many, their words in all, and each one's words as the controller read
    // them from BUF_table for the current step.
    std::size_t u_segments = 0;
    std::uint64_t u_words = 0;
    std::vector<std::uint32_t> u_seg_words;
    // The buffers' lifetime counts when the run started.
    std::vector<std::uint64_t> reads_before, writes_before;

    // Inputs and results the buffers do not hold in this model: the delta encoder's last
    // propagated x and h and its deltas, the fixed-point datapath's exact sums, the
    // delta memories, and the gate inputs formed from them.
    std::vector<float> x_hat, h_hat, dh, x_in, h_in, wx_gate, uh_gate;
    std::vector<float> dx[2];  // Δx of a batch's steps, by batch parity like the staging
    std::vector<double> wx64, uh64, mx64, mh64;
    std::vector<float> mx32, mh32;

    std::uint64_t w_macs = 0;   // non-zero weights of W: the MACs of one step
    // Of the W stream, for pace_steps fused steps on pace_pe: shared by the bursts of every full
    // batch (megabytes for a large layer).
    std::shared_ptr<const std::vector<PaceRun>> pace;
    std::size_t pace_steps = 0;
    const SpmvPe* pace_pe = nullptr;
    std::vector<BurstId> x_bursts, w_bursts;
    WBatch w_batch[2];  // what the W burst of a batch fetched, by batch parity
    std::vector<std::uint64_t> w_stage[2], x_stage[2], u_stage;
    // W and U where they sit in memory, when it grants direct access: their bursts then move
    // no data in the simulator (they are timed and counted all the same) and the PEs read them
    // there. Null: the bursts copy the words into the stages.
    const std::uint64_t* w_view = nullptr;
    const std::uint64_t* u_view = nullptr;
    std::deque<std::vector<std::uint64_t>> store_stage;  // one per step stored so far
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

Accelerator::Accelerator(sc_core::sc_module_name name, const AcceleratorConfig& config, sim::Clock clock)
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
    return {rocc_cmd::kShape,   rocc_cmd::kThreshold, rocc_cmd::kWeights, rocc_cmd::kUTable,    rocc_cmd::kVectors,
            rocc_cmd::kStart,   rocc_cmd::kStatus,    rocc_cmd::kDelta,   rocc_cmd::kWeightScale};
}

std::vector<std::string> Accelerator::part_names() {
    return {"cmd",   "data",     "phase",     "uh_step", "buf_x", "buf_wx", "buf_uh",  "buf_h",
            "buf_c", "buf_bias", "buf_table", "vpe",     "run",   "w_side", "wx_side", "u_side"};
}

std::vector<const OnChipBuffer*> Accelerator::buffers() const {
    return {&buf_x_, &buf_wx_, &buf_uh_, &buf_h_, &buf_c_, &buf_bias_, &buf_table_};
}

void Accelerator::run() {
    for (;;) {
        const RoccCommand c = cmd->next_command();
        command_words_ += 2;
        pending_command_words_ += 2;
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
                if (c.xd) {
                    respond(c, runs_.back().cycles());
                    ++runs_.back().command_words;
                }
                break;
            case rocc_cmd::kDelta: {
                const std::uint32_t x = static_cast<std::uint32_t>(c.rs1), h = static_cast<std::uint32_t>(c.rs2);
                std::memcpy(&r.theta_x, &x, sizeof x);
                std::memcpy(&r.theta_h, &h, sizeof h);
                break;
            }
            case rocc_cmd::kWeightScale:
                r.w_frac = static_cast<int>(static_cast<std::int64_t>(c.rs1));
                r.u_frac = static_cast<int>(static_cast<std::int64_t>(c.rs2));
                break;
            case rocc_cmd::kStatus:
                if (c.xd) {
                    respond(c, layers_completed_);
                    ++pending_command_words_;
                }
                break;
            default:
                SC_REPORT_ERROR(name(), ("unknown RoCC funct " + std::to_string(c.funct)).c_str());
        }
    }
}

void Accelerator::respond(const RoccCommand& c, std::uint64_t value) {
    ++command_words_;
    cmd->respond({c.rd, value});
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
    L.skip = (r.flags & rocc_cmd::kFlagDelta)       ? SkipPolicy::delta
             : (r.flags & rocc_cmd::kFlagNoPruning) ? SkipPolicy::none
                                                    : SkipPolicy::h_block_threshold;
    L.fixed = config_.datapath == Datapath::fixed;
    const bool fixed12 = L.fixed && config_.format == WeightFormat::csc_ese;
    L.w_ref = {config_.format, {fixed12, r.w_frac}, r.w_addr, 4 * r.n, r.m};
    L.u_ref = {config_.format, {fixed12, r.u_frac}, r.u_addr, 4 * r.n, r.n};
    for (std::size_t i = pes_.size(); i-- > 0;) {
        if (pes_[i]->config().role != PeRole::spmv) continue;
        ++L.spmv_pes;
        L.lead_spmv = i;  // the first SpMV PE: the one the sequential schedule uses
    }
    for (std::size_t i = 0; i < pes_.size(); ++i)
        if (pes_[i]->config().role == PeRole::spmspv) L.u_pe = i;
    if (!L.fused) L.spmv_pes = 1;
    L.group = L.fused ? r.n_fuse : 1;
    L.batch = L.spmv_pes * L.group;
    L.batches = r.steps / L.batch + (r.steps % L.batch != 0);
    L.x_stride = padded_floats(r.m);
    L.h_stride = padded_floats(r.n);
    check_layer_fits(L);
    const std::size_t rows = 4 * r.n;
    // A layer shorter than a batch stages only its steps (fewer than the PEs could fuse).
    const std::size_t first_batch = std::min<std::uint64_t>(L.batch, r.steps);
    L.x_hat.assign(r.m, 0.0f);
    L.h_hat.assign(r.n, 0.0f);
    L.dx[0].assign(first_batch * r.m, 0.0f);
    L.dx[1].assign(first_batch * r.m, 0.0f);
    L.x_in.resize(first_batch * r.m);
    L.dh.resize(r.n);
    L.h_in.resize(r.n);
    L.wx_gate.resize(rows);
    L.uh_gate.resize(rows);
    if (L.fixed) {
        L.wx64.resize(staged_steps(L) * rows);
        L.uh64.resize(rows);
        L.mx64.assign(rows, 0.0);
        L.mh64.assign(rows, 0.0);
    } else {
        L.mx32.assign(rows, 0.0f);
        L.mh32.assign(rows, 0.0f);
    }

    runs_.emplace_back();
    LayerRun& run = runs_.back();
    L.run = &run;
    run.m = r.m, run.n = r.n, run.steps = r.steps;
    run.x_addr = r.x_addr, run.h_addr = r.h_addr;
    run.schedule = L.fused ? Schedule::cell_fusion : Schedule::sequential;
    run.n_fuse = static_cast<unsigned>(L.group);
    run.batches = L.batches;
    run.skip = L.skip;
    run.start = clock_.now();
    run.pe_busy.assign(pes_.size(), 0);
    run.command_words = pending_command_words_;
    pending_command_words_ = 0;
    for (const OnChipBuffer* b : buffers()) {
        L.reads_before.push_back(b->reads());
        L.writes_before.push_back(b->writes());
    }
    phase.set_now(1);

    for (const auto& pe : pes_) pe->decode_cache().begin_run();
    if (on_start) on_start(run);
    read_w_structure(L);
    start_event_.notify(sc_core::SC_ZERO_TIME);
}

// The W stream is self-delimiting: each segment's head words give its length. The controller
// reads them in zero time to know the stream's length and the PEs' pace before streaming it.
void Accelerator::read_w_structure(LayerState& L) {
    const MatrixRef& w = L.w_ref;
    const std::size_t segments = segment_count(w.format, w.rows, w.cols);
    std::uint64_t at = w.addr;
    try {
        for (std::size_t j = 0; j < segments; ++j) {
            const std::uint64_t seg_addr = at;
            const WordReader read = [&](std::uint64_t i) {
                std::uint64_t word = 0;
                data->peek(seg_addr + 8 * i, 1, &word);
                return word;
            };
            const std::size_t words = segment_length(w.format, w.options, read, j, w.rows, w.cols);
            L.w_seg_first.push_back(L.w_words);
            L.w_seg_words.push_back(static_cast<std::uint32_t>(words));
            L.w_words += words;
            at += 8 * words;
        }
        // The words in place when the memory grants direct access, else a zero-time copy.
        L.w_view = data->view(w.addr, L.w_words);
        std::vector<std::uint64_t> copy;
        if (!L.w_view) {
            std::uint64_t last = 0;  // a model error here if the stream runs past memory, before the copy is sized
            if (L.w_words) data->peek(w.addr + 8 * (L.w_words - 1), 1, &last);
            copy.resize(L.w_words);
            data->peek(w.addr, copy.size(), copy.data());
        }
        const std::uint64_t* stream = L.w_view ? L.w_view : copy.data();
        std::size_t first = 0;
        for (std::size_t j = 0; j < segments; ++j) {
            const std::size_t before = L.w_slots.size();
            segment_word_slots(w.format, w.options, stream + first, L.w_seg_words[j], j, w.rows, w.cols, L.w_slots);
            L.w_seg_values.push_back(static_cast<std::uint32_t>(
                std::count_if(L.w_slots.begin() + static_cast<std::ptrdiff_t>(before), L.w_slots.end(),
                              [](std::uint8_t slot) { return slot != 0; })));
            L.w_value_words += L.w_seg_values.back();
            first += L.w_seg_words[j];
        }
    } catch (const Error& e) {
        SC_REPORT_ERROR(name(), ("malformed " + std::string(weight_format_name(w.format)) + " W at " + hex(at) + ": " +
                                 e.what())
                                    .c_str());
    }
}

// Steps whose x (and W·x) BUF_x and BUF_wx hold at once: two batches, or the whole layer when
// it has only one.
std::uint64_t Accelerator::staged_steps(const LayerState& L) const {
    return L.batches > 1 ? 2 * static_cast<std::uint64_t>(L.batch) : L.r.steps;
}

// The registers come from the host as they are: a layer they describe must fit the buffers
// before anything is sized by it. n is checked first, so the products after it cannot overflow.
void Accelerator::check_layer_fits(const LayerState& L) {
    const Registers& r = L.r;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    const auto entries = [](std::uint64_t a, std::uint64_t b) { return b && a > kMax / b ? kMax : a * b; };
    const std::uint64_t rows = entries(4, r.n);
    const std::uint64_t x_stride = r.m == kMax ? kMax : padded_floats(r.m);
    const std::uint64_t segments = r.n <= buf_h_.config().capacity ? segment_count(config_.format, rows, r.n) : 0;
    const struct {
        const OnChipBuffer& buffer;
        std::uint64_t need;
    } needs[] = {{buf_h_, r.n},
                 {buf_c_, r.n},
                 {buf_uh_, rows},
                 {buf_bias_, rows},
                 {buf_table_, segments},
                 {buf_x_, entries(staged_steps(L), x_stride)},
                 {buf_wx_, entries(staged_steps(L), rows)}};
    for (const auto& n : needs) {
        if (n.need <= n.buffer.config().capacity) continue;
        SC_REPORT_ERROR(name(), ("layer rejected: m=" + std::to_string(r.m) + " n=" + std::to_string(r.n) +
                                 " steps=" + std::to_string(r.steps) + " N_grp=" + std::to_string(r.n_fuse) +
                                 " (commands 0, 1, 3): " + n.buffer.basename() + " holds " +
                                 std::to_string(n.buffer.config().capacity) + " entries, the layer needs " +
                                 std::to_string(n.need))
                                    .c_str());
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
    const std::size_t u_cols = segment_count(L.u_ref.format, L.u_ref.rows, L.u_ref.cols);
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
    for (std::size_t j = 0; j < u_cols; ++j) {
        buf_table_.write_u32(j, counts[j]);
        L.u_words += counts[j];
    }
    L.u_segments = u_cols;
    buf_table_.set_fill_at(clock_.now(), static_cast<std::int64_t>(u_cols));
    L.u_view = data->view(L.r.u_addr, L.u_words);
}

void Accelerator::w_side() {
    for (;;) {
        sc_core::wait(start_event_);
        LayerState& L = *layer_;
        load_layer_constants(L);
        for (std::size_t k = 0; k < L.batches; ++k) {
            // BUF_wx holds two batches: batch k reuses the half of batch k−2 (fused); the
            // sequential schedule starts step k only once step k−1's h exists.
            if (L.fused && k >= 2) wait_count(L.uh_done, k - 1, L.uh_done_ev);
            if (!L.fused && k >= 1) wait_count(L.h_done, k, L.h_done_ev);
            const std::size_t steps = batch_steps(L, k);
            std::vector<std::uint64_t>& xs = L.x_stage[k % 2];
            xs.resize(steps * L.x_stride / 2);  // filled by the burst
            const std::uint64_t x_addr = L.r.x_addr + 4 * L.x_stride * k * L.batch;
            L.x_bursts.push_back(post(L, make_burst(PortUser::x, false, {{x_addr, xs.size()}}, xs.data())));

            // The W stream is broadcast to the SpMV PEs; the slowest one sets its pace.
            std::vector<SpmvPe*> working;
            SpmvPe* slowest = nullptr;
            std::size_t slowest_steps = 0;
            for (const Share& s : shares(L, steps)) {
                SpmvPe& pe = *pes_[s.pe];
                const std::size_t first = k * L.batch + s.first;
                pe.assign(static_cast<int>(first), static_cast<int>(first + s.steps - 1), PeState::wx);
                working.push_back(&pe);
                if (!slowest || pe.value_word_cycles(s.steps) > slowest->value_word_cycles(slowest_steps))
                    slowest = &pe, slowest_steps = s.steps;
            }
            std::vector<std::uint64_t>& ws = L.w_stage[k % 2];
            WBatch& wb = L.w_batch[k % 2];
            Burst w = make_burst(PortUser::w, false, {}, nullptr);
            if (L.skip == SkipPolicy::delta) {
                // The delta unit needs the batch's x before it knows which segments of W to fetch.
                data->wait_done(L.x_bursts[k]);
                encode_x_deltas(L, k, steps);
            }
            if (L.skip == SkipPolicy::delta && is_column_format(L.w_ref.format)) {
                select_w_segments(L, k);
                w.shared_pace = std::make_shared<const std::vector<PaceRun>>(slowest->stream_pace(wb.slots, slowest_steps));
                w.regions = wb.regions;
            } else {
                wb.keep.clear();
                wb.words = L.w_words;
                wb.value_words = L.w_value_words;
                // Every full batch has the same pace: build it once per layer.
                if (L.pace_steps != slowest_steps || L.pace_pe != slowest) {
                    L.pace = std::make_shared<const std::vector<PaceRun>>(slowest->stream_pace(L.w_slots, slowest_steps));
                    L.pace_steps = slowest_steps;
                    L.pace_pe = slowest;
                }
                w.shared_pace = L.pace;
                w.regions = {{L.r.w_addr, L.w_words}};
            }
            if (L.w_view) {
                w.in_place = true;
            } else {
                ws.resize(wb.words);
                w.data = ws.data();
            }
            w.on_first_slot = [working](Cycles first) {
                for (SpmvPe* pe : working) pe->start_at(first);
            };
            L.w_bursts.push_back(post(L, std::move(w)));
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

            if (L.fixed) multiply_wx<double>(L, k, steps);
            else multiply_wx<float>(L, k, steps);
            const WBatch& wb = L.w_batch[k % 2];
            const std::uint64_t steering = wb.words - wb.value_words;
            for (const Share& s : shares(L, steps)) {
                SpmvPe& pe = *pes_[s.pe];
                const std::uint64_t cycles = steering + wb.value_words * pe.value_word_cycles(s.steps);
                pe.add_work(cycles, L.w_macs * s.steps);
                L.run->macs_w += L.w_macs * s.steps;
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

// Each SpMV PE applies the broadcast W stream of batch k to its own fused steps; the simulator
// walks the stream once for all of them. The fixed-point datapath quantizes x as it reads it;
// the delta policy multiplies x's changes instead of x.
template <typename T>
void Accelerator::multiply_wx(LayerState& L, std::size_t k, std::size_t steps) {
    const std::size_t rows = 4 * L.r.n, m = L.r.m;
    const std::size_t x_base = (k % 2) * L.batch * L.x_stride, wx_base = (k % 2) * L.batch * rows;
    const bool delta = L.skip == SkipPolicy::delta;
    std::vector<const float*> xs(steps);
    std::vector<T*> ys(steps);
    for (std::size_t s = 0; s < steps; ++s) {
        const float* x = buf_x_.read_span(x_base + s * L.x_stride, m);
        if (delta) {
            x = &L.dx[k % 2][s * m];
        } else if (L.fixed) {
            float* q = &L.x_in[s * m];
            for (std::size_t i = 0; i < m; ++i) q[i] = quantize_activation(x[i]);
            x = q;
        }
        xs[s] = x;
        float* results = buf_wx_.write_span(wx_base + s * rows, rows);
        if constexpr (std::is_same_v<T, double>) ys[s] = &L.wx64[wx_base + s * rows];
        else ys[s] = results;
    }
    const std::vector<std::uint64_t>& ws = L.w_stage[k % 2];
    const std::vector<bool>& keep = L.w_batch[k % 2].keep;
    L.w_macs = walk_matrix(name(), pes_[L.lead_spmv]->decode_cache(), L.w_ref, L.w_view ? L.w_view : ws.data(),
                           L.w_view ? L.w_words : ws.size(), L.w_seg_words, keep.empty() ? nullptr : &keep, xs.data(),
                           ys.data(), steps, L.w_view != nullptr);
}

// The delta unit on the batch's x as it arrives (quantized first on the fixed-point datapath):
// each step's Δx against the last propagated x, in step order.
void Accelerator::encode_x_deltas(LayerState& L, std::size_t k, std::size_t steps) {
    const std::size_t m = L.r.m;
    const float* x = reinterpret_cast<const float*>(L.x_stage[k % 2].data());
    std::vector<float>& dx = L.dx[k % 2];
    for (std::size_t s = 0; s < steps; ++s) {
        const float* xt = x + s * L.x_stride;
        if (L.fixed) {
            float* q = &L.x_in[s * m];
            for (std::size_t i = 0; i < m; ++i) q[i] = quantize_activation(xt[i]);
            xt = q;
        }
        L.run->x_propagated += delta_encode(xt, L.x_hat.data(), m, L.r.theta_x, &dx[s * m]);
        L.run->x_total += m;
    }
}

// The segments of W (4 columns of x each) that some step of batch k has a Δx in: only they
// are fetched, one region per run of neighbouring segments. A burst must carry something for
// the PEs to finish on: with no Δx at all (rare) it fetches the first segment.
void Accelerator::select_w_segments(LayerState& L, std::size_t k) {
    const std::size_t m = L.r.m, segments = L.w_seg_words.size();
    const std::vector<float>& dx = L.dx[k % 2];
    WBatch& wb = L.w_batch[k % 2];
    wb.keep.assign(segments, false);
    for (std::size_t i = 0; i < dx.size(); ++i)
        if (dx[i] != 0.0f) wb.keep[(i % m) / kSegmentSpan] = true;
    if (std::find(wb.keep.begin(), wb.keep.end(), true) == wb.keep.end()) wb.keep[0] = true;
    wb.regions.clear();
    wb.slots.clear();
    wb.words = wb.value_words = 0;
    for (std::size_t j = 0; j < segments; ++j) {
        if (!wb.keep[j]) continue;
        const std::uint64_t words = L.w_seg_words[j];
        append_region(wb.regions, L.r.w_addr + 8 * L.w_seg_first[j], words);
        const auto first = L.w_slots.begin() + static_cast<std::ptrdiff_t>(L.w_seg_first[j]);
        wb.slots.insert(wb.slots.end(), first, first + static_cast<std::ptrdiff_t>(words));
        wb.words += words;
        wb.value_words += L.w_seg_values[j];
    }
}

// U·h_{t-1} (or U·Δh) from the words of the kept segments (column formats) or of all of U (row
// formats, which then multiply the masked vector `h_in`).
template <typename T>
std::uint64_t Accelerator::multiply_uh(LayerState& L, const std::vector<bool>& keep, const float* h_in) {
    const std::size_t rows = 4 * L.r.n;
    float* results = buf_uh_.write_span(0, rows);
    T* uh = nullptr;
    if constexpr (std::is_same_v<T, double>) uh = L.uh64.data();
    else uh = results;
    SpmvPe& upe = *pes_[L.u_pe];
    return upe.multiply(L.u_ref, L.u_view ? L.u_view : L.u_stage.data(), L.u_view ? L.u_words : L.u_stage.size(),
                        L.u_seg_words, is_column_format(L.u_ref.format) ? &keep : nullptr, &h_in, &uh, 1,
                        L.u_view != nullptr);
}

// The vector PE's inputs: the step's products, or under the delta policy the delta memories
// they accumulate into; in T, then rounded to fp32 for the gate math.
template <typename T>
void Accelerator::gate_inputs(LayerState& L, const T* wx, const T* uh, std::vector<T>& mx, std::vector<T>& mh) {
    const std::size_t rows = 4 * L.r.n;
    const bool delta = L.skip == SkipPolicy::delta;
    for (std::size_t i = 0; i < rows; ++i) {
        if (delta) {
            mx[i] += wx[i];
            mh[i] += uh[i];
        }
        L.wx_gate[i] = static_cast<float>(delta ? mx[i] : wx[i]);
        L.uh_gate[i] = static_cast<float>(delta ? mh[i] : uh[i]);
    }
}

void Accelerator::u_side() {
    for (;;) {
        sc_core::wait(start_event_);
        LayerState& L = *layer_;
        const std::size_t n = L.r.n, rows = 4 * n;
        const std::size_t u_index = L.u_pe;
        SpmvPe& upe = *pes_[u_index];
        const HPruning pruning{L.skip == SkipPolicy::h_block_threshold, L.r.threshold, kSegmentSpan};
        const bool column = is_column_format(L.u_ref.format);
        std::fill_n(buf_h_.write_span(0, n), n, 0.0f);
        std::fill_n(buf_c_.write_span(0, n), n, 0.0f);
        buf_h_.set_fill_at(clock_.now(), static_cast<std::int64_t>(n));
        buf_c_.set_fill_at(clock_.now(), static_cast<std::int64_t>(n));

        for (std::size_t t = 0; t < L.r.steps; ++t) {
            const std::size_t k = t / L.batch;
            // W·x_t must be in BUF_wx (the table was loaded before the first x, so it is too).
            wait_count(L.wx_ready, k + 1, L.wx_ready_ev);

            // Which blocks of h_{t-1} this step needs: those that survive pruning, or (delta)
            // those that changed by more than Θh. A column format skips their segments of U.
            const float* h_prev = buf_h_.read_span(0, n);
            const float* h_in = h_prev;
            std::vector<bool> keep;
            if (L.skip == SkipPolicy::delta) {
                L.run->h_propagated += delta_encode(h_prev, L.h_hat.data(), n, L.r.theta_h, L.dh.data());
                L.run->h_total += n;
                keep = nonzero_blocks(L.dh.data(), n, kSegmentSpan);
                h_in = L.dh.data();
            } else {
                keep = h_block_mask(h_prev, n, pruning);
                h_in = buf_h_.read_span(0, n);  // the PE reads h itself, after the pruning unit
            }
            const auto skipped = static_cast<std::uint64_t>(std::count(keep.begin(), keep.end(), false));
            L.run->h_blocks_total += keep.size();
            L.run->h_blocks_skipped += skipped;
            if (!column && L.skip == SkipPolicy::h_block_threshold && skipped) {
                // A row format reads all of U; the pruned blocks of h multiply as zeros.
                std::copy_n(h_prev, n, L.h_in.begin());
                for (std::size_t j = 0; j < keep.size(); ++j)
                    if (!keep[j]) std::fill_n(&L.h_in[j * kSegmentSpan], std::min(kSegmentSpan, n - j * kSegmentSpan), 0.0f);
                h_in = L.h_in.data();
            }
            // The controller plans the fetch from BUF_table: the word count of every segment,
            // those it fetches and those it passes over to find the next one's address.
            Burst u = make_burst(PortUser::u, false, {}, nullptr);
            std::uint64_t words = 0, offset = 0;
            L.u_seg_words.resize(L.u_segments);
            for (std::size_t j = 0; j < L.u_segments; ++j) {
                L.u_seg_words[j] = buf_table_.read_u32(j);
                if (!column || keep[j]) {
                    append_region(u.regions, L.r.u_addr + 8 * offset, L.u_seg_words[j]);
                    words += L.u_seg_words[j];
                }
                offset += L.u_seg_words[j];
            }
            if (L.u_view) {
                u.in_place = true;
            } else {
                L.u_stage.resize(words);
                u.data = L.u_stage.data();
            }
            upe.assign(static_cast<int>(t), static_cast<int>(t), PeState::uh);
            uh_step.set_now(static_cast<std::int32_t>(t));
            u.on_first_slot = [&upe](Cycles first) { upe.start_at(first); };
            data->wait_done(post(L, std::move(u)));

            L.run->macs_u += L.fixed ? multiply_uh<double>(L, keep, h_in) : multiply_uh<float>(L, keep, h_in);
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
            const float* wx = buf_wx_.read_span(wx_at, rows);
            const float* uh = buf_uh_.read_span(0, rows);
            if (L.fixed) {
                gate_inputs<double>(L, &L.wx64[wx_at], L.uh64.data(), L.mx64, L.mh64);
                wx = L.wx_gate.data(), uh = L.uh_gate.data();
            } else if (L.skip == SkipPolicy::delta) {
                gate_inputs<float>(L, wx, uh, L.mx32, L.mh32);
                wx = L.wx_gate.data(), uh = L.uh_gate.data();
            }
            float* h = buf_h_.write_span(0, n);
            // c_{t-1} is read and c_t written back in place.
            const Cycles v = vector_pe_->run(wx, uh, buf_bias_.read_span(0, rows), n, buf_c_.modify_span(0, n), h);
            L.run->vector_ops += n;
            // The fixed-point datapath keeps h in 16 bits: the next step and the output see it so.
            if (L.fixed)
                for (std::size_t i = 0; i < n; ++i) h[i] = quantize_activation(h[i]);
            vector_pe_->plan_busy(clock_.now(), clock_.now() + v);
            L.run->vector_busy += v;
            clock_.wait_until(clock_.now() + v);
            buf_uh_.set_fill_at(clock_.now(), 0);
            // The sequential W side may post step t+1's bursts now; let it plan before this
            // side's store, as the port's priority has it.
            ++L.h_done;
            L.h_done_ev.notify();
            sc_core::wait(sc_core::SC_ZERO_TIME);
            // Under the delta policy the W side fetches x before it can post W; the U side keeps
            // the port's order (W side first) by letting it post what it may post now.
            if (L.skip == SkipPolicy::delta)
                wait_count(L.posted, std::min(L.batches, L.fused ? L.uh_done + 2 : L.h_done + 1), L.posted_ev);

            // h_t goes to memory as this step's output (and the next layer's input).
            std::vector<std::uint64_t>& st = L.store_stage.emplace_back();
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
        const std::vector<const OnChipBuffer*> bufs = buffers();
        for (std::size_t b = 0; b < bufs.size(); ++b) {
            run.buffer_reads.push_back(bufs[b]->reads() - L.reads_before[b]);
            run.buffer_writes.push_back(bufs[b]->writes() - L.writes_before[b]);
        }
        phase.set_now(0);
        for (OnChipBuffer* b : {&buf_x_, &buf_wx_, &buf_uh_, &buf_h_, &buf_c_, &buf_bias_, &buf_table_})
            b->set_fill_at(clock_.now(), 0);
        done_event_.notify(sc_core::SC_ZERO_TIME);
    }
}

}  // namespace elstm
