#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>

namespace elstm {

// The W-side slots the fast timing mode has planned on the port, so the U side can find its
// free slots in bulk: O(log) per query instead of a walk per word. Each placed burst keeps
// its pace list (shared, not copied: a W stream's is megabytes, head words one cycle apart
// and value words N_fuse cycles apart) with a sparse index into it, built in one pass over
// the list and reused while the next bursts bring the same list (a layer's W batches).
// Plain C++: no SystemC time, only cycle numbers.
class PortTimeline {
public:
    struct Placement {
        sim::Cycles first = 0;  // first word's slot
        sim::Cycles last = 0;   // last word's slot
        sim::Cycles done = 0;   // last slot + the last word's pace
    };
    // Where a placement's words go, reported (when asked for: the per-cycle port trace) as
    // runs of consecutive slots [from, to], in order.
    using SlotRuns = std::function<void(sim::Cycles from, sim::Cycles to)>;

    // Occupies slots for `words` words: the first at `first`, each next one the previous
    // word's pace later (null or empty: back to back; every run at least 1 cycle). `first`
    // must come after every slot placed before.
    Placement place(sim::Cycles first, std::shared_ptr<const std::vector<PaceRun>> pace, std::uint64_t words,
                    const SlotRuns& slots = {});

    // Slots in [0, t) that are occupied.
    std::uint64_t occupied_before(sim::Cycles t) const;
    bool occupied(sim::Cycles t) const { return occupied_before(t + 1) != occupied_before(t); }
    // The slot of the `n`-th (1-based) free slot at or after `from`.
    sim::Cycles nth_free(sim::Cycles from, std::uint64_t n) const;
    // Where the free slots of a burst paced by `pace` land, starting no earlier than `from`.
    Placement place_in_free(sim::Cycles from, const std::vector<PaceRun>& pace, std::uint64_t words,
                            const SlotRuns& slots = {}) const;

    // Drops bursts that end before t; queries before t are no longer asked.
    void forget_before(sim::Cycles t);
    sim::Cycles end() const { return end_; }  // one past the last occupied slot (0 if none)

private:
    // A pace list indexed: every kMarkRuns-th run's first word as an offset from the burst's
    // first slot, with the words before it. A query scans at most kMarkRuns runs from a mark.
    static constexpr std::size_t kMarkRuns = 32;
    struct Mark {
        sim::Cycles offset;
        std::uint64_t words;
    };
    struct PaceIndex {
        std::shared_ptr<const std::vector<PaceRun>> runs;
        std::vector<Mark> marks;
        std::uint64_t words = 0;    // words the runs cover
        sim::Cycles span = 0;       // offset of the slot after the last word's pace
        std::uint32_t last_pace = 1;
        explicit PaceIndex(std::shared_ptr<const std::vector<PaceRun>> pace);
        std::uint64_t before(sim::Cycles rel) const;  // words at offsets below rel
    };
    struct Placed {
        sim::Cycles first, last;
        std::uint64_t words;
        std::uint64_t before;                     // occupied slots in all earlier bursts, forgotten ones included
        std::shared_ptr<const PaceIndex> pace;   // null: back to back
    };

    // Reports the free slots in [from, to] as runs.
    void report_free(sim::Cycles from, sim::Cycles to, const SlotRuns& slots) const;

    std::deque<Placed> placed_;  // oldest first, not yet forgotten
    std::shared_ptr<const PaceIndex> last_index_;  // the next burst's, if it brings the same list
    std::uint64_t total_ = 0;
    sim::Cycles end_ = 0;
};

// Total words a pace list covers, checked against the burst's word count by the channel.
std::uint64_t paced_words(const std::vector<PaceRun>& pace);

}  // namespace elstm
