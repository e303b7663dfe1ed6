#pragma once
#include <systemc>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

#include <elstm_vp/sim/clock.hpp>

// The RoCC interface between the CPU (or a test-bench driver) and the accelerator
// (docs/design.md §3): a command/response path and the accelerator's 64-bit data path to memory.
namespace elstm {

struct RoccCommand {
    std::uint8_t funct = 0;  // funct7: the command
    std::uint64_t rs1 = 0;
    std::uint64_t rs2 = 0;
    std::uint8_t rd = 0;
    bool xd = false;         // the core waits for a response written to rd
    std::uint8_t opcode = 0; // custom-0..3: which co-processor slot the instruction addresses
};

struct RoccResponse {
    std::uint8_t rd = 0;
    std::uint64_t data = 0;
};

// sc_fifo prints its contents on request, so both need a stream operator.
inline std::ostream& operator<<(std::ostream& os, const RoccCommand& c) {
    return os << "funct " << unsigned(c.funct) << " rs1 " << c.rs1 << " rs2 " << c.rs2 << " rd " << unsigned(c.rd)
              << (c.xd ? " xd" : "");
}
inline std::ostream& operator<<(std::ostream& os, const RoccResponse& r) {
    return os << "rd " << unsigned(r.rd) << " = " << r.data;
}

// The core's side.
class RoccCoreIf : public virtual sc_core::sc_interface {
public:
    // False (and nothing queued) if no accelerator sits on cmd.opcode's custom slot or it does
    // not implement cmd.funct: the core then raises an illegal-instruction trap. Blocks while
    // the command queue is full.
    virtual bool issue(const RoccCommand& cmd) = 0;
    virtual RoccResponse wait_response() = 0;
};

// The accelerator's command side.
class RoccAccelIf : public virtual sc_core::sc_interface {
public:
    virtual RoccCommand next_command() = 0;  // blocks until a command arrives
    virtual void respond(const RoccResponse& resp) = 0;
};

// Who holds the data port. W-side users (x, bias, table, W) have strict priority over the
// U side (U, store): the W stream is paced by its PEs and the U stream fills the free slots.
enum class PortUser : std::uint8_t { idle = 0, x = 1, bias = 2, table = 3, w = 4, u = 5, store = 6 };
constexpr int kPortUsers = 7;
const char* port_user_name(PortUser user);
inline bool is_w_side(PortUser user) { return user != PortUser::u && user != PortUser::store; }
// Port owner code while both sides move words (W and U interleaved).
constexpr std::uint8_t kPortShared = 7;

struct MemRegion {
    std::uint64_t addr = 0;   // 8-byte aligned
    std::uint64_t words = 0;  // 64-bit words
};

// The consumer holds each of `words` words for `cycles` cycles before it takes the next one.
struct PaceRun {
    std::uint64_t words = 0;
    std::uint32_t cycles = 1;
};

struct BurstTiming {
    sim::Cycles start = 0;       // the burst's memory request
    sim::Cycles first_slot = 0;  // cycle its first word crosses the port
    sim::Cycles last_slot = 0;   // cycle its last word crosses the port
    sim::Cycles done = 0;        // consumer finished with the last word (last_slot + its pace)
};

// A burst of words between memory and the accelerator through the port. The regions are
// walked in order; `data` holds Σ words (filled on a read, sent on a write).
struct Burst {
    PortUser user = PortUser::idle;
    bool write = false;
    std::vector<MemRegion> regions;
    std::uint64_t* data = nullptr;
    // A read in place: timed and counted as any read, but nothing is copied (`data` is not
    // used); the consumer reads the words where they sit through RoccDataIf::view. For words
    // nobody writes while they are in use (weights): a copying burst takes its words when
    // it is posted (fast timing) or word by word (exact), a view shows memory as it is.
    bool in_place = false;
    std::vector<PaceRun> pace;      // empty: one cycle per word; must cover every word otherwise
    // Instead of `pace` (then empty): a pace list several bursts share, neither copied nor
    // freed per burst (the W stream of every full batch of a layer; megabytes).
    std::shared_ptr<const std::vector<PaceRun>> shared_pace;
    sim::Cycles not_before = 0;     // earliest cycle of the memory request
    // Called once the cycle of the first slot is known (at post in fast mode, at the grant in
    // exact mode; never in the past), so the consumer can plan its trace.
    std::function<void(sim::Cycles first_slot)> on_first_slot;
};

using BurstId = std::uint64_t;

// The accelerator's data side.
class RoccDataIf : public virtual sc_core::sc_interface {
public:
    // Queues the burst behind earlier bursts of its side. It starts at
    // max(now, previous burst's last slot + 1, not_before), its first word may cross the port
    // 1 + `memory latency` cycles later, and word i+1 no earlier than its pace after word i.
    virtual BurstId post(Burst burst) = 0;
    // Blocks until the burst is done (its data then valid) and returns its timing.
    virtual BurstTiming wait_done(BurstId id) = 0;
    // Zero-time debug read (TLM debug transport): how the controller sizes a self-delimiting
    // eSELL stream before streaming it. A failed read is a model error naming the address.
    virtual void peek(std::uint64_t addr, std::uint64_t words, std::uint64_t* out) = 0;
    // Where `words` words at `addr` (8-byte aligned) sit in memory, for in-place bursts; null
    // if the memory grants no direct read access there (then copy them with a burst). Valid
    // for the whole simulation: the memory may not revoke the access once a view is out.
    virtual const std::uint64_t* view(std::uint64_t addr, std::uint64_t words) = 0;
};

}  // namespace elstm
