#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <memory>
#include <vector>

#include <tlm_utils/simple_target_socket.h>

#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>
#include "sim_helpers.hpp"

namespace elstm {
namespace {

using sim::Cycles;
constexpr std::uint64_t kBase = 0x80000000ull;

Burst read_burst(PortUser user, std::uint64_t addr, std::uint64_t words, std::uint64_t* data,
                 std::vector<PaceRun> pace = {}) {
    Burst b;
    b.user = user;
    b.regions = {{addr, words}};
    b.data = data;
    b.pace = std::move(pace);
    return b;
}

// A read of the words where they sit in DRAM (no data buffer).
Burst in_place_burst(PortUser user, std::uint64_t addr, std::uint64_t words, std::vector<PaceRun> pace = {}) {
    Burst b = read_burst(user, addr, words, nullptr, std::move(pace));
    b.in_place = true;
    return b;
}

// A DRAM, a channel in one timing mode, and a thread posting the scenario's bursts (W and U
// copied into w and u, or read in place).
struct Rig {
    sim::Clock clock;
    Dram dram;
    RoccChannel rocc;
    std::array<std::uint64_t, 64> w{}, u{}, u2{};
    std::vector<BurstTiming> timings;
    std::unique_ptr<test::Thread> w_thread, u_thread;

