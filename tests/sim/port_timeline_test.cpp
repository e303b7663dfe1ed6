#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include <elstm_vp/rocc/port_timeline.hpp>

namespace elstm {
namespace {

std::shared_ptr<const std::vector<PaceRun>> runs(std::vector<PaceRun> pace) {
    return std::make_shared<const std::vector<PaceRun>>(std::move(pace));
}

// A W stream of one block: head (1 cycle) then 3 value words held 3 cycles each, from slot 1:
// slots 1, 2, 5, 8; the PE is done at 11.
TEST(PortTimeline, PlacesAPacedStream) {
    PortTimeline t;
    const auto p = t.place(1, runs({{1, 1}, {3, 3}}), 4);
    EXPECT_EQ(p.first, 1u);
    EXPECT_EQ(p.last, 8u);
    EXPECT_EQ(p.done, 11u);
    EXPECT_EQ(t.occupied_before(1), 0u);
    EXPECT_EQ(t.occupied_before(2), 1u);
    EXPECT_EQ(t.occupied_before(3), 2u);
    EXPECT_EQ(t.occupied_before(5), 2u);
    EXPECT_EQ(t.occupied_before(6), 3u);
    EXPECT_EQ(t.occupied_before(100), 4u);
    EXPECT_TRUE(t.occupied(5));
    EXPECT_FALSE(t.occupied(6));
}

TEST(PortTimeline, FreeSlotsFillTheGaps) {
    PortTimeline t;
    t.place(1, runs({{1, 1}, {3, 3}}), 4);  // occupies 1, 2, 5, 8
    // Free from 1: 3, 4, 6, 7, 9, 10, 11, ...
    EXPECT_EQ(t.nth_free(1, 1), 3u);
    EXPECT_EQ(t.nth_free(1, 3), 6u);
    EXPECT_EQ(t.nth_free(1, 6), 10u);
    EXPECT_EQ(t.nth_free(9, 1), 9u);
    EXPECT_EQ(t.nth_free(20, 5), 24u);
    const auto u = t.place_in_free(1, {}, 6);
    EXPECT_EQ(u.first, 3u);
    EXPECT_EQ(u.last, 10u);
    EXPECT_EQ(u.done, 11u);
}

TEST(PortTimeline, PacedFreePlacementSkipsOccupiedSlots) {
    PortTimeline t;
    t.place(4, nullptr, 3);  // 4, 5, 6
    // Words every 2 cycles from 3: 3, then 5 is taken → 7, then 9.
    const auto u = t.place_in_free(3, {{3, 2}}, 3);
    EXPECT_EQ(u.first, 3u);
    EXPECT_EQ(u.last, 9u);
    EXPECT_EQ(u.done, 11u);
}

TEST(PortTimeline, ForgetKeepsCounts) {
    PortTimeline t;
    t.place(0, runs({{2, 1}}), 2);     // 0, 1
    t.place(2, runs({{2, 1}}), 2);     // 2, 3
    t.place(10, runs({{3, 4}}), 3);    // 10, 14, 18
    EXPECT_EQ(t.occupied_before(19), 7u);
    t.forget_before(5);
    EXPECT_EQ(t.occupied_before(11) - t.occupied_before(10), 1u);
    EXPECT_EQ(t.nth_free(10, 1), 11u);
    EXPECT_EQ(t.nth_free(10, 4), 15u);  // 11, 12, 13, 15
    EXPECT_EQ(t.end(), 19u);
}

// Long paces (far more runs than one index mark covers), empty runs, and one list shared by
// several bursts, against the occupied slots counted one by one.
TEST(PortTimeline, AgreesWithASlotBySlotModel) {
    std::mt19937 rng(7);
    PortTimeline t;
    std::vector<bool> busy;
    sim::Cycles at = 3;
    std::shared_ptr<const std::vector<PaceRun>> shared;
    for (int burst = 0; burst < 12; ++burst) {
        if (burst % 3 == 0) {
            std::vector<PaceRun> pace;
            for (int i = 0; i < 300; ++i) pace.push_back({rng() % 4, 1 + static_cast<std::uint32_t>(rng() % 5)});
            shared = runs(std::move(pace));
        }
        const std::uint64_t words = burst % 4 == 3 ? 1 + rng() % 50 : paced_words(*shared);
        const auto p = t.place(at, burst % 4 == 3 ? nullptr : shared, words);
        sim::Cycles slot = at;
        std::uint32_t last_pace = 1;
        for (const PaceRun& r : burst % 4 == 3 ? std::vector<PaceRun>{{words, 1}} : *shared)
            for (std::uint64_t i = 0; i < r.words; ++i) {
                if (busy.size() <= slot) busy.resize(slot + 1);
                busy[slot] = true;
                slot += last_pace = r.cycles;
            }
        EXPECT_EQ(p.first, at);
        EXPECT_EQ(p.last, slot - last_pace);
        EXPECT_EQ(p.done, slot);
        at = slot - last_pace + 1 + rng() % 20;
    }
    EXPECT_EQ(t.end(), busy.size());
    std::uint64_t before = 0;
    for (sim::Cycles c = 0; c <= busy.size(); ++c) {
        ASSERT_EQ(t.occupied_before(c), before) << "cycle " << c;
        if (c < busy.size()) before += busy[c];
    }
    for (sim::Cycles from = 0; from < busy.size(); from += 97) {
        sim::Cycles slot = from;
        for (std::uint64_t n = 1; n <= 400; ++n, ++slot) {
            while (slot < busy.size() && busy[slot]) ++slot;
            ASSERT_EQ(t.nth_free(from, n), slot) << "from " << from << " n " << n;
        }
    }
}

TEST(PortTimeline, RejectsOutOfOrderPlacement) {
    PortTimeline t;
    t.place(5, nullptr, 2);
    EXPECT_THROW(t.place(6, nullptr, 1), std::logic_error);
}

}  // namespace
}  // namespace elstm
