#include "rocc/port_timeline.hpp"

#include <algorithm>
#include <stdexcept>

namespace elstm {

std::uint64_t paced_words(const std::vector<PaceRun>& pace) {
    std::uint64_t n = 0;
    for (const PaceRun& r : pace) n += r.words;
    return n;
}

void PortTimeline::append(sim::Cycles start, std::uint64_t count, std::uint32_t stride) {
    if (count == 0) return;
    if (head_ < runs_.size()) {
        Run& back = runs_.back();
        // A single-slot run takes any stride, so consecutive equal strides merge into one run.
        const std::uint32_t back_stride = back.count == 1 ? stride : back.stride;
        if (back_stride == stride && back.start + back.count * stride == start) {
            back.stride = stride;
            back.count += count;
            total_ += count;
            end_ = back.last() + 1;
            return;
        }
    }
    runs_.push_back({start, count, stride, total_});
    total_ += count;
    end_ = runs_.back().last() + 1;
}

PortTimeline::Placement PortTimeline::place(sim::Cycles first, const std::vector<PaceRun>& pace,
                                            std::uint64_t words) {
    if (first < end_) throw std::logic_error("PortTimeline: slots placed out of order");
    Placement p{first, first, first + 1};
    if (words == 0) return p;
    sim::Cycles at = first;
    if (pace.empty()) {
        append(at, words, 1);
        return {first, first + words - 1, first + words};
    }
    std::uint32_t last_pace = 1;
    for (const PaceRun& r : pace) {
        if (r.words == 0) continue;
        append(at, r.words, r.cycles);
        at += r.words * r.cycles;
        last_pace = r.cycles;
    }
    p.last = at - last_pace;
    p.done = at;
    return p;
}

std::uint64_t PortTimeline::occupied_before(sim::Cycles t) const {
    // The last run starting before t.
    auto it = std::upper_bound(runs_.begin() + static_cast<std::ptrdiff_t>(head_), runs_.end(), t,
                               [](sim::Cycles v, const Run& r) { return v <= r.start; });
    if (it == runs_.begin() + static_cast<std::ptrdiff_t>(head_)) {
        return head_ < runs_.size() ? runs_[head_].before : total_;
    }
    const Run& r = *(it - 1);
    const std::uint64_t in_run = (t - r.start - 1) / r.stride + 1;
    return r.before + std::min(r.count, in_run);
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
                                                    std::uint64_t words) const {
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
        } else {
            for (std::uint64_t i = 0; i < r.words; ++i) {
                const sim::Cycles s = nth_free(eligible, 1);
                if (first && i == 0) p.first = s;
                p.last = s;
                eligible = s + r.cycles;
            }
        }
        first = false;
        p.done = eligible;
    }
    return p;
}

void PortTimeline::forget_before(sim::Cycles t) {
    while (head_ < runs_.size() && runs_[head_].last() < t) ++head_;
    // Compact once the forgotten prefix dominates, keeping `before` counts absolute.
    if (head_ > 1024 && head_ * 2 > runs_.size()) {
        runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

}  // namespace elstm
