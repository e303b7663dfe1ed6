#include <gtest/gtest.h>

#include <elstm_vp/numeric/energy.hpp>
#include <elstm_vp/numeric/error.hpp>

namespace elstm {
namespace {

// The defaults, from the 45 nm figures written out here by hand (pJ): 32-bit DRAM access 640,
// SRAM 5, register file 1, float add 0.9, float multiply 3.7, int add 0.1, int multiply 3.1.
TEST(Energy, DefaultsFromThe45nmTable) {
    const EnergyTable t;
    EXPECT_DOUBLE_EQ(t.dram_word, 1280.0);        // two 32-bit DRAM accesses
    EXPECT_DOUBLE_EQ(t.buffer_access_32, 5.0);
    EXPECT_DOUBLE_EQ(t.mac, 4.6);                 // 3.7 + 0.9
    EXPECT_DOUBLE_EQ(t.mac_fixed, 3.2);           // 3.1 + 0.1
    EXPECT_DOUBLE_EQ(t.vector_op, 44.2);          // 8·0.9 + 3·3.7 + 0.9 + 5·5
    EXPECT_DOUBLE_EQ(t.rocc_word, 2.0);           // two 32-bit register-file accesses
    EXPECT_DOUBLE_EQ(t.core_instruction, 70.0);
}

// A made-up run priced by hand with a table of round numbers.
TEST(Energy, HandComputedBreakdown) {
    EnergyTable t;
    t.dram_word = 100, t.buffer_access_32 = 2, t.mac = 3, t.mac_fixed = 1, t.vector_op = 7, t.rocc_word = 0.5;
    t.core_instruction = 11;
    EnergyEvents e;
    e.port_words = 10, e.command_words = 4, e.macs = 20, e.vector_ops = 6, e.core_instructions = 5;
    e.buffers = {{"a", 32, 3, 1}, {"t", 16, 4, 2}, {"w", 64, 1, 0}};
    const EnergyBreakdown b = energy_of(e, t, false);
    EXPECT_DOUBLE_EQ(b.dram, 1000.0);                    // 10 · 100
    ASSERT_EQ(b.per_buffer.size(), 3u);
    EXPECT_DOUBLE_EQ(b.per_buffer[0], 8.0);              // 4 accesses · 2
    EXPECT_DOUBLE_EQ(b.per_buffer[1], 6.0);              // 6 accesses · 16/32 · 2
    EXPECT_DOUBLE_EQ(b.per_buffer[2], 4.0);              // 1 access · 64/32 · 2
    EXPECT_DOUBLE_EQ(b.buffers, 18.0);
    EXPECT_DOUBLE_EQ(b.macs, 60.0);                      // 20 · 3
    EXPECT_DOUBLE_EQ(b.vector_pe, 42.0);                 // 6 · 7
    EXPECT_DOUBLE_EQ(b.rocc, 7.0);                       // (10 + 4) · 0.5
    EXPECT_DOUBLE_EQ(b.core, 55.0);                      // 5 · 11
    EXPECT_DOUBLE_EQ(b.total(), 1000.0 + 18 + 60 + 42 + 7 + 55);
    EXPECT_DOUBLE_EQ(energy_of(e, t, true).macs, 20.0);  // 20 · mac_fixed
}

TEST(Energy, EventsAdd) {
    EnergyEvents a, b;
    b.port_words = 1, b.command_words = 2, b.macs = 3, b.vector_ops = 4, b.core_instructions = 5;
    b.buffers = {{"x", 32, 6, 7}};
    add_events(a, b);
    add_events(a, b);
    EXPECT_EQ(a.port_words, 2u);
    EXPECT_EQ(a.command_words, 4u);
    EXPECT_EQ(a.macs, 6u);
    EXPECT_EQ(a.vector_ops, 8u);
    EXPECT_EQ(a.core_instructions, 10u);
    ASSERT_EQ(a.buffers.size(), 1u);
    EXPECT_EQ(a.buffers[0].reads, 12u);
    EXPECT_EQ(a.buffers[0].writes, 14u);
    EnergyEvents other;
    other.buffers = {{"x", 32, 0, 0}, {"y", 32, 0, 0}};
    EXPECT_THROW(add_events(a, other), Error);
}

}  // namespace
}  // namespace elstm
