#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <elstm_vp/rocc/port_cycle_trace.hpp>
#include <elstm_vp/rocc/port_timeline.hpp>
#include <elstm_vp/rocc/rocc_if.hpp>
#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

enum class PortTiming {
    fast,   // a burst is one timed transaction; its slots are computed in bulk
    exact,  // the port is arbitrated word by word, one grant per cycle (the yardstick)
};

struct RoccChannelConfig {
    unsigned word_bits = 64;        // the RoCC data path; eSELL is defined on 64-bit words
    unsigned words_per_cycle = 1;   // the paper's limit
    sim::Cycles memory_latency = 30;// cycles from a burst's request to its first word (the DRAM's latency)
    PortTiming timing = PortTiming::fast;
    std::size_t command_queue = 2;  // commands buffered before issue() blocks
    bool trace_port_cycles = false; // keep the port's word-by-word trace (port_cycles())
};

// The RoCC channel: command/response queues and the accelerator's data port to memory
// through a TLM-2.0 initiator socket. One word crosses the port per cycle; W-side users
// have strict priority, U-side users take the remaining slots, both modes alike.
class RoccChannel : public sc_core::sc_module,
                    public RoccCoreIf,
                    public RoccAccelIf,
                    public RoccDataIf {
public:
    // 64 bits wide, as the RoCC data path.
    tlm_utils::simple_initiator_socket<RoccChannel, 64> mem;

    RoccChannel(sc_core::sc_module_name name, const RoccChannelConfig& config,
                sim::Clock clock, std::set<std::uint8_t> known_functs);

    bool issue(const RoccCommand& cmd) override;
    RoccResponse wait_response() override;
    RoccCommand next_command() override;
    void respond(const RoccResponse& resp) override;

    BurstId post(Burst burst) override;
    BurstTiming wait_done(BurstId id) override;
    void peek(std::uint64_t addr, std::uint64_t words, std::uint64_t* out) override;
    const std::uint64_t* view(std::uint64_t addr, std::uint64_t words) override;

    const RoccChannelConfig& config() const { return config_; }
    std::uint64_t words(PortUser user) const { return words_[static_cast<int>(user)]; }
    std::uint64_t total_words() const;

    // Traced: the W-side and U-side users, their combination (the port owner: a PortUser
    // code, or kPortShared while both sides interleave) and the words moved so far.
    sim::TimedValue<std::uint8_t> w_side;
    sim::TimedValue<std::uint8_t> u_side;
    sc_core::sc_signal<std::uint8_t> owner;
    sim::TimedLevel words_moved;
    // With config().trace_port_cycles: whose word crosses the port in each cycle; else null.
    const PortCycleTrace* port_cycles() const { return port_cycles_.get(); }
    // Adds prefix.owner, .w_side, .u_side, .words (and .port with the word-by-word trace) to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

private:
    struct Pending {
        Burst burst;
        sim::Cycles posted = 0;
        BurstTiming timing;
        bool timed = false;      // timing known
        sc_core::sc_event timed_event;
    };
    struct Side {
        std::deque<BurstId> queue;   // exact mode: bursts not yet finished, oldest first
        sim::Cycles last_slot = 0;
        bool any = false;            // a burst has been served (last_slot valid)
        // exact mode: progress of the head burst
        bool started = false;
        std::uint64_t word = 0;
        std::size_t run = 0;         // pace run of the next word
        std::uint64_t run_word = 0;  // words of that run already granted
        sim::Cycles eligible = 0;    // cycle the next word may cross the port
    };

    Pending& pending(BurstId id);
    sim::Cycles start_of(const Side& side, const Pending& p) const;
    // The request takes its cycle, then the memory its latency: a burst requested in cycle
    // `start` moves its first word at start + 1 + latency at the earliest. Never in the
    // request's own cycle, so the arbiter's choice for a cycle never depends on the order of
    // processes within that cycle.
    sim::Cycles first_eligible(sim::Cycles start) const { return start + 1 + config_.memory_latency; }
    void plan_fast(Pending& p);
    void trace_burst(const Pending& p);
    // Returns the cycles the memory took beyond the channel's plan (0 with the elstm Dram).
    sim::Cycles transfer(Pending& p, std::uint64_t first_word, std::uint64_t count, sim::Cycles at);
    void finish(Pending& p);
    void arbiter();         // exact mode
    void grant(Side& side, sim::Cycles now);
    void complete_empty(Side& side);
    void release(Pending& p);
    void update_owner();
    // Memory at [addr, addr + bytes) through DMI, or null where the memory grants no direct read.
    unsigned char* direct(std::uint64_t addr, std::uint64_t bytes);
    void invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end);

    RoccChannelConfig config_;
    sim::Clock clock_;
    std::set<std::uint8_t> known_functs_;
    sc_core::sc_fifo<RoccCommand> commands_;
    sc_core::sc_fifo<RoccResponse> responses_;

    std::vector<std::unique_ptr<Pending>> bursts_;
    std::array<Side, 2> sides_;  // 0: W side, 1: U side
    PortTimeline w_slots_;       // fast mode: W-side slots planned so far
    sc_core::sc_event work_;
    std::array<std::uint64_t, kPortUsers> words_{};
    std::shared_ptr<const std::vector<PaceRun>> checked_pace_;  // the last shared pace found to cover its burst
    std::uint64_t checked_words_ = 0;
    // The memory's last DMI answer: a window granted, or a range where it is denied.
    tlm::tlm_dmi dmi_;
    bool dmi_known_ = false;
    bool dmi_granted_ = false;
    bool viewed_ = false;  // views into the window were handed out
    std::unique_ptr<PortCycleTrace> port_cycles_;
};

}  // namespace elstm
