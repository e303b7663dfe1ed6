#include "pe/spmv_pe.hpp"

#include <algorithm>

#include "numeric/esell_spmv.hpp"

namespace elstm {

const char* pe_role_name(PeRole role) { return role == PeRole::spmv ? "spmv" : "spmspv"; }

std::size_t count_role(const std::vector<PeConfig>& pes, PeRole role) {
    return static_cast<std::size_t>(std::count_if(pes.begin(), pes.end(), [role](const PeConfig& pe) { return pe.role == role; }));
}

SpmvPe::SpmvPe(sc_core::sc_module_name name, const PeConfig& config, const sim::Clock& clock)
    : sc_module(name), state("state", clock), step("step", clock, -1), config_(config), clock_(clock) {}

std::uint32_t SpmvPe::value_word_cycles(std::size_t steps) const {
    const unsigned per_step = (4 + config_.macc_per_cycle - 1) / config_.macc_per_cycle;
    return static_cast<std::uint32_t>(per_step * std::max<std::size_t>(steps, 1));
}

std::vector<PaceRun> SpmvPe::stream_pace(const std::vector<std::uint32_t>& block_value_words,
                                         std::size_t steps) const {
    const std::uint32_t value_cycles = value_word_cycles(steps);
    std::vector<PaceRun> pace;
    pace.reserve(2 * block_value_words.size());
    for (std::uint32_t v : block_value_words) {
        // The decoder takes a head word in one cycle; it sets up the chunk, no MACs.
        pace.push_back({1, 1});
        if (v) pace.push_back({v, value_cycles});
    }
    return pace;
}

// Every decoded value lands at its row and column in the slab; padding (zero values, columns
// past the matrix) adds nothing.
void DecodeCache::decode(Entry& e, const std::uint64_t* words, std::size_t count, std::size_t block_col) {
    const std::size_t rows = e.rows;
    const esell::DecodedColumn column = esell::decode_block_column(words, count, block_col, rows, e.cols);
    e.slab.assign(esell::kBlockColWidth * rows, 0.0f);
    for (const esell::DecodedBlock& block : column.blocks) {
        for (const esell::DecodedChunk& chunk : block.chunk) {
            for (std::size_t j = 0; j < esell::kChunkHeight; ++j) {
                const std::size_t row = block.block_row * esell::kBlockHeight + chunk.row(j);
                for (unsigned t = 0; t < esell::kBlockColWidth; ++t) {
                    const float v = chunk.value[t][j];
                    const int c = esell::decode_column(t, chunk.code(j));
                    if (v != 0.0f && c >= 0 && row < rows) e.slab[static_cast<std::size_t>(c) * rows + row] = v;
                }
            }
        }
    }
    e.nonzeros = column.nonzeros;
    e.words.assign(words, words + count);
}

std::uint64_t DecodeCache::accumulate(std::uint64_t matrix, const std::uint64_t* words, std::size_t count,
                                      std::size_t block_col,
                                      std::size_t rows, std::size_t cols, const float* const* xs,
                                      float* const* ys, std::size_t nvec) {
    std::vector<Entry>& columns = matrices_[matrix];
    if (columns.size() <= block_col) columns.resize(block_col + 1);
    Entry& e = columns[block_col];
    if (e.rows != rows || e.cols != cols || e.words.size() != count ||
        !std::equal(words, words + count, e.words.begin())) {
        e.rows = rows;
        e.cols = cols;
        decode(e, words, count, block_col);
    }
    for (std::size_t c = 0; c < esell::kBlockColWidth; ++c) {
        const std::size_t col = esell::kBlockColWidth * block_col + c;
        if (col >= cols) break;
        const float* w = &e.slab[c * rows];
        for (std::size_t v = 0; v < nvec; ++v) {
            const float x = xs[v][col];
            float* y = ys[v];
            for (std::size_t r = 0; r < rows; ++r) y[r] += w[r] * x;
        }
    }
    return e.nonzeros;
}

std::uint64_t walk_esell(const char* who, DecodeCache& cache, std::uint64_t matrix, const std::uint64_t* words,
                         std::size_t count,
                         const std::vector<std::uint32_t>& block_col_words, const std::vector<bool>* keep,
                         std::size_t rows, std::size_t cols, const float* const* xs, float* const* ys,
                         std::size_t nvec) {
    for (std::size_t v = 0; v < nvec; ++v) std::fill(ys[v], ys[v] + rows, 0.0f);
    std::uint64_t macs = 0;
    std::size_t at = 0;
    for (std::size_t j = 0; j < block_col_words.size(); ++j) {
        if (keep && !(*keep)[j]) continue;
        const std::size_t n = block_col_words[j];
        if (at + n > count) SC_REPORT_ERROR(who, "eSELL stream shorter than its word-count table");
        macs += cache.accumulate(matrix, words + at, n, j, rows, cols, xs, ys, nvec);
        at += n;
    }
    return macs;
}

void SpmvPe::multiply(std::uint64_t matrix, const std::uint64_t* words, std::size_t count,
                      const std::vector<std::uint32_t>& block_col_words, const std::vector<bool>* keep,
                      std::size_t rows, std::size_t cols, const float* const* xs, float* const* ys,
                      std::size_t nvec) {
    macs_ += nvec * walk_esell(name(), cache_, matrix, words, count, block_col_words, keep, rows, cols, xs, ys, nvec);
}

void SpmvPe::assign(int t, PeState working) {
    tasks_.push_back({t, working});
    if (!active_) show_front();
}

void SpmvPe::show_front() {
    active_ = true;
    const Task& task = tasks_.front();
    step.set_now(task.step);
    const bool working_now = task.started && task.first <= clock_.now();
    state.set_now(static_cast<std::uint8_t>(working_now ? task.working : PeState::stall));
    if (task.started && !working_now) state.set_at(task.first, static_cast<std::uint8_t>(task.working));
}

void SpmvPe::start_at(sim::Cycles first_slot) {
    for (Task& task : tasks_) {
        if (task.started) continue;
        task.started = true;
        task.first = first_slot;
        if (&task == &tasks_.front() && active_) state.set_at(first_slot, static_cast<std::uint8_t>(task.working));
        return;
    }
}

void SpmvPe::finish() {
    if (!tasks_.empty()) tasks_.pop_front();
    active_ = false;
    if (!tasks_.empty()) {
        show_front();
        return;
    }
    state.set_now(static_cast<std::uint8_t>(PeState::idle));
    step.set_now(-1);
}

}  // namespace elstm
