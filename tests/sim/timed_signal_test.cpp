#include <gtest/gtest.h>

#include <string>

#include <elstm_vp/sim/timed_signal.hpp>
#include "sim_helpers.hpp"

namespace elstm::sim {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using test::report_of;

template <typename T>
using Changes = std::vector<typename test::ChangeLog<T>::Entry>;

// A plan for a later cycle made before one for an earlier cycle; a second plan for one
// cycle replaces the first; plans made while the simulation runs, for now and later.
TEST(TimedValue, PlannedValuesApplyAtTheirCycles) {
    Clock clock;
    TimedValue<int> value("value", clock, 7);
    test::ChangeLog<int> log("log", value.signal, clock);
    value.set_at(10, 1);
    value.set_at(5, 2);
    value.set_at(20, 3);
    value.set_at(20, 4);
    test::Thread late("late", [&] {
        clock.wait_until(12);
        value.set_now(5);
        value.set_at(15, 6);
    });
    EXPECT_EQ(value.signal.read(), 7);
    sc_core::sc_start();
    EXPECT_EQ(log.changes, (Changes<int>{{5, 2}, {10, 1}, {12, 5}, {15, 6}, {20, 4}}));
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(20, SC_NS));
}

TEST(TimedLevel, DeltasAccumulateAtTheirCycles) {
    Clock clock;
    TimedLevel level("level", clock);
    test::ChangeLog<std::int64_t> log("log", level.signal, clock);
    level.add_at(10, +2);
    level.add_at(4, +1);
    level.add_interval(6, 12);
    level.add_at(10, -2);        // cancels the +2: no change at 10
    level.add_interval(3, 3);    // empty interval: nothing
    level.add_at(8, 0);          // no delta: nothing
    EXPECT_EQ(level.planned_final(), 1);
    test::Thread late("late", [&] {
        clock.wait_until(7);
        level.add_at(7, +3);     // now
        level.add_interval(9, 14);
    });
    sc_core::sc_start();
    EXPECT_EQ(log.changes,
              (Changes<std::int64_t>{{4, 1}, {6, 2}, {7, 5}, {9, 6}, {12, 5}, {14, 4}}));
    EXPECT_EQ(level.planned_final(), 4);
    EXPECT_EQ(level.signal.read(), 4);
}

// Two changes for the cycle that is now, from two different delta cycles, both count.
TEST(TimedLevel, ChangesForNowInLaterDeltasAccumulate) {
    Clock clock;
    TimedLevel level("level", clock);
    test::Thread first("first", [&] {
        clock.wait_until(3);
        level.add_at(3, +1);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        sc_core::wait(sc_core::SC_ZERO_TIME);
        level.add_at(3, +1);
    });
    sc_core::sc_start();
    EXPECT_EQ(level.signal.read(), 2);
}

TEST(TimedSignals, PlanningInThePastIsAnError) {
    Clock clock;
    TimedLevel level("level", clock);
    TimedValue<bool> flag("flag", clock);
    sc_core::sc_start(sc_time(10, SC_NS));
    EXPECT_EQ(report_of([&] { level.add_at(9, 1); }), "level: a level change was planned in the past");
    EXPECT_EQ(report_of([&] { level.add_interval(5, 20); }), "level: a level change was planned in the past");
    EXPECT_EQ(report_of([&] { flag.set_at(9, true); }), "flag: a signal change was planned in the past");
    EXPECT_EQ(report_of([&] { level.add_interval(12, 11); }), "level: an interval ends before it starts");
    EXPECT_EQ(level.planned_final(), 0);
    EXPECT_EQ(report_of([&] { level.add_at(10, 1); }), "no report");
    sc_core::sc_start(sc_time(1, SC_NS));
    EXPECT_EQ(level.signal.read(), 1);
}

}  // namespace
}  // namespace elstm::sim
