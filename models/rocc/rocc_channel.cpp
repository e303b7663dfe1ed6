#include <elstm_vp/rocc/rocc_channel.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <sstream>

#include <elstm_vp/numeric/hex.hpp>

namespace elstm {

using sim::Cycles;

namespace {

std::uint64_t burst_words(const Burst& b) {
    std::uint64_t n = 0;
    for (const MemRegion& r : b.regions) n += r.words;
    return n;
}

// A posted burst's pace (post moves `pace` into `shared_pace`); empty: one cycle per word.
const std::vector<PaceRun>& pace_of(const Burst& b) {
    static const std::vector<PaceRun> none;
    return b.shared_pace ? *b.shared_pace : none;
}

}  // namespace

RoccChannel::RoccChannel(sc_core::sc_module_name name, const RoccChannelConfig& config,
                         sim::Clock clock, std::set<std::uint8_t> known_functs)
    : sc_module(name),
      mem("mem"),
      w_side("w_side", clock),
      u_side("u_side", clock),
      owner("owner"),
      words_moved("words_moved", clock),
      config_(config),
      clock_(clock),
      known_functs_(std::move(known_functs)),
      commands_("commands", static_cast<int>(std::max<std::size_t>(1, config.command_queue))),
      responses_("responses", 4) {
    mem.register_invalidate_direct_mem_ptr(this, &RoccChannel::invalidate_dmi);
    SC_HAS_PROCESS(RoccChannel);
    SC_METHOD(update_owner);
    sensitive << w_side.signal << u_side.signal;
    if (config_.timing == PortTiming::exact) SC_THREAD(arbiter);
    if (config_.trace_port_cycles) port_cycles_ = std::make_unique<PortCycleTrace>("port_cycles", clock);
}

void RoccChannel::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, owner, prefix + ".owner");
    sc_core::sc_trace(file, w_side.signal, prefix + ".w_side");
    sc_core::sc_trace(file, u_side.signal, prefix + ".u_side");
    sc_core::sc_trace(file, words_moved.signal, prefix + ".words");
    if (port_cycles_) sc_core::sc_trace(file, port_cycles_->port, prefix + ".port");
}

bool RoccChannel::issue(const RoccCommand& cmd) {
    // The E-LSTM co-processor sits on custom-0.
    if (cmd.opcode != 0 || !known_functs_.count(cmd.funct)) return false;
    commands_.write(cmd);
    return true;
}

RoccResponse RoccChannel::wait_response() { return responses_.read(); }
RoccCommand RoccChannel::next_command() { return commands_.read(); }
void RoccChannel::respond(const RoccResponse& resp) { responses_.write(resp); }

std::uint64_t RoccChannel::total_words() const {
    return std::accumulate(words_.begin(), words_.end(), std::uint64_t{0});
}

RoccChannel::Pending& RoccChannel::pending(BurstId id) {
    if (id >= bursts_.size()) SC_REPORT_ERROR(name(), ("unknown burst id " + std::to_string(id)).c_str());
    return *bursts_[id];
}

Cycles RoccChannel::start_of(const Side& side, const Pending& p) const {
    Cycles start = std::max(p.posted, p.burst.not_before);
    if (side.any) start = std::max(start, side.last_slot + 1);
    return start;
}

