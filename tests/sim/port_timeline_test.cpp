#include <gtest/gtest.h>

#include "rocc/port_timeline.hpp"

namespace elstm {
namespace {

// A W stream of one block: head (1 cycle) then 3 value words held 3 cycles each, from slot 1:
// slots 1, 2, 5, 8; the PE is done at 11.
TEST(PortTimeline, PlacesAPacedStream) {
    PortTimeline t;
    const auto p = t.place(1, {{1, 1}, {3, 3}}, 4);
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
    t.place(1, {{1, 1}, {3, 3}}, 4);  // occupies 1, 2, 5, 8
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
    t.place(4, {}, 3);  // 4, 5, 6
    // Words every 2 cycles from 3: 3, then 5 is taken → 7, then 9.
    const auto u = t.place_in_free(3, {{3, 2}}, 3);
    EXPECT_EQ(u.first, 3u);
    EXPECT_EQ(u.last, 9u);
    EXPECT_EQ(u.done, 11u);
}

TEST(PortTimeline, RunsMergeAndForgetKeepsCounts) {
    PortTimeline t;
    t.place(0, {{2, 1}}, 2);     // 0, 1
    t.place(2, {{2, 1}}, 2);     // 2, 3 — merges
    t.place(10, {{3, 4}}, 3);    // 10, 14, 18
    EXPECT_EQ(t.occupied_before(19), 7u);
    t.forget_before(5);
    EXPECT_EQ(t.occupied_before(11) - t.occupied_before(10), 1u);
    EXPECT_EQ(t.nth_free(10, 1), 11u);
    EXPECT_EQ(t.nth_free(10, 4), 15u);  // 11, 12, 13, 15
    EXPECT_EQ(t.end(), 19u);
}

TEST(PortTimeline, RejectsOutOfOrderPlacement) {
    PortTimeline t;
    t.place(5, {}, 2);
    EXPECT_THROW(t.place(6, {}, 1), std::logic_error);
}

}  // namespace
}  // namespace elstm
