#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <elstm_vp/numeric/packed_matrix.hpp>
#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

enum class PeRole {
    spmv,    // W·x_t, fusing several steps on one W stream
    spmspv,  // U·h_{t-1}, skipping pruned block columns
};
const char* pe_role_name(PeRole role);

struct PeConfig {
    std::string name;
    PeRole role = PeRole::spmv;
    unsigned macc_per_cycle = 4;  // one RoCC word holds 4 fp16 weights
};

// How many of the PEs have `role`.
std::size_t count_role(const std::vector<PeConfig>& pes, PeRole role);

// Which packed matrix a PE walks: its format, where it lives (the decode cache's key: each
// layer's W and U keep their own entries) and its logical shape.
struct MatrixRef {
    WeightFormat format = WeightFormat::esell;
    PackOptions options;
    std::uint64_t addr = 0;
    std::size_t rows = 0, cols = 0;
};

// The simulator's decode cache for one PE. The words that arrive for a segment are decoded
// (with every check) into a dense slab the first time; while the words that arrive later are
// the same (compared word for word, as when a layer streams the same W or U again), the slab
// is reused. Each row then adds its terms in ascending column order from the slab, as
// decoding anew would: the results are the same bit for bit. Within one layer run the weights
// are taken to stay put (the controller streams them in place too): words seen at the same
// place again in the same run are not compared again.
class DecodeCache {
public:
    // A layer run starts: words are compared again on their first use in it.
    void begin_run() { ++run_; }
    // ys[v] += segment `seg` · xs[v]; returns the MACs of one vector (the segment's non-zeros).
    // T is the accumulator: float (fp32 datapath) or double (exact fixed-point sums).
    template <typename T>
    std::uint64_t accumulate(const MatrixRef& m, const std::uint64_t* words, std::size_t count, std::size_t seg,
                             const float* const* xs, T* const* ys, std::size_t nvec);

private:
    struct Entry {
        std::size_t rows = 0, cols = 0;
        WeightFormat format = WeightFormat::esell;
        std::vector<std::uint64_t> words;
        DecodedSegment decoded;
        std::uint64_t run = 0;                  // the layer run that last checked the words
        const std::uint64_t* source = nullptr;  // where they were then
    };
    Entry& lookup(const MatrixRef& m, const std::uint64_t* words, std::size_t count, std::size_t seg);
    std::map<std::uint64_t, std::vector<Entry>> matrices_;  // by address
    std::uint64_t run_ = 1;
};

// ys[v] = M·xs[v] for nvec vectors from one walk of the packed words of matrix m, whose
// segments have `segment_words` words. With `keep` (column formats only), only the kept
// segments take part (SpMSpV): `words` holds just them, in order, as a burst copies them, or
// with `whole_stream` the whole matrix as it sits in memory, the others passed over.
// Returns the MACs of one vector. SC_REPORT_ERROR (as `who`) if the words end early or a
// segment is malformed.
template <typename T>
std::uint64_t walk_matrix(const char* who, DecodeCache& cache, const MatrixRef& m, const std::uint64_t* words,
                          std::size_t count, const std::vector<std::uint32_t>& segment_words,
                          const std::vector<bool>* keep, const float* const* xs, T* const* ys, std::size_t nvec,
                          bool whole_stream = false);

// Traced PE states.
enum class PeState : std::uint8_t { idle = 0, stall = 1, wx = 2, uh = 3 };

// A sparse matrix-vector PE with the weight-format decoder inside. Its arithmetic walks the
// packed words it receives; its timing is its pace on the port: a word that only steers the
// decoder (a head or index word) takes one cycle, a value word ceil(4 / macc_per_cycle)
// cycles for each step it is applied to.
class SpmvPe : public sc_core::sc_module {
public:
    SpmvPe(sc_core::sc_module_name name, const PeConfig& config, sim::Clock clock);

    const PeConfig& config() const { return config_; }

    // Cycles this PE holds one value word when applying it to `steps` steps.
    std::uint32_t value_word_cycles(std::size_t steps) const;
    // Pace of a stream whose words carry `slots[i]` weights each (segment_word_slots).
    std::vector<PaceRun> stream_pace(const std::vector<std::uint8_t>& slots, std::size_t steps) const;

    // walk_matrix for this PE's fused steps, counting its MACs; returns them (all vectors').
    template <typename T>
    std::uint64_t multiply(const MatrixRef& m, const std::uint64_t* words, std::size_t count,
                  const std::vector<std::uint32_t>& segment_words, const std::vector<bool>* keep,
                  const float* const* xs, T* const* ys, std::size_t nvec = 1, bool whole_stream = false);

    // Trace of the PE's tasks, in the order they are given. A task is assigned (the fused
    // SpMV PEs get batch k+1 while still on batch k); it shows once the one before it is
    // finished: stalled, with its steps [first_step, last_step] (a fused group, or one step),
    // until its first word crosses the port, then working.
    void assign(int first_step, int last_step, PeState working);
    void start_at(sim::Cycles first_slot);  // the first word of the oldest task not yet started
    void finish();                          // the current task is done
    std::uint64_t busy_cycles() const { return busy_cycles_; }
    std::uint64_t macs() const { return macs_; }
    DecodeCache& decode_cache() { return cache_; }
    // Work done outside multiply(): the SpMV PEs share one walk of a broadcast W stream.
    void add_work(std::uint64_t busy_cycles, std::uint64_t macs) {
        busy_cycles_ += busy_cycles;
        macs_ += macs;
    }

    // Traced: the PE's state and the steps of its task, first and last (−1 idle).
    sim::TimedValue<std::uint8_t> state;
    sim::TimedValue<std::int32_t> step;
    sim::TimedValue<std::int32_t> step_last;
    // Adds prefix.state, prefix.step and prefix.step_last to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

private:
    PeConfig config_;
    std::uint64_t busy_cycles_ = 0;
    std::uint64_t macs_ = 0;
    DecodeCache cache_;

    struct Task {
        int first_step, last_step;
        PeState working;
        bool started = false;
        sim::Cycles first = 0;
    };
    void show_front();
    std::deque<Task> tasks_;  // front: the task shown, once active_
    bool active_ = false;
    sim::Clock clock_;
};

}  // namespace elstm