BurstId RoccChannel::post(Burst burst) {
    const std::uint64_t words = burst_words(burst);
    if (!burst.pace.empty()) {
        if (burst.shared_pace) SC_REPORT_ERROR(name(), "a burst has both a pace and a shared pace");
        burst.shared_pace = std::make_shared<const std::vector<PaceRun>>(std::move(burst.pace));
    }
    if (!pace_of(burst).empty()) {
        // A shared pace is checked once, not for every burst that brings it again.
        if (burst.shared_pace != checked_pace_) {
            checked_pace_ = burst.shared_pace;
            checked_words_ = paced_words(*checked_pace_);
        }
        if (checked_words_ != words) SC_REPORT_ERROR(name(), "a burst's pace does not cover its words");
    }
    if (words > 0 && burst.data == nullptr && !burst.in_place) SC_REPORT_ERROR(name(), "a burst has no data buffer");
    if (burst.in_place && burst.write) SC_REPORT_ERROR(name(), "a write burst cannot be in place");
    for (const MemRegion& r : burst.regions) {
        if (r.addr % 8 != 0)
            SC_REPORT_ERROR(name(), ("a burst region at " + hex(r.addr) + " is not 8-byte aligned").c_str());
        else if (burst.in_place && r.words > 0 && !view(r.addr, r.words))
            SC_REPORT_ERROR(name(), ("in-place read of " + std::to_string(r.words) + " words at " + hex(r.addr) +
                                     ": the memory grants no direct access there").c_str());
    }

    const BurstId id = bursts_.size();
    bursts_.push_back(std::make_unique<Pending>());
    Pending& p = *bursts_.back();
    p.burst = std::move(burst);
    p.posted = clock_.now();
    words_[static_cast<int>(p.burst.user)] += words;

    Side& side = sides_[is_w_side(p.burst.user) ? 0 : 1];
    if (config_.timing == PortTiming::fast) {
        plan_fast(p);
    } else if (words == 0 && side.queue.empty()) {
        // Nothing to move and nothing ahead of it: done now, as in the fast mode.
        const Cycles start = start_of(side, p);
        p.timing = {start, start, start, start};
        p.timed = true;
    } else {
        side.queue.push_back(id);
        work_.notify(sc_core::SC_ZERO_TIME);
    }
    return id;
}

void RoccChannel::plan_fast(Pending& p) {
    const bool w = is_w_side(p.burst.user);
    Side& side = sides_[w ? 0 : 1];
    const std::uint64_t words = burst_words(p.burst);
    const Cycles start = start_of(side, p);
    if (words == 0) {
        // Nothing to move (every block pruned): done once its turn on the side comes.
        p.timing = {start, start, start, start};
        p.timed = true;
        return;
    }
    // The data move first: a memory slower than planned delays the burst's first slot.
    const Cycles eligible = first_eligible(start) + transfer(p, 0, words, start);
    w_slots_.forget_before(clock_.now());

    PortTimeline::SlotRuns slots;
    if (port_cycles_) {
        slots = [this, user = p.burst.user](Cycles from, Cycles to) { port_cycles_->slots(user, from, to); };
    }
    PortTimeline::Placement at;
    if (w) {
        at = w_slots_.place(eligible, p.burst.shared_pace, words, slots);
        // The U side never plans ahead of the W side's plans: its bursts wait on data the
        // W side produces. A W burst landing under planned U slots would be a controller bug.
        if (sides_[1].any && sides_[1].last_slot >= at.first)
            SC_REPORT_ERROR(name(), "fast timing: a W-side burst was planned under planned U-side slots");
    } else {
        at = w_slots_.place_in_free(eligible, pace_of(p.burst), words, slots);
    }
    p.timing = {start, at.first, at.last, at.done};
    side.last_slot = at.last;
    side.any = true;
    trace_burst(p);
    if (p.burst.on_first_slot) p.burst.on_first_slot(at.first);
    release(p);
    p.timed = true;
}

void RoccChannel::trace_burst(const Pending& p) {
    sim::TimedValue<std::uint8_t>& sig = is_w_side(p.burst.user) ? w_side : u_side;
    sig.set_at(p.timing.first_slot, static_cast<std::uint8_t>(p.burst.user));
    sig.set_at(p.timing.last_slot + 1, static_cast<std::uint8_t>(PortUser::idle));
    words_moved.add_at(p.timing.last_slot + 1, static_cast<std::int64_t>(burst_words(p.burst)));
}

