#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "dram/dram.hpp"
#include "rocc/rocc_channel.hpp"
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

// A DRAM, a channel in one timing mode, and a thread posting the scenario's bursts.
struct Rig {
    sim::Clock clock;
    Dram dram;
    RoccChannel rocc;
    std::array<std::uint64_t, 64> w{}, u{}, u2{};
    std::vector<BurstTiming> timings;
    std::unique_ptr<test::Thread> w_thread, u_thread;

    Rig(const char* name, PortTiming timing, Cycles latency)
        : dram((std::string(name) + "_dram").c_str(), dram_config(latency), clock),
          rocc((std::string(name) + "_rocc").c_str(), channel_config(timing, latency), clock, {0}) {
        rocc.mem.bind(dram.socket);
        for (std::uint64_t i = 0; i < 16; ++i) dram.write_backdoor(kBase + 8 * i, &i, 8);
        timings.resize(3);
        // W side: one eSELL block, a head then 3 value words held 3 cycles each.
        w_thread = std::make_unique<test::Thread>((std::string(name) + "_w").c_str(), [this] {
            timings[0] = rocc.wait_done(rocc.post(read_burst(PortUser::w, kBase, 4, w.data(), {{1, 1}, {3, 3}})));
        });
        // U side: 6 words back to back, then 2 more queued behind them.
        u_thread = std::make_unique<test::Thread>((std::string(name) + "_u").c_str(), [this] {
            const BurstId a = rocc.post(read_burst(PortUser::u, kBase + 32, 6, u.data()));
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
    static RoccChannelConfig channel_config(PortTiming timing, Cycles latency) {
        RoccChannelConfig c;
        c.timing = timing;
        c.memory_latency = latency;
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
