#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/numeric/error.hpp>
#include "sim_helpers.hpp"

namespace elstm {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using test::Initiator;
using test::set_payload;

constexpr std::uint64_t kBase = 0x80000000ull;

DramConfig small_dram(unsigned bytes_per_cycle = 8) {
    DramConfig c;
    c.size = 4096;
    c.bytes_per_cycle = bytes_per_cycle;
    return c;
}

// Builds a DRAM and an initiator bound to it, runs `body` in the initiator's thread.
struct Bench {
    sim::Clock clock;
    Dram dram;
    Initiator cpu;
    Bench(const DramConfig& config, std::function<void(Initiator&)> body)
        : dram("dram", config, clock), cpu("cpu", std::move(body)) {
        cpu.socket.bind(dram.socket);
    }
};

// Transports one access of `len` bytes and returns its annotated delay in ns.
double access_ns(const DramConfig& config, tlm::tlm_command cmd, unsigned len) {
    double ns = -1;
    Bench bench(config, [&](Initiator& cpu) {
        std::array<unsigned char, 64> data{};
        tlm::tlm_generic_payload trans;
        set_payload(trans, cmd, kBase, data.data(), len);
        ns = cpu.transport(trans).to_seconds() * 1e9;
        EXPECT_EQ(trans.get_response_status(), tlm::TLM_OK_RESPONSE);
    });
    sc_core::sc_start();
    return ns;
}

TEST(Dram, ReadOf8BytesCostsLatencyPlusOneCycle) {
    EXPECT_DOUBLE_EQ(access_ns(DramConfig{}, tlm::TLM_READ_COMMAND, 8), 31.0);  // 30 + 8/8
}

TEST(Dram, Write64BytesAt8BytesPerCycle) {
    EXPECT_DOUBLE_EQ(access_ns(small_dram(), tlm::TLM_WRITE_COMMAND, 64), 38.0);  // 30 + 64/8
}

// A module keeps its own copy of the clock: a temporary passed to the constructor, or a clock
// freed afterwards, leaves the timing as it was (with a stored reference, the freed clock's
// memory taken by another clock changed the period, or ASan reported the use after free).
TEST(Dram, KeepsItsOwnCopyOfTheClock) {
    auto clock = std::make_unique<sim::Clock>(sc_time(2, SC_NS));
    double ns = -1;
    Dram dram("dram", small_dram(), *clock);
    Initiator cpu("cpu", [&](Initiator& initiator) {
        std::array<unsigned char, 8> data{};
        tlm::tlm_generic_payload trans;
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase, data.data(), 8);
        ns = initiator.transport(trans).to_seconds() * 1e9;
    });
    cpu.socket.bind(dram.socket);
    clock.reset();
    const auto other = std::make_unique<sim::Clock>(sc_time(5, SC_NS));
    sc_core::sc_start();
    EXPECT_DOUBLE_EQ(ns, 62.0);  // (30 + 1) cycles of 2 ns
}

TEST(Dram, PartialLastBeatCostsAWholeCycle) {
    EXPECT_DOUBLE_EQ(access_ns(small_dram(4), tlm::TLM_READ_COMMAND, 10), 33.0);  // 30 + ⌈10/4⌉
}

TEST(Dram, WrittenDataReadsBackAndIsCounted) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        std::array<unsigned char, 16> out{}, in{};
        for (unsigned i = 0; i < out.size(); ++i) out[i] = static_cast<unsigned char>(0xA0 + i);
        tlm::tlm_generic_payload trans;
        set_payload(trans, tlm::TLM_WRITE_COMMAND, kBase + 0x100, out.data(), 16);
        cpu.transport(trans);
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase + 0x100, in.data(), 16);
        cpu.transport(trans);
        EXPECT_EQ(trans.get_response_status(), tlm::TLM_OK_RESPONSE);
        EXPECT_TRUE(trans.is_dmi_allowed());
        EXPECT_EQ(in, out);
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.dram.accesses(), 2u);
    EXPECT_EQ(bench.dram.bytes_written(), 16u);
    EXPECT_EQ(bench.dram.bytes_read(), 16u);
}