// Moves words [first_word, first_word + count) of the burst through the memory socket, one
// transaction per contiguous piece, annotated with the cycle `at` it is requested. An in-place
// read names the words' own bytes as its destination, which the memory does not copy. The plan
// gives a piece of n words memory_latency + n cycles; a target annotating more (a queue, another
// master) delays the burst by the most any piece overran.
Cycles RoccChannel::transfer(Pending& p, std::uint64_t first_word, std::uint64_t count, Cycles at) {
    std::uint64_t skip = first_word;
    std::uint64_t done = 0;
    Cycles overrun = 0;
    for (const MemRegion& r : p.burst.regions) {
        if (done == count) break;
        if (skip >= r.words) {
            skip -= r.words;
            continue;
        }
        const std::uint64_t n = std::min(r.words - skip, count - done);
        const std::uint64_t addr = r.addr + 8 * skip;
        tlm::tlm_generic_payload trans;
        trans.set_command(p.burst.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
        trans.set_address(addr);
        trans.set_data_ptr(p.burst.in_place ? direct(addr, 8 * n)
                                            : reinterpret_cast<unsigned char*>(p.burst.data + first_word + done));
        trans.set_data_length(static_cast<unsigned int>(8 * n));
        trans.set_streaming_width(static_cast<unsigned int>(8 * n));
        trans.set_byte_enable_ptr(nullptr);
        trans.set_dmi_allowed(false);
        trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        const sc_core::sc_time requested = clock_.time(at > clock_.now() ? at - clock_.now() : 0);
        sc_core::sc_time delay = requested;
        mem->b_transport(trans, delay);
        if (trans.is_response_error()) {
            const std::string msg = std::string("bus error: ") + (p.burst.write ? "write" : "read") + " of " +
                                    std::to_string(8 * n) + " bytes at " + hex(addr) + " for " +
                                    port_user_name(p.burst.user) + ": " + trans.get_response_string();
            SC_REPORT_ERROR(name(), msg.c_str());
            return overrun;
        }
        const Cycles taken = delay > requested ? clock_.cycles(delay - requested) : 0;
        overrun = std::max(overrun, taken > config_.memory_latency + n ? taken - config_.memory_latency - n : 0);
        done += n;
        skip = 0;
    }
    return overrun;
}

BurstTiming RoccChannel::wait_done(BurstId id) {
    Pending& p = pending(id);
    while (!p.timed) sc_core::wait(p.timed_event);
    clock_.wait_until(p.timing.done);
    return p.timing;
}

void RoccChannel::peek(std::uint64_t addr, std::uint64_t words, std::uint64_t* out) {
    // Through DMI where granted: zero time and uncounted as the debug transport, without its
    // calls through the bus for each of the controller's many one-word reads.
    if (words > 0) {
        if (const unsigned char* src = direct(addr, 8 * words)) {
            std::memcpy(out, src, 8 * words);
            return;
        }
    }
    tlm::tlm_generic_payload trans;
    trans.set_command(tlm::TLM_READ_COMMAND);
    trans.set_address(addr);
    trans.set_data_ptr(reinterpret_cast<unsigned char*>(out));
    trans.set_data_length(static_cast<unsigned int>(8 * words));
    trans.set_streaming_width(static_cast<unsigned int>(8 * words));
    if (mem->transport_dbg(trans) == 8 * words) return;
    // A target without a debug transport (it returns 0): a blocking read at zero time instead,
    // its annotated delay dropped, as the debug read's would be.
    trans.set_byte_enable_ptr(nullptr);
    trans.set_dmi_allowed(false);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time ignored = sc_core::SC_ZERO_TIME;
    mem->b_transport(trans, ignored);
    if (!trans.is_response_ok())
        SC_REPORT_ERROR(name(), ("bus error: debug read of " + std::to_string(8 * words) + " bytes at " +
                                 hex(addr) + " is outside memory").c_str());
}

const std::uint64_t* RoccChannel::view(std::uint64_t addr, std::uint64_t words) {
    if (addr % 8 != 0) SC_REPORT_ERROR(name(), ("a view at " + hex(addr) + " is not 8-byte aligned").c_str());
    const unsigned char* p = direct(addr, 8 * std::max<std::uint64_t>(words, 1));
    if (p) viewed_ = true;
    return reinterpret_cast<const std::uint64_t*>(p);
}

unsigned char* RoccChannel::direct(std::uint64_t addr, std::uint64_t bytes) {
    if (bytes - 1 > ~std::uint64_t{0} - addr) return nullptr;  // wraps around the address space
    if (!dmi_known_ || addr < dmi_.get_start_address() || addr > dmi_.get_end_address()) {
        tlm::tlm_generic_payload trans;
        trans.set_command(tlm::TLM_READ_COMMAND);
        trans.set_address(addr);
        dmi_.init();
        dmi_granted_ = mem->get_direct_mem_ptr(trans, dmi_) && dmi_.is_read_allowed();
        dmi_known_ = true;
    }
    if (!dmi_granted_ || addr < dmi_.get_start_address() || addr + (bytes - 1) > dmi_.get_end_address())
        return nullptr;
    return dmi_.get_dmi_ptr() + (addr - dmi_.get_start_address());
}

// Views handed out cannot be called back, so revoking their window is fatal (as for the core).
void RoccChannel::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
    if (!dmi_known_ || start > dmi_.get_end_address() || end < dmi_.get_start_address()) return;
    if (dmi_granted_ && viewed_) SC_REPORT_FATAL(name(), "the memory revoked the DMI window of in-place reads");
    dmi_known_ = false;
}

