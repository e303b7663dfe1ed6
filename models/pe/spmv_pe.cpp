#include <elstm_vp/pe/spmv_pe.hpp>

#include <algorithm>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/hex.hpp>

namespace elstm {

const char* pe_role_name(PeRole role) { return role == PeRole::spmv ? "spmv" : "spmspv"; }

std::size_t count_role(const std::vector<PeConfig>& pes, PeRole role) {
    return static_cast<std::size_t>(std::count_if(pes.begin(), pes.end(), [role](const PeConfig& pe) { return pe.role == role; }));
}

SpmvPe::SpmvPe(sc_core::sc_module_name name, const PeConfig& config, sim::Clock clock)
    : sc_module(name), state("state", clock), step("step", clock, -1), step_last("step_last", clock, -1), config_(config), clock_(clock) {}

std::uint32_t SpmvPe::value_word_cycles(std::size_t steps) const {
    const unsigned per_step = (4 + config_.macc_per_cycle - 1) / config_.macc_per_cycle;
    return static_cast<std::uint32_t>(per_step * std::max<std::size_t>(steps, 1));
}

std::vector<PaceRun> SpmvPe::stream_pace(const std::vector<std::uint8_t>& slots, std::size_t steps) const {
    const std::uint32_t value_cycles = value_word_cycles(steps);
    std::vector<PaceRun> pace;
    pace.reserve(slots.size() / 2 + 1);
    for (std::uint8_t s : slots) {
        // A word without weights (head, indices) sets up the decoder in one cycle, no MACs.
        const std::uint32_t cycles = s ? value_cycles : 1;
        if (!pace.empty() && pace.back().cycles == cycles)
            ++pace.back().words;
        else
            pace.push_back({1, cycles});
    }
    return pace;
}

DecodeCache::Entry& DecodeCache::lookup(const MatrixRef& m, const std::uint64_t* words, std::size_t count,
                                        std::size_t seg) {
    std::vector<Entry>& segments = matrices_[m.addr];
    if (segments.size() <= seg) segments.resize(seg + 1);
    Entry& e = segments[seg];
    if (e.run == run_ && e.source == words && e.words.size() == count && e.rows == m.rows && e.cols == m.cols &&
        e.format == m.format)
        return e;
    e.run = run_;
    e.source = words;
    if (e.rows != m.rows || e.cols != m.cols || e.format != m.format || e.words.size() != count ||
        !std::equal(words, words + count, e.words.begin())) {
        e.decoded = decode_segment(m.format, m.options, words, count, seg, m.rows, m.cols);
        e.rows = m.rows;
        e.cols = m.cols;
        e.format = m.format;
        e.words.assign(words, words + count);
    }
    return e;
}

template <typename T>
std::uint64_t DecodeCache::accumulate(const MatrixRef& m, const std::uint64_t* words, std::size_t count,
                                      std::size_t seg, const float* const* xs, T* const* ys, std::size_t nvec) {
    const Entry& e = lookup(m, words, count, seg);
    const std::vector<float>& slab = e.decoded.slab;
    if (is_column_format(m.format) && kSegmentSpan * (seg + 1) <= m.cols) {
        static_assert(kSegmentSpan == 4, "the loop below takes a segment's 4 columns at once");
        // A full segment: its 4 columns in one pass over the rows, each row still adding them in
        // ascending column order (the same operations, a quarter of the traffic through y).
        const float* w0 = &slab[0];
        const float* w1 = &slab[m.rows];
        const float* w2 = &slab[2 * m.rows];
        const float* w3 = &slab[3 * m.rows];
        for (std::size_t v = 0; v < nvec; ++v) {
            const float* x = xs[v] + kSegmentSpan * seg;
            const T x0 = static_cast<T>(x[0]), x1 = static_cast<T>(x[1]), x2 = static_cast<T>(x[2]),
                    x3 = static_cast<T>(x[3]);
            T* y = ys[v];
            for (std::size_t r = 0; r < m.rows; ++r)
                y[r] = (((y[r] + static_cast<T>(w0[r]) * x0) + static_cast<T>(w1[r]) * x1) + static_cast<T>(w2[r]) * x2) +
                       static_cast<T>(w3[r]) * x3;
        }
    } else if (is_column_format(m.format)) {
        for (std::size_t c = 0; c < kSegmentSpan; ++c) {
            const std::size_t col = kSegmentSpan * seg + c;
            if (col >= m.cols) break;
            const float* w = &slab[c * m.rows];
            for (std::size_t v = 0; v < nvec; ++v) {
                const T x = static_cast<T>(xs[v][col]);
                T* y = ys[v];
                for (std::size_t r = 0; r < m.rows; ++r) y[r] += static_cast<T>(w[r]) * x;
            }
        }
    } else {
        for (std::size_t local = 0; local < kSegmentSpan; ++local) {
            const std::size_t row = kSegmentSpan * seg + local;
            if (row >= m.rows) break;
            const float* w = &slab[local * m.cols];
            for (std::size_t v = 0; v < nvec; ++v) {
                const float* x = xs[v];
                T sum = ys[v][row];
                for (std::size_t c = 0; c < m.cols; ++c)
                    if (w[c] != 0.0f) sum += static_cast<T>(w[c]) * static_cast<T>(x[c]);
                ys[v][row] = sum;
            }
        }
    }
    return e.decoded.nonzeros;
}

template <typename T>
std::uint64_t walk_matrix(const char* who, DecodeCache& cache, const MatrixRef& m, const std::uint64_t* words,
                          std::size_t count, const std::vector<std::uint32_t>& segment_words,
                          const std::vector<bool>* keep, const float* const* xs, T* const* ys, std::size_t nvec,
                          bool whole_stream) {
    for (std::size_t v = 0; v < nvec; ++v) std::fill(ys[v], ys[v] + m.rows, T{0});
    std::uint64_t macs = 0;
    std::size_t at = 0;
    for (std::size_t j = 0; j < segment_words.size(); ++j) {
        const std::size_t n = segment_words[j];
        if (keep && !(*keep)[j]) {
            if (whole_stream) at += n;
            continue;
        }
        if (at + n > count)
            SC_REPORT_ERROR(who, (std::string(weight_format_name(m.format)) + " stream at " + hex(m.addr) +
                                  " shorter than its word-count table")
                                     .c_str());
        try {
            macs += cache.accumulate(m, words + at, n, j, xs, ys, nvec);
        } catch (const Error& e) {
            SC_REPORT_ERROR(who, (std::string(weight_format_name(m.format)) + " matrix at " + hex(m.addr) + ": " +
                                  e.what())
                                     .c_str());
        }
        at += n;
    }
    return macs;
}

template <typename T>
std::uint64_t SpmvPe::multiply(const MatrixRef& m, const std::uint64_t* words, std::size_t count,
                      const std::vector<std::uint32_t>& segment_words, const std::vector<bool>* keep,
                      const float* const* xs, T* const* ys, std::size_t nvec, bool whole_stream) {
    const std::uint64_t macs =
        nvec * walk_matrix(name(), cache_, m, words, count, segment_words, keep, xs, ys, nvec, whole_stream);
    macs_ += macs;
    return macs;
}

template std::uint64_t walk_matrix<float>(const char*, DecodeCache&, const MatrixRef&, const std::uint64_t*,
                                          std::size_t, const std::vector<std::uint32_t>&, const std::vector<bool>*,
                                          const float* const*, float* const*, std::size_t, bool);
template std::uint64_t walk_matrix<double>(const char*, DecodeCache&, const MatrixRef&, const std::uint64_t*,
                                           std::size_t, const std::vector<std::uint32_t>&, const std::vector<bool>*,
                                           const float* const*, double* const*, std::size_t, bool);
template std::uint64_t SpmvPe::multiply<float>(const MatrixRef&, const std::uint64_t*, std::size_t,
                                      const std::vector<std::uint32_t>&, const std::vector<bool>*, const float* const*,
                                      float* const*, std::size_t, bool);
template std::uint64_t SpmvPe::multiply<double>(const MatrixRef&, const std::uint64_t*, std::size_t,
                                       const std::vector<std::uint32_t>&, const std::vector<bool>*, const float* const*,
                                       double* const*, std::size_t, bool);

void SpmvPe::assign(int first_step, int last_step, PeState working) {
    tasks_.push_back({first_step, last_step, working});
    if (!active_) show_front();
}

void SpmvPe::show_front() {
    active_ = true;
    const Task& task = tasks_.front();
    step.set_now(task.first_step);
    step_last.set_now(task.last_step);
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
    step_last.set_now(-1);
}

void SpmvPe::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, state.signal, prefix + ".state");
    sc_core::sc_trace(file, step.signal, prefix + ".step");
    sc_core::sc_trace(file, step_last.signal, prefix + ".step_last");
}

}  // namespace elstm