// Transports one 8-byte read after `prepare` has changed the payload; returns its status.
tlm::tlm_response_status status_of(Initiator& cpu, std::uint64_t addr,
                                   const std::function<void(tlm::tlm_generic_payload&)>& prepare = {}) {
    std::array<unsigned char, 8> data{};
    tlm::tlm_generic_payload trans;
    set_payload(trans, tlm::TLM_READ_COMMAND, addr, data.data(), 8);
    if (prepare) prepare(trans);
    EXPECT_EQ(cpu.transport(trans), sc_core::SC_ZERO_TIME);  // errors take no time
    return trans.get_response_status();
}

TEST(Dram, BadAccessesGetTheirErrorResponses) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        EXPECT_EQ(status_of(cpu, kBase - 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(status_of(cpu, kBase + 4096 - 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
        EXPECT_EQ(status_of(cpu, kBase + 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
        unsigned char enables[8] = {0xff, 0, 0xff, 0, 0xff, 0, 0xff, 0};
        EXPECT_EQ(status_of(cpu, kBase,
                            [&](tlm::tlm_generic_payload& t) {
                                t.set_byte_enable_ptr(enables);
                                t.set_byte_enable_length(8);
                            }),
                  tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        EXPECT_EQ(status_of(cpu, kBase, [](tlm::tlm_generic_payload& t) { t.set_streaming_width(4); }),
                  tlm::TLM_BURST_ERROR_RESPONSE);
        EXPECT_EQ(status_of(cpu, kBase, [](tlm::tlm_generic_payload& t) { t.set_command(tlm::TLM_IGNORE_COMMAND); }),
                  tlm::TLM_COMMAND_ERROR_RESPONSE);
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.dram.accesses(), 0u);
    EXPECT_EQ(bench.dram.bytes_read(), 0u);
}

TEST(Dram, SmallAccessesAreAlignedToTheirSize) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        std::array<unsigned char, 8> data{};
        tlm::tlm_generic_payload trans;
        const auto status = [&](std::uint64_t addr, unsigned len) {
            set_payload(trans, tlm::TLM_READ_COMMAND, addr, data.data(), len);
            cpu.transport(trans);
            return trans.get_response_status();
        };
        EXPECT_EQ(status(kBase + 3, 1), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(status(kBase + 2, 2), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(status(kBase + 1, 2), tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(status(kBase + 4, 4), tlm::TLM_OK_RESPONSE);
        EXPECT_EQ(status(kBase + 2, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
        EXPECT_EQ(status(kBase + 0, 0), tlm::TLM_GENERIC_ERROR_RESPONSE);
    });
    sc_core::sc_start();
}

TEST(Dram, DebugTransportTakesNoTimeAndIsNotCounted) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        std::uint64_t out = 0x0123456789abcdefull, in = 0;
        tlm::tlm_generic_payload trans;
        set_payload(trans, tlm::TLM_WRITE_COMMAND, kBase + 0x10, &out, 8);
        EXPECT_EQ(cpu.socket->transport_dbg(trans), 8u);
        // The debug transport ignores alignment and streaming width.
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase + 0x11, &in, 7);
        trans.set_streaming_width(0);
        EXPECT_EQ(cpu.socket->transport_dbg(trans), 7u);
        EXPECT_EQ(in, out >> 8);
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase + 4096 - 4, &in, 8);
        EXPECT_EQ(cpu.socket->transport_dbg(trans), 0u);
        EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.dram.accesses(), 0u);
    EXPECT_EQ(bench.dram.bytes_written(), 0u);
    EXPECT_EQ(bench.dram.busy.planned_final(), 0);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
}

TEST(Dram, DirectMemoryPointerSeesTheSameBytes) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        tlm::tlm_generic_payload trans;
        tlm::tlm_dmi dmi;
        std::uint64_t word = 0;
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase + 0x40, &word, 8);
        ASSERT_TRUE(cpu.socket->get_direct_mem_ptr(trans, dmi));
        EXPECT_EQ(dmi.get_start_address(), kBase);
        EXPECT_EQ(dmi.get_end_address(), kBase + 4095);
        EXPECT_TRUE(dmi.is_read_write_allowed());
        EXPECT_EQ(dmi.get_read_latency(), sc_time(0.125, SC_NS));  // one cycle per 8 bytes
        EXPECT_EQ(dmi.get_write_latency(), sc_time(0.125, SC_NS));

        const std::uint64_t value = 0xfeedfacecafebeefull;
        std::memcpy(dmi.get_dmi_ptr() + 0x40, &value, 8);
        cpu.transport(trans);
        EXPECT_EQ(word, value);

        set_payload(trans, tlm::TLM_READ_COMMAND, kBase - 8, &word, 8);
        EXPECT_FALSE(cpu.socket->get_direct_mem_ptr(trans, dmi));
        EXPECT_EQ(dmi.get_end_address(), kBase - 1);
    });
    sc_core::sc_start();
}