// Exact mode: one grant per cycle. The W side wins whenever its next word is eligible;
// otherwise the U side's next word, if eligible, takes the slot.
void RoccChannel::arbiter() {
    for (;;) {
        const Cycles now = clock_.now();
        Cycles earliest = ~Cycles{0};
        bool completed_empty = false;
        for (Side& side : sides_) {
            if (side.queue.empty()) continue;
            Pending& head = pending(side.queue.front());
            if (side.word == 0 && !side.started) {
                side.started = true;
                head.timing.start = start_of(side, head);
                side.eligible = first_eligible(head.timing.start);
                side.run = 0;
                side.run_word = 0;
            }
            if (burst_words(head.burst) == 0) {
                complete_empty(side);
                completed_empty = true;
                break;
            }
            earliest = std::min(earliest, side.eligible);
        }
        if (completed_empty) continue;
        if (earliest == ~Cycles{0}) {
            sc_core::wait(work_);
            continue;
        }
        if (earliest > now) {
            sc_core::wait(clock_.time(earliest - now), work_);
            continue;
        }
        Side& side = sides_[0].queue.empty() || sides_[0].eligible > now ? sides_[1] : sides_[0];
        grant(side, now);
        sc_core::wait(clock_.period());
    }
}

void RoccChannel::grant(Side& side, Cycles now) {
    Pending& p = pending(side.queue.front());
    const std::uint64_t words = burst_words(p.burst);
    if (side.word == 0) {
        p.timing.first_slot = now;
        (is_w_side(p.burst.user) ? w_side : u_side).set_now(static_cast<std::uint8_t>(p.burst.user));
        if (p.burst.on_first_slot) p.burst.on_first_slot(now);
    }
    const Cycles overrun = transfer(p, side.word, 1, now);
    if (port_cycles_) port_cycles_->slots(p.burst.user, now, now);
    Cycles pace = 1;
    const std::vector<PaceRun>& runs = pace_of(p.burst);
    if (!runs.empty()) {
        while (runs[side.run].words == side.run_word) ++side.run, side.run_word = 0;
        pace = runs[side.run].cycles;
        ++side.run_word;
    }
    // A memory slower than planned holds the port until its word arrives.
    pace += overrun;
    side.eligible = now + pace;
    if (++side.word < words) return;

    p.timing.last_slot = now;
    p.timing.done = now + pace;
    (is_w_side(p.burst.user) ? w_side : u_side).set_at(now + 1, static_cast<std::uint8_t>(PortUser::idle));
    words_moved.add_at(now + 1, static_cast<std::int64_t>(words));
    side.last_slot = now;
    side.any = true;
    side.word = 0;
    side.started = false;
    side.queue.pop_front();
    release(p);
    p.timed = true;
    p.timed_event.notify(sc_core::SC_ZERO_TIME);
}

// A served burst keeps only its timing: a W stream's pace alone is megabytes.
void RoccChannel::release(Pending& p) {
    Burst emptied;
    emptied.user = p.burst.user;
    p.burst = std::move(emptied);
}

void RoccChannel::complete_empty(Side& side) {
    Pending& p = pending(side.queue.front());
    const Cycles start = p.timing.start;
    p.timing = {start, start, start, start};
    side.started = false;
    side.queue.pop_front();
    p.timed = true;
    p.timed_event.notify(sc_core::SC_ZERO_TIME);
}

void RoccChannel::update_owner() {
    const std::uint8_t w = w_side.signal.read();
    const std::uint8_t u = u_side.signal.read();
    owner.write(w && u ? kPortShared : (w ? w : u));
}

}  // namespace elstm