    Rig(const char* name, PortTiming timing, Cycles latency, bool in_place = false, bool port_cycles = false)
        : dram((std::string(name) + "_dram").c_str(), dram_config(latency), clock),
          rocc((std::string(name) + "_rocc").c_str(), channel_config(timing, latency, port_cycles), clock, {0}) {
        rocc.mem.bind(dram.socket);
        for (std::uint64_t i = 0; i < 16; ++i) dram.write_backdoor(kBase + 8 * i, &i, 8);
        timings.resize(3);
        // W side: one eSELL block, a head then 3 value words held 3 cycles each.
        w_thread = std::make_unique<test::Thread>((std::string(name) + "_w").c_str(), [this, in_place] {
            const std::vector<PaceRun> pace{{1, 1}, {3, 3}};
            timings[0] = rocc.wait_done(rocc.post(in_place ? in_place_burst(PortUser::w, kBase, 4, pace)
                                                           : read_burst(PortUser::w, kBase, 4, w.data(), pace)));
        });
        // U side: 6 words back to back, then 2 more queued behind them.
        u_thread = std::make_unique<test::Thread>((std::string(name) + "_u").c_str(), [this, in_place] {
            const BurstId a = rocc.post(in_place ? in_place_burst(PortUser::u, kBase + 32, 6)
                                                 : read_burst(PortUser::u, kBase + 32, 6, u.data()));
            const BurstId b = rocc.post(read_burst(PortUser::store, kBase + 80, 2, u2.data()));
            timings[1] = rocc.wait_done(a);
            timings[2] = rocc.wait_done(b);
        });
    }
    static DramConfig dram_config(Cycles latency) {
        DramConfig c;
        c.size = 4096;
        c.latency = latency;
        return c;
    }
    static RoccChannelConfig channel_config(PortTiming timing, Cycles latency, bool port_cycles = false) {
        RoccChannelConfig c;
        c.timing = timing;
        c.memory_latency = latency;
        c.trace_port_cycles = port_cycles;
        return c;
    }
};

void expect_timing(const BurstTiming& t, Cycles start, Cycles first, Cycles last, Cycles done) {
    EXPECT_EQ(t.start, start);
    EXPECT_EQ(t.first_slot, first);
    EXPECT_EQ(t.last_slot, last);
    EXPECT_EQ(t.done, done);
}

// Both timing modes side by side in one simulation. With latency 0, a burst requested in
// cycle 0 moves its first word in cycle 1. W takes 1, 2, 5, 8 (its PE holds each value word
// 3 cycles); U fills 3, 4, 6, 7, 9, 10; the queued store starts at 11 and moves at 12, 13.
TEST(RoccChannel, WPacesAndUFillsTheGapsInBothModes) {
    Rig fast("fast", PortTiming::fast, 0), exact("exact", PortTiming::exact, 0);
    sc_core::sc_start();
    for (Rig* r : {&fast, &exact}) {
        SCOPED_TRACE(r->rocc.name());
        expect_timing(r->timings[0], 0, 1, 8, 11);
        expect_timing(r->timings[1], 0, 3, 10, 11);
        expect_timing(r->timings[2], 11, 12, 13, 14);
        EXPECT_EQ(r->w[3], 3u);  // data really came from DRAM
        EXPECT_EQ(r->u[5], 9u);
        EXPECT_EQ(r->rocc.words(PortUser::w), 4u);
        EXPECT_EQ(r->rocc.words(PortUser::u), 6u);
        EXPECT_EQ(r->rocc.total_words(), 12u);
    }
}

// 30 cycles of DRAM latency delay each burst's first word by 30 more cycles.
TEST(RoccChannel, MemoryLatencyDelaysTheFirstWord) {
    Rig fast("fast", PortTiming::fast, 30), exact("exact", PortTiming::exact, 30);
    sc_core::sc_start();
    for (Rig* r : {&fast, &exact}) {
        SCOPED_TRACE(r->rocc.name());
        expect_timing(r->timings[0], 0, 31, 38, 41);
        expect_timing(r->timings[1], 0, 33, 40, 41);
        expect_timing(r->timings[2], 41, 72, 73, 74);
    }
}

TEST(RoccChannel, OwnerTraceShowsTheInterleave) {
    Rig fast("fast", PortTiming::fast, 0);
    test::ChangeLog<std::uint8_t> owner("owner", fast.rocc.owner, fast.clock);
    sc_core::sc_start();
    using E = test::ChangeLog<std::uint8_t>::Entry;
    // W alone at 1–2, both sides 3–8, U alone 9–10, idle at 11, store 12–13, idle at 14.
    const std::vector<E> want{{1, 4}, {3, kPortShared}, {9, 5}, {11, 0}, {12, 6}, {14, 0}};
    EXPECT_EQ(owner.changes, want);
}

// A signal's changes as a VCD records them: its value once each cycle's delta cycles are
// over (within a cycle the exact arbiter may first end a word's slot, then grant the next).
std::vector<std::pair<Cycles, std::uint8_t>> settled(const std::vector<std::pair<Cycles, std::uint8_t>>& changes) {
    std::vector<std::pair<Cycles, std::uint8_t>> out;
    for (const auto& c : changes) {
        if (!out.empty() && out.back().first == c.first) out.pop_back();
        if (out.empty() || out.back().second != c.second) out.push_back(c);
    }
    return out;
}

// trace.port: cycle. The scenario's slots word by word (as in WPacesAndUFillsTheGapsInBothModes):
// W at 1, 2, 5, 8, though U is eligible from cycle 1 too; U in 3, 4, 6, 7, 9, 10; the store
// at 12, 13. One user per cycle, in both modes alike.
TEST(RoccChannel, PortCycleTraceShowsEveryWordAtItsSlot) {
    Rig fast("fast", PortTiming::fast, 0, false, true), exact("exact", PortTiming::exact, 0, false, true);
    ASSERT_NE(fast.rocc.port_cycles(), nullptr);
    test::ChangeLog<std::uint8_t> fast_port("fast_port", fast.rocc.port_cycles()->port, fast.clock);
    test::ChangeLog<std::uint8_t> exact_port("exact_port", exact.rocc.port_cycles()->port, exact.clock);
    sc_core::sc_start();
    using E = test::ChangeLog<std::uint8_t>::Entry;
    const std::uint8_t w = 4, u = 5, store = 6;
    const std::vector<E> want{{1, w}, {3, u}, {5, w}, {6, u}, {8, w}, {9, u}, {11, 0}, {12, store}, {14, 0}};
    EXPECT_EQ(fast_port.changes, want);
    EXPECT_EQ(settled(exact_port.changes), want);
}

TEST(RoccChannel, NoPortCycleTraceByDefault) {
    Rig fast("fast", PortTiming::fast, 0);
    EXPECT_EQ(fast.rocc.port_cycles(), nullptr);
}

// In place, the same bursts take the same slots and the DRAM serves and counts the same
// accesses; nothing is copied, and the words are read where they sit.
TEST(RoccChannel, InPlaceReadsAreTimedAndCountedAsCopies) {
    Rig copy("copy", PortTiming::fast, 30), fast("fast", PortTiming::fast, 30, true),
        exact("exact", PortTiming::exact, 30, true);
    sc_core::sc_start();
    for (Rig* r : {&fast, &exact}) {
        SCOPED_TRACE(r->rocc.name());
        expect_timing(r->timings[0], 0, 31, 38, 41);
        expect_timing(r->timings[1], 0, 33, 40, 41);
        expect_timing(r->timings[2], 41, 72, 73, 74);
        EXPECT_EQ(r->w[3], 0u);  // no copy
        const std::uint64_t* u = r->rocc.view(kBase + 32, 6);
        ASSERT_NE(u, nullptr);
        EXPECT_EQ(u[5], 9u);
        EXPECT_EQ(r->rocc.words(PortUser::u), 6u);
    }
    EXPECT_EQ(fast.dram.bytes_read(), copy.dram.bytes_read());
    EXPECT_EQ(fast.dram.accesses(), copy.dram.accesses());
    EXPECT_EQ(exact.dram.bytes_read(), copy.dram.bytes_read());
}

// One pace list shared by back-to-back W bursts (a layer's batches): the second starts after
// the first's last slot (8) and is paced the same: 10, 11, 14, 17.
TEST(RoccChannel, ASharedPaceServesEveryBurstThatBringsIt) {
    sim::Clock clock;
    Dram fast_dram("fast_dram", Rig::dram_config(0), clock), exact_dram("exact_dram", Rig::dram_config(0), clock);
    RoccChannel fast("fast", Rig::channel_config(PortTiming::fast, 0), clock, {0});
    RoccChannel exact("exact", Rig::channel_config(PortTiming::exact, 0), clock, {0});
    fast.mem.bind(fast_dram.socket);
    exact.mem.bind(exact_dram.socket);
    const auto pace = std::make_shared<const std::vector<PaceRun>>(std::vector<PaceRun>{{1, 1}, {3, 3}});
    std::array<std::array<BurstTiming, 2>, 2> timing{};
    const auto run = [&](RoccChannel& rocc, std::array<BurstTiming, 2>& out) {
        BurstId id[2];
        for (BurstId& b : id) {
            Burst w = in_place_burst(PortUser::w, kBase, 4);
            w.shared_pace = pace;
            b = rocc.post(std::move(w));
        }
        for (int i = 0; i < 2; ++i) out[i] = rocc.wait_done(id[i]);
    };
    test::Thread tf("tf", [&] { run(fast, timing[0]); }), te("te", [&] { run(exact, timing[1]); });
    std::string both;
    test::Thread tb("tb", [&] {
        Burst w = in_place_burst(PortUser::w, kBase, 4, {{4, 1}});
        w.shared_pace = pace;
        both = test::report_of([&] { fast.post(std::move(w)); });
    });
    sc_core::sc_start();
    for (const auto& mode : timing) {
        expect_timing(mode[0], 0, 1, 8, 11);
        expect_timing(mode[1], 9, 10, 17, 20);
    }
    EXPECT_EQ(both, "fast: a burst has both a pace and a shared pace");
}

TEST(RoccChannel, InPlaceNeedsAReadFromDirectlyAccessibleMemory) {
    sim::Clock clock;
    Dram dram("dram", Rig::dram_config(0), clock);
    RoccChannel rocc("rocc", RoccChannelConfig{}, clock, {0});
    rocc.mem.bind(dram.socket);
    std::string write, outside;
    bool view_past_end = true;
    test::Thread t("t", [&] {
        Burst w = in_place_burst(PortUser::store, kBase, 2);
        w.write = true;
        write = test::report_of([&] { rocc.post(std::move(w)); });
        outside = test::report_of([&] { rocc.post(in_place_burst(PortUser::u, kBase + 4088, 2)); });
        view_past_end = rocc.view(kBase + 4088, 2) != nullptr;
    });
    sc_core::sc_start();
    EXPECT_EQ(write, "rocc: a write burst cannot be in place");
    EXPECT_EQ(outside, "rocc: in-place read of 2 words at 0x80000ff8: the memory grants no direct access there");
    EXPECT_FALSE(view_past_end);
}

// The controller's debug reads: through DMI inside the DRAM, a bus error outside it.
TEST(RoccChannel, PeekReadsMemoryInZeroTime) {
    sim::Clock clock;
    Dram dram("dram", Rig::dram_config(30), clock);
    RoccChannel rocc("rocc", RoccChannelConfig{}, clock, {0});
    rocc.mem.bind(dram.socket);
    for (std::uint64_t i = 0; i < 4; ++i) dram.write_backdoor(kBase + 8 * i, &i, 8);
    std::array<std::uint64_t, 3> got{};
    std::string outside;
    test::Thread t("t", [&] {
        rocc.peek(kBase + 8, 3, got.data());
        outside = test::report_of([&] { rocc.peek(kBase + 4088, 2, got.data()); });
    });
    sc_core::sc_start();
    EXPECT_EQ(got, (std::array<std::uint64_t, 3>{1, 2, 3}));
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
    EXPECT_EQ(dram.accesses(), 0u);
    EXPECT_EQ(outside, "rocc: bus error: debug read of 16 bytes at 0x80000ff8 is outside memory");
}

// A user's memory target: 64 words at kBase, each access annotated with one word per cycle
// plus `extra` cycles (a queue behind another master); no debug transport (it answers 0) and no DMI.
class SlowMemory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<SlowMemory, 64> socket;
    std::array<std::uint64_t, 64> words{};