// A read whose data pointer is the DMI pointer to its own address (an initiator reading in
// place) copies nothing, and is timed and counted as any read.
TEST(Dram, AnInPlaceReadIsTimedAndCounted) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        tlm::tlm_generic_payload trans;
        tlm::tlm_dmi dmi;
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase, nullptr, 8);
        ASSERT_TRUE(cpu.socket->get_direct_mem_ptr(trans, dmi));
        const std::uint64_t value = 0x0123456789abcdefull;
        std::memcpy(dmi.get_dmi_ptr() + 0x80, &value, 8);
        set_payload(trans, tlm::TLM_READ_COMMAND, kBase + 0x80, dmi.get_dmi_ptr() + 0x80, 16);
        EXPECT_EQ(cpu.transport(trans), sc_time(32, SC_NS));  // 30 + 16/8
        EXPECT_EQ(trans.get_response_status(), tlm::TLM_OK_RESPONSE);
        std::uint64_t word = 0;
        std::memcpy(&word, dmi.get_dmi_ptr() + 0x80, 8);
        EXPECT_EQ(word, value);
    });
    sc_core::sc_start();
    EXPECT_EQ(bench.dram.accesses(), 1u);
    EXPECT_EQ(bench.dram.bytes_read(), 16u);
}

TEST(Dram, BackdoorMovesBytesAndNamesABadAddress) {
    sim::Clock clock;
    Dram dram("dram", small_dram(), clock);
    const std::uint32_t out = 0x11223344;
    std::uint32_t in = 0;
    dram.write_backdoor(kBase + 4092, &out, 4);
    dram.read_backdoor(kBase + 4092, &in, 4);
    EXPECT_EQ(in, out);
    EXPECT_EQ(dram.accesses(), 0u);
    try {
        dram.read_backdoor(kBase + 4094, &in, 4);
        FAIL() << "an access past the end was accepted";
    } catch (const Error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("0x80000ffe"), std::string::npos) << what;
        EXPECT_NE(what.find("[0x80000000, 0x80000fff]"), std::string::npos) << what;
    }
    EXPECT_THROW(dram.write_backdoor(0x1000, &out, 4), Error);
}

TEST(Dram, BadConfigIsAnError) {
    sim::Clock clock;
    DramConfig empty = small_dram();
    empty.size = 0;
    EXPECT_THROW(Dram("empty", empty, clock), Error);
    EXPECT_THROW(Dram("stalled", small_dram(0), clock), Error);
    DramConfig wraps = small_dram();
    wraps.base = ~0ull - 100;
    EXPECT_THROW(Dram("wraps", wraps, clock), Error);
}

// Two overlapping accesses: A at cycle 0 (8 bytes: [0, 31)), B annotated 10 cycles later
// (64 bytes: [10, 48)). The level is 2 while both are in flight.
TEST(Dram, BusyCountsOverlappingAccesses) {
    Bench bench(small_dram(), [](Initiator& cpu) {
        std::array<unsigned char, 64> data{};
        tlm::tlm_generic_payload a, b;
        set_payload(a, tlm::TLM_READ_COMMAND, kBase, data.data(), 8);
        set_payload(b, tlm::TLM_READ_COMMAND, kBase + 64, data.data(), 64);
        cpu.transport(a);
        sc_time delay(10, SC_NS);
        cpu.socket->b_transport(b, delay);
        EXPECT_EQ(delay, sc_time(48, SC_NS));
    });
    test::ChangeLog<std::int64_t> log("log", bench.dram.busy.signal, bench.clock);
    sc_core::sc_start();
    using Entry = test::ChangeLog<std::int64_t>::Entry;
    EXPECT_EQ(log.changes, (std::vector<Entry>{{0, 1}, {10, 2}, {31, 1}, {48, 0}}));
    EXPECT_EQ(bench.dram.busy.planned_final(), 0);
}

}  // namespace
}  // namespace elstm
