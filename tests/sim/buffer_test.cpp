#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <elstm_vp/buffer/onchip_buffer.hpp>
#include <elstm_vp/numeric/error.hpp>
#include "sim_helpers.hpp"

namespace elstm {
namespace {

using test::report_of;

BufferConfig entries(std::size_t capacity) {
    BufferConfig c;
    c.capacity = capacity;
    return c;
}

TEST(OnChipBuffer, AccessesAreCountedAndKeepTheBits) {
    sim::Clock clock;
    OnChipBuffer buf("buf_h", entries(100), clock);
    buf.write(0, 1.5f);
    buf.write_u32(1, 0x7fc00001u);  // a NaN payload survives as bits
    float* span = buf.write_span(10, 4);
    for (int i = 0; i < 4; ++i) span[i] = static_cast<float>(i);
    EXPECT_EQ(buf.writes(), 6u);

    EXPECT_EQ(buf.read(0), 1.5f);
    EXPECT_EQ(buf.read_u32(0), 0x3fc00000u);
    EXPECT_EQ(buf.read_u32(1), 0x7fc00001u);
    const float* got = buf.read_span(10, 4);
    EXPECT_EQ(got[3], 3.0f);
    EXPECT_EQ(buf.reads(), 7u);

    // A read-modify-write in place (the vector PE's c): one read and one write per entry.
    float* c = buf.modify_span(10, 3);
    c[2] += 1.0f;
    EXPECT_EQ(buf.reads(), 10u);
    EXPECT_EQ(buf.writes(), 9u);
    EXPECT_EQ(buf.read(12), 3.0f);
    EXPECT_EQ(report_of([&] { buf.modify_span(98, 3); }),
              "buf_h: access to index 98 (+3) beyond capacity 100 entries");
    EXPECT_EQ(buf.reads(), 11u);
    EXPECT_EQ(buf.writes(), 9u);
}

TEST(OnChipBuffer, AccessBeyondCapacityIsAModelError) {
    sim::Clock clock;
    OnChipBuffer buf("buf_x", entries(100), clock);
    EXPECT_EQ(report_of([&] { buf.write(100, 0.0f); }),
              "buf_x: access to index 100 (+1) beyond capacity 100 entries");
    EXPECT_EQ(report_of([&] { buf.read_span(98, 4); }),
              "buf_x: access to index 98 (+4) beyond capacity 100 entries");
    // first + count wraps around: still caught
    EXPECT_NE(report_of([&] { buf.read_span(~std::size_t{0}, 2); }).find("(+2) beyond capacity 100"),
              std::string::npos);
    EXPECT_EQ(buf.reads(), 0u);
    EXPECT_EQ(buf.writes(), 0u);
    EXPECT_EQ(report_of([&] { buf.read_span(96, 4); }), "no report");
}

TEST(OnChipBuffer, AreaFollowsThePaperModel) {
    sim::Clock clock;
    BufferConfig c = entries(1024);
    c.ports = 2;
    OnChipBuffer buf("buf_wx", c, clock);
    EXPECT_DOUBLE_EQ(buf.area(), std::pow(32768.0, 0.9) * std::pow(2.0, 0.7));
    c.entry_bits = 16;
    c.ports = 1;
    OnChipBuffer half("buf_b", c, clock);
    EXPECT_DOUBLE_EQ(half.area(), std::pow(16384.0, 0.9));
}

TEST(OnChipBuffer, BadConfigIsAnError) {
    sim::Clock clock;
    BufferConfig c = entries(0);
    EXPECT_THROW(OnChipBuffer("empty", c, clock), Error);
    c = entries(8);
    c.entry_bits = 0;
    EXPECT_THROW(OnChipBuffer("narrow", c, clock), Error);
    c.entry_bits = 65;
    EXPECT_THROW(OnChipBuffer("wide", c, clock), Error);
    c.entry_bits = 32;
    c.ports = 0;
    EXPECT_THROW(OnChipBuffer("portless", c, clock), Error);
}

// Fill changes planned out of order appear at their own cycles; the peak is the largest
// level ever planned.
TEST(OnChipBuffer, FillIsPlannedAndPeakTracked) {
    sim::Clock clock;
    OnChipBuffer buf("buf_uh", entries(64), clock);
    test::ChangeLog<std::int64_t> log("log", buf.fill.signal, clock);
    buf.set_fill_at(5, 10);
    buf.set_fill_at(2, 40);
    buf.set_fill_at(8, 0);
    EXPECT_EQ(buf.peak_fill(), 40);
    EXPECT_NE(report_of([&] { buf.set_fill_at(9, 65); }).find("fill level 65 outside 0..64"),
              std::string::npos);
    sc_core::sc_start();
    using Entry = test::ChangeLog<std::int64_t>::Entry;
    EXPECT_EQ(log.changes, (std::vector<Entry>{{2, 40}, {5, 10}, {8, 0}}));
    EXPECT_EQ(buf.peak_fill(), 40);
}

}  // namespace
}  // namespace elstm
