#include <elstm_vp/rocc/port_timeline.hpp>

#include <algorithm>
#include <stdexcept>

namespace elstm {

std::uint64_t paced_words(const std::vector<PaceRun>& pace) {
    std::uint64_t n = 0;
    for (const PaceRun& r : pace) n += r.words;
    return n;
}

PortTimeline::PaceIndex::PaceIndex(std::shared_ptr<const std::vector<PaceRun>> pace) : runs(std::move(pace)) {
    marks.reserve(runs->size() / kMarkRuns + 1);
    for (std::size_t i = 0; i < runs->size(); ++i) {
        if (i % kMarkRuns == 0) marks.push_back({span, words});
        const PaceRun& r = (*runs)[i];
        if (r.words == 0) continue;
        words += r.words;
        span += r.words * r.cycles;
        last_pace = r.cycles;
    }
}

std::uint64_t PortTimeline::PaceIndex::before(sim::Cycles rel) const {
    // The last mark below rel; every word of the runs before it lies below its offset.
    const auto mark = std::upper_bound(marks.begin(), marks.end(), rel,
                                       [](sim::Cycles v, const Mark& m) { return v <= m.offset; }) - 1;
    sim::Cycles offset = mark->offset;
    std::uint64_t count = mark->words;
    for (std::size_t i = static_cast<std::size_t>(mark - marks.begin()) * kMarkRuns; i < runs->size(); ++i) {
        const PaceRun& r = (*runs)[i];
        if (r.words == 0) continue;
        if (offset >= rel) break;
        const std::uint64_t in_run = (rel - offset - 1) / r.cycles + 1;
        if (in_run < r.words) return count + in_run;
        count += r.words;
        offset += r.words * r.cycles;
    }
    return count;
}

namespace {

// Reports the slots of a paced placement starting at `first`: a run of pace 1 as one range,
// the words of a slower run one by one.
void report_paced(sim::Cycles first, const std::vector<PaceRun>& pace, const PortTimeline::SlotRuns& slots) {
    sim::Cycles t = first;
    for (const PaceRun& r : pace) {
        if (r.words == 0) continue;
        if (r.cycles == 1) {
            slots(t, t + r.words - 1);
            t += r.words;
            continue;
        }
        for (std::uint64_t i = 0; i < r.words; ++i, t += r.cycles) slots(t, t);
    }
}

}  // namespace

PortTimeline::Placement PortTimeline::place(sim::Cycles first, std::shared_ptr<const std::vector<PaceRun>> pace,
                                            std::uint64_t words, const SlotRuns& slots) {
    if (first < end_) throw std::logic_error("PortTimeline: slots placed out of order");
    if (words == 0) return {first, first, first + 1};
    Placed b{first, first + words - 1, words, total_, nullptr};
    sim::Cycles done = first + words;
    if (pace && !pace->empty()) {
        if (!last_index_ || last_index_->runs != pace) last_index_ = std::make_shared<const PaceIndex>(std::move(pace));
        b.pace = last_index_;
        if (b.pace->words == 0) return {first, first, first + 1};  // a pace of empty runs
        b.words = b.pace->words;
        done = first + b.pace->span;
        b.last = done - b.pace->last_pace;
    }
    const Placement p{first, b.last, done};
    if (slots) {
        if (b.pace) report_paced(first, *b.pace->runs, slots);
        else slots(first, b.last);
    }
    total_ += b.words;
    end_ = b.last + 1;
    placed_.push_back(std::move(b));
    return p;
}

std::uint64_t PortTimeline::occupied_before(sim::Cycles t) const {
    // The last burst starting before t.
    const auto it = std::upper_bound(placed_.begin(), placed_.end(), t,
                                     [](sim::Cycles v, const Placed& b) { return v <= b.first; });
    if (it == placed_.begin()) return placed_.empty() ? total_ : placed_.front().before;
    const Placed& b = *(it - 1);
    if (t > b.last) return b.before + b.words;
    return b.before + (b.pace ? b.pace->before(t - b.first) : t - b.first);
}

sim::Cycles PortTimeline::nth_free(sim::Cycles from, std::uint64_t n) const {
    const std::uint64_t occ_from = occupied_before(from);
    // The answer τ is the smallest with (τ + 1 − from) − occupied in [from, τ] ≥ n.
    sim::Cycles lo = from + n - 1;
    sim::Cycles hi = lo + (total_ - occ_from);
    while (lo < hi) {
        const sim::Cycles mid = lo + (hi - lo) / 2;
        const std::uint64_t free = (mid + 1 - from) - (occupied_before(mid + 1) - occ_from);
        if (free >= n) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

PortTimeline::Placement PortTimeline::place_in_free(sim::Cycles from, const std::vector<PaceRun>& pace,
                                                    std::uint64_t words, const SlotRuns& slots) const {
    Placement p{from, from, from + 1};
    if (words == 0) return p;
    const std::vector<PaceRun> ones{{words, 1}};
    const std::vector<PaceRun>& runs = pace.empty() ? ones : pace;
    sim::Cycles eligible = from;
    bool first = true;
    for (const PaceRun& r : runs) {
        if (r.words == 0) continue;
        if (r.cycles == 1) {
            // Back to back: the run's words take the next r.words free slots.
            const sim::Cycles s0 = nth_free(eligible, 1);
            const sim::Cycles last = nth_free(eligible, r.words);
            if (first) p.first = s0;
            p.last = last;
            eligible = last + 1;
            if (slots) report_free(s0, last, slots);
        } else {
            for (std::uint64_t i = 0; i < r.words; ++i) {
                const sim::Cycles s = nth_free(eligible, 1);
                if (first && i == 0) p.first = s;
                p.last = s;
                if (slots) slots(s, s);
                eligible = s + r.cycles;
            }
        }
        first = false;
        p.done = eligible;
    }
    return p;
}

void PortTimeline::report_free(sim::Cycles from, sim::Cycles to, const SlotRuns& slots) const {
    sim::Cycles run = from;  // start of the free run being gathered
    for (sim::Cycles t = from; t <= to; ++t) {
        if (!occupied(t)) continue;
        if (t > run) slots(run, t - 1);
        run = t + 1;
    }
    if (run <= to) slots(run, to);
}

void PortTimeline::forget_before(sim::Cycles t) {
    while (!placed_.empty() && placed_.front().last < t) placed_.pop_front();
}

}  // namespace elstm
