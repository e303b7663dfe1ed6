#pragma once
#include <cstdint>
#include <vector>

#include "rocc/rocc_if.hpp"
#include "sim/clock.hpp"

namespace elstm {

// The W-side slots the fast timing mode has planned on the port, kept as strided runs
// (a W stream is head words one cycle apart and value words N_fuse cycles apart), so the
// U side can find its free slots in bulk: O(log runs) per query instead of a walk per word.
// Plain C++: no SystemC time, only cycle numbers.
class PortTimeline {
public:
    struct Placement {
        sim::Cycles first = 0;  // first word's slot
        sim::Cycles last = 0;   // last word's slot
        sim::Cycles done = 0;   // last slot + the last word's pace
    };

    // Occupies slots for `words` words: the first at `first`, each next one the previous
    // word's pace later. `first` must come after every slot placed before.
    Placement place(sim::Cycles first, const std::vector<PaceRun>& pace, std::uint64_t words);

    // Slots in [0, t) that are occupied.
    std::uint64_t occupied_before(sim::Cycles t) const;
    bool occupied(sim::Cycles t) const { return occupied_before(t + 1) != occupied_before(t); }
    // The slot of the `n`-th (1-based) free slot at or after `from`.
    sim::Cycles nth_free(sim::Cycles from, std::uint64_t n) const;
    // Where the free slots of a burst paced by `pace` land, starting no earlier than `from`.
    Placement place_in_free(sim::Cycles from, const std::vector<PaceRun>& pace, std::uint64_t words) const;

    // Drops runs that end before t; queries before t are no longer asked.
    void forget_before(sim::Cycles t);
    sim::Cycles end() const { return end_; }  // one past the last occupied slot (0 if none)

private:
    struct Run {
        sim::Cycles start;
        std::uint64_t count;
        std::uint32_t stride;
        std::uint64_t before;  // occupied slots in all earlier runs, forgotten ones included
        sim::Cycles last() const { return start + (count - 1) * stride; }
    };
    void append(sim::Cycles start, std::uint64_t count, std::uint32_t stride);

    std::vector<Run> runs_;
    std::size_t head_ = 0;  // runs_[0, head_) are forgotten
    std::uint64_t total_ = 0;
    sim::Cycles end_ = 0;
};

// Total words a pace list covers, checked against the burst's word count by the channel.
std::uint64_t paced_words(const std::vector<PaceRun>& pace);

}  // namespace elstm