    SlowMemory(sc_core::sc_module_name name, const sim::Clock& clock, Cycles extra)
        : sc_module(name), socket("socket"), clock_(clock), extra_(extra) {
        socket.register_b_transport(this, &SlowMemory::b_transport);
        for (std::uint64_t i = 0; i < words.size(); ++i) words[i] = 100 + i;
    }

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        const std::uint64_t offset = trans.get_address() - kBase;
        const unsigned len = trans.get_data_length();
        if (trans.get_address() < kBase || offset + len > 8 * words.size()) {
            trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        unsigned char* bytes = reinterpret_cast<unsigned char*>(words.data()) + offset;
        if (trans.is_read())
            std::memcpy(trans.get_data_ptr(), bytes, len);
        else
            std::memcpy(bytes, trans.get_data_ptr(), len);
        delay += clock_.time(len / 8 + extra_);
        trans.set_response_status(tlm::TLM_OK_RESPONSE);
    }

    sim::Clock clock_;
    Cycles extra_;
};

// A burst of 4 words requested in cycle 0 from a memory that annotates 5 cycles beyond the
// plan (latency 0, a word per cycle): the fast mode moves its words 5 cycles later (6..9,
// done 10 instead of 1..4, done 5); the exact mode, one transaction per word, holds the port
// 5 more cycles after each word (1, 7, 13, 19, done 25). Without the extra cycles both keep
// the plan.
TEST(RoccChannel, AMemorySlowerThanPlannedDelaysTheBurst) {
    sim::Clock clock;
    SlowMemory slow_fast("slow_fast", clock, 5), slow_exact("slow_exact", clock, 5);
    SlowMemory plain_fast("plain_fast", clock, 0), plain_exact("plain_exact", clock, 0);
    RoccChannel fast("fast", Rig::channel_config(PortTiming::fast, 0), clock, {0});
    RoccChannel exact("exact", Rig::channel_config(PortTiming::exact, 0), clock, {0});
    RoccChannel plain_f("plain_f", Rig::channel_config(PortTiming::fast, 0), clock, {0});
    RoccChannel plain_e("plain_e", Rig::channel_config(PortTiming::exact, 0), clock, {0});
    fast.mem.bind(slow_fast.socket);
    exact.mem.bind(slow_exact.socket);
    plain_f.mem.bind(plain_fast.socket);
    plain_e.mem.bind(plain_exact.socket);
    std::array<std::array<std::uint64_t, 4>, 4> data{};
    std::array<BurstTiming, 4> timing{};
    std::array<RoccChannel*, 4> channels{&fast, &exact, &plain_f, &plain_e};
    std::vector<std::unique_ptr<test::Thread>> threads;
    for (std::size_t i = 0; i < channels.size(); ++i)
        threads.push_back(std::make_unique<test::Thread>(("t" + std::to_string(i)).c_str(), [&, i] {
            timing[i] = channels[i]->wait_done(channels[i]->post(read_burst(PortUser::u, kBase + 8, 4, data[i].data())));
        }));
    sc_core::sc_start();
    expect_timing(timing[0], 0, 6, 9, 10);
    expect_timing(timing[1], 0, 1, 19, 25);
    expect_timing(timing[2], 0, 1, 4, 5);
    expect_timing(timing[3], 0, 1, 4, 5);
    for (const auto& d : data) EXPECT_EQ(d, (std::array<std::uint64_t, 4>{101, 102, 103, 104}));
}

// A memory without a debug transport: the controller's reads go by b_transport at zero time.
TEST(RoccChannel, PeekWorksWithoutADebugTransport) {
    sim::Clock clock;
    SlowMemory memory("memory", clock, 5);
    RoccChannel rocc("rocc", RoccChannelConfig{}, clock, {0});
    rocc.mem.bind(memory.socket);
    std::array<std::uint64_t, 3> got{};
    std::string outside;
    test::Thread t("t", [&] {
        rocc.peek(kBase + 16, 3, got.data());
        outside = test::report_of([&] { rocc.peek(kBase + 504, 2, got.data()); });
    });
    sc_core::sc_start();
    EXPECT_EQ(got, (std::array<std::uint64_t, 3>{102, 103, 104}));
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
    EXPECT_EQ(outside, "rocc: bus error: debug read of 16 bytes at 0x800001f8 is outside memory");
}

TEST(RoccChannel, UnknownFunctIsRejected) {
    sim::Clock clock;
    Dram dram("dram", Rig::dram_config(0), clock);
    RoccChannel rocc("rocc", RoccChannelConfig{}, clock, {0, 5});
    rocc.mem.bind(dram.socket);
    bool known = false, unknown = true, other_slot = true;
    test::Thread t("t", [&] {
        known = rocc.issue({5, 1, 2, 0, false, 0});
        unknown = rocc.issue({9, 1, 2, 0, false, 0});
        other_slot = rocc.issue({5, 1, 2, 0, false, 1});  // custom-1: no accelerator there
    });
    sc_core::sc_start();
    EXPECT_TRUE(known);
    EXPECT_FALSE(unknown);
    EXPECT_FALSE(other_slot);
}

TEST(RoccChannel, BusErrorNamesTheAddress) {
    sim::Clock clock;
    DramConfig dc;
    dc.size = 4096;
    Dram dram("dram", dc, clock);
    RoccChannel rocc("rocc", RoccChannelConfig{}, clock, {0});
    rocc.mem.bind(dram.socket);
    std::array<std::uint64_t, 4> buf{};
    std::string report;
    test::Thread t("t", [&] {
        report = test::report_of([&] { rocc.post(read_burst(PortUser::x, kBase + 4096, 2, buf.data())); });
    });
    sc_core::sc_start();
    EXPECT_NE(report.find("bus error: read of 16 bytes at 0x80001000"), std::string::npos) << report;
}

}  // namespace
}  // namespace elstm
