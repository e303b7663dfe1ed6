#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/core/riscv_core.hpp>
#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>
#include "sim_helpers.hpp"

// The RISC-V core wrapper running the small programs of tests/core/wrap_*: semihosting,
// RoCC commands, traps, the instruction budget and timing.
namespace elstm {
namespace {

using sim::Cycles;
constexpr std::uint64_t kBase = 0x80000000ull;
constexpr std::uint64_t kResults = 0x80001000ull;  // where the programs store what they measured
constexpr std::uint8_t kFunct = 5;                 // the one command the test accelerator knows

std::vector<char> program(const std::string& name) {
    const std::string path = std::string(ELSTM_WRAP_PROGRAMS) + "/" + name + ".bin";
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Forwards timed and debug transactions but refuses DMI, so the core has to use its bus.
class NoDmi : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<NoDmi, 64> target;
    tlm_utils::simple_initiator_socket<NoDmi, 64> initiator;

    explicit NoDmi(sc_core::sc_module_name name) : sc_module(name), target("target"), initiator("initiator") {
        target.register_b_transport(this, &NoDmi::b_transport);
        target.register_transport_dbg(this, &NoDmi::transport_dbg);
    }

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        initiator->b_transport(trans, delay);
    }
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans) { return initiator->transport_dbg(trans); }
};

struct Options {
    CoreConfig core;
    bool dmi = true;
    sc_core::sc_time period = sc_core::sc_time(1, sc_core::SC_NS);
};
// A named default rather than `= {}`: GCC 12 warns (falsely) of an uninitialized string in
// the temporary.
const Options kDefaultOptions;

// A core running `name` from a DRAM, its RoCC port on a channel that knows funct 5; the
// channel's data side has a DRAM of its own (unused here).
struct Rig {
    sim::Clock clock;
    std::ostringstream console;
    Dram dram, channel_dram;
    RoccChannel channel;
    RiscvCore core;
    std::unique_ptr<NoDmi> no_dmi;
    std::unique_ptr<test::Thread> accel;

    Rig(const std::string& name, const Options& options = kDefaultOptions)
        : clock(options.period),
          dram("dram", dram_config(), clock),
          channel_dram("channel_dram", dram_config(), clock),
          channel("rocc", RoccChannelConfig{}, clock, {kFunct}),
          core("core", options.core, clock, kBase, console) {
        const std::vector<char> image = program(name);
        dram.write_backdoor(kBase, image.data(), image.size());
        channel.mem.bind(channel_dram.socket);
        core.rocc.bind(channel);
        if (options.dmi) {
            core.mem.bind(dram.socket);
        } else {
            no_dmi = std::make_unique<NoDmi>("no_dmi");
            core.mem.bind(no_dmi->target);
            no_dmi->initiator.bind(dram.socket);
        }
    }
    static DramConfig dram_config() {
        DramConfig c;
        c.size = 4 << 20;
        return c;
    }
    std::uint64_t result(unsigned k) const {
        std::uint64_t v;
        dram.read_backdoor(kResults + 8 * k, &v, sizeof v);
        return v;
    }
    // After the final sync the kernel's time is exactly the core's cycles.
    void expect_time_is_cycles() const {
        EXPECT_EQ(sc_core::sc_time_stamp(), clock.time(core.cycles()));
    }
};

TEST(RiscvCore, SemihostingConsoleOutputIsExactAndUsesDmiOnly) {
    Rig rig("wrap_hello");
    sc_core::sc_start();
    EXPECT_EQ(rig.console.str(), "Hello, world\nvia fd 1\n!");
    EXPECT_TRUE(rig.core.exit().exited);
    EXPECT_EQ(rig.core.exit().code, 0);
    EXPECT_EQ(rig.core.exit().error, "");
    EXPECT_EQ(rig.dram.accesses(), 0u);  // fetches, loads and stores all went through DMI
    EXPECT_EQ(rig.core.state.signal.read(), 2);
    rig.expect_time_is_cycles();
}

TEST(RiscvCore, ExitExtendedPassesTheExitCode) {
    Rig rig("wrap_exit3");
    sc_core::sc_start();
    EXPECT_TRUE(rig.core.exit().exited);
    EXPECT_EQ(rig.core.exit().code, 3);
}

TEST(RiscvCore, SysExitWithAnotherReasonExitsWithOne) {
    Rig rig("wrap_exit_error");
    sc_core::sc_start();
    EXPECT_TRUE(rig.core.exit().exited);
    EXPECT_EQ(rig.core.exit().code, 1);
}

// picolibc's exit() asks for the features file, finds SYS_EXIT_EXTENDED and passes the code.
TEST(RiscvCore, PicolibcPrintfAndExitCode) {
    Rig rig("wrap_printf");
    sc_core::sc_start();
    EXPECT_EQ(rig.console.str(), "hello 42\n");
    EXPECT_TRUE(rig.core.exit().exited) << rig.core.exit().error;
    EXPECT_EQ(rig.core.exit().code, 3);
}

TEST(RiscvCore, OtherSemihostingCallsAndAnUnsupportedOne) {
    Options options;
    options.period = sc_core::sc_time(1, sc_core::SC_MS);  // 1 kHz: SYS_CLOCK counts every 10 cycles
    Rig rig("wrap_semihost_calls", options);
    sc_core::sc_start();
    const std::uint64_t handle = rig.result(0);
    EXPECT_EQ(handle, 3u);                   // 0, 1 and 2 are the preopened console
    EXPECT_EQ(rig.result(1), 5u);            // SYS_FLEN of the features file
    EXPECT_EQ(rig.result(2), 3u);            // SYS_READ of 8 bytes: 3 not read
    char features[5];
    rig.dram.read_backdoor(kResults + 0x80, features, sizeof features);
    EXPECT_EQ(std::string(features, 5), std::string("SHFB\x01", 5));
    EXPECT_EQ(rig.result(3), 0u);            // SYS_ISTTY of a file
    EXPECT_EQ(rig.result(4), 0u);            // SYS_CLOSE
    EXPECT_EQ(rig.result(5), 1u);            // SYS_ISTTY of handle 1
    EXPECT_EQ(rig.result(6), ~0ull);         // SYS_OPEN of a host file: -1
    EXPECT_EQ(rig.result(7), 1000u);         // SYS_TICKFREQ: the clock in Hz
    EXPECT_EQ(rig.result(8), 0u);            // SYS_ELAPSED
    const std::uint64_t ticks = rig.result(14);
    EXPECT_GT(ticks, 0u);
    EXPECT_GE(rig.result(9), ticks / 10);    // SYS_CLOCK a few instructions later
    EXPECT_LE(rig.result(9), (ticks + 20) / 10);
    EXPECT_EQ(rig.result(10), 0u);           // SYS_GET_CMDLINE
    char cmdline = 'x';
    rig.dram.read_backdoor(kBase + 0x10d0, &cmdline, 1);
    EXPECT_EQ(cmdline, '\0');
    EXPECT_EQ(rig.result(11), 0u);           // SYS_TIME
    EXPECT_EQ(rig.result(12), 13u);          // SYS_ERRNO: EACCES from the open of a host file (no root)
    EXPECT_EQ(rig.result(13), 0u);           // SYS_HEAPINFO
    EXPECT_FALSE(rig.core.exit().exited);
    EXPECT_EQ(rig.core.exit().error, "unsupported semihosting call 0x99 at pc 0x800001cc");  // its ebreak
    EXPECT_EQ(rig.core.state.signal.read(), 2);
}

TEST(RiscvCore, SemihostingArgumentOutsideMemoryEndsTheRun) {
    Rig rig("wrap_semihost_bad");
    sc_core::sc_start();
    EXPECT_EQ(rig.core.exit().error, "semihosting call 0x4 at pc 0x8000000c: cannot read memory at 0x10");
}

// A buffer running past memory fails before any of it is used: nothing reaches the console
// or the buffer, with the DMI window and through the debug transport alike.
void expect_buffer_refused(const char* program, bool dmi, const std::string& error) {
    Options options;
    options.dmi = dmi;
    Rig rig(program, options);
    sc_core::sc_start();
    EXPECT_EQ(rig.console.str(), "");
    EXPECT_EQ(rig.core.exit().error, error);
    char first = 0;
    rig.dram.read_backdoor(kBase, &first, 1);
    EXPECT_NE(first, 'S') << "the features file was read into the buffer";
}

const std::string kHugeWrite =
    "semihosting call 0x5 at pc 0x80000010: cannot read a buffer of 1099511627776 bytes at 0x80000000: it runs "
    "outside memory";

TEST(RiscvCore, SemihostingWriteBufferIsCheckedBeforeUse) {
    expect_buffer_refused("wrap_semihost_huge_write", true, kHugeWrite);
}

TEST(RiscvCore, SemihostingWriteBufferIsCheckedBeforeUseWithoutDmi) {
    expect_buffer_refused("wrap_semihost_huge_write", false, kHugeWrite);
}

TEST(RiscvCore, SemihostingReadBufferIsCheckedBeforeUse) {
    expect_buffer_refused("wrap_semihost_huge_read", true,
                          "semihosting call 0x6 at pc 0x80000034: cannot write a buffer of 1099511627776 bytes at "
                          "0x80000000: it runs outside memory");
}

// funct 5 with xd: rs1 = 40, rs2 = 2. The accelerator answers rs1 + rs2 50 cycles after the
// command reaches it; the core shows state 1 from the end of its issue cycle to the answer,
// and mcycle counts the wait.
TEST(RiscvCore, RoccCommandWithXdWaitsForTheAnswer) {
    Rig rig("wrap_rocc");
    RoccCommand received;
    Cycles arrival = 0;
    rig.accel = std::make_unique<test::Thread>("accel", [&] {
        received = rig.channel.next_command();
        arrival = rig.clock.now();
        sc_core::wait(rig.clock.time(50));
        rig.channel.respond({received.rd, received.rs1 + received.rs2});
    });
    test::ChangeLog<std::uint8_t> log("log", rig.core.state.signal, rig.clock);
    sc_core::sc_start();
    ASSERT_TRUE(rig.core.exit().exited) << rig.core.exit().error;
    EXPECT_EQ(received.funct, kFunct);
    EXPECT_EQ(received.rs1, 40u);
    EXPECT_EQ(received.rs2, 2u);
    EXPECT_EQ(received.rd, 13);  // a3
    EXPECT_TRUE(received.xd);
    EXPECT_EQ(arrival, 3u);  // li, li, csrr: one cycle each
    EXPECT_EQ(rig.result(0), 42u);
    // csrr (1) + issue and wait (50) + the custom instruction retiring (system, 1)
    EXPECT_EQ(rig.result(1), 52u);
    ASSERT_EQ(log.changes.size(), 3u);
    EXPECT_EQ(log.changes[0], std::make_pair(arrival + 1, std::uint8_t{1}));
    EXPECT_EQ(log.changes[1], std::make_pair(arrival + 50, std::uint8_t{0}));
    EXPECT_EQ(log.changes[2], std::make_pair(rig.core.cycles(), std::uint8_t{2}));
    rig.expect_time_is_cycles();
}

TEST(RiscvCore, UnknownRoccFunctIsAnIllegalInstruction) {
    Rig rig("wrap_rocc_unknown");
    sc_core::sc_start();
    EXPECT_FALSE(rig.core.exit().exited);
    EXPECT_EQ(rig.core.exit().error,
              "unhandled illegal instruction at pc 0x80000000, instruction 0x12c5f50b, mtval 0x12c5f50b");
}

TEST(RiscvCore, Custom1HasNoAccelerator) {
    Rig rig("wrap_custom1");
    sc_core::sc_start();
    EXPECT_EQ(rig.core.exit().error.rfind("unhandled illegal instruction at pc 0x80000000", 0), 0u)
        << rig.core.exit().error;
}

TEST(RiscvCore, LoadFromNowhereIsAnAccessFault) {
    Rig rig("wrap_load_fault");
    sc_core::sc_start();
    EXPECT_EQ(rig.core.exit().error,
              "unhandled load access fault at pc 0x80000004, instruction 0x0082b303, mtval 0x1008");
    EXPECT_EQ(rig.core.state.signal.read(), 2);
}

TEST(RiscvCore, InstructionBudgetEndsTheRun) {
    Options options;
    options.core.max_instructions = 1000;
    Rig rig("wrap_spin", options);
    sc_core::sc_start();
    EXPECT_FALSE(rig.core.exit().exited);
    EXPECT_EQ(rig.core.exit().error, "instruction budget of 1000 exceeded at pc 0x80000000, instruction 0xa001");
    EXPECT_EQ(rig.core.instructions(), 1000u);
    EXPECT_EQ(rig.core.cycles(), 2000u);  // c.j is a jump: 2 cycles
    rig.expect_time_is_cycles();
}

// csrr (1) + 1000 × addi (1) + 999 taken branches (2) + 1 not taken (1), over many quanta.
TEST(RiscvCore, LoopTakesTheCpiTableCycles) {
    Options options;
    options.core.quantum = 100;
    Rig rig("wrap_loop", options);
    sc_core::sc_start();
    ASSERT_TRUE(rig.core.exit().exited) << rig.core.exit().error;
    EXPECT_EQ(rig.result(0), 3000u);
    // li, csrr, 2000 in the loop, csrr, sub, li (3), sd, then exit_with up to the ebreak (la, sd, li, la, slli)
    EXPECT_EQ(rig.core.instructions(), 2015u);
    rig.expect_time_is_cycles();
}

TEST(RiscvCore, ConfiguredCpiTableIsUsed) {
    Options options;
    options.core.cpi = {3, 2, 1, 3, 20, 5, 2, 2, 4, 1};  // alu 3, taken 5, not taken 2, csr 4
    Rig rig("wrap_loop", options);
    sc_core::sc_start();
    EXPECT_EQ(rig.result(0), 4u + 1000 * 3 + 999 * 5 + 2);
    rig.expect_time_is_cycles();
}

// mcycle set back to 0 after a slice has been accounted: the time already passed stays.
// (Cycles of the slice in which mcycle is written are lost to the time: the ISS's cycle
// count is mcycle.)
TEST(RiscvCore, WritingMcycleDoesNotTurnBackTime) {
    Rig rig("wrap_mcycle_write");
    sc_core::sc_start();
    ASSERT_TRUE(rig.core.exit().exited) << rig.core.exit().error;
    EXPECT_EQ(rig.console.str(), ".");
    EXPECT_LT(rig.core.cycles(), 21u);
    EXPECT_GE(sc_core::sc_time_stamp(), rig.clock.time(21));
    EXPECT_LT(sc_core::sc_time_stamp(), rig.clock.time(21 + 20));
}

// Without DMI every fetch and access is a timed transaction: DRAM latency stalls the core,
// and its time still equals its cycles.
TEST(RiscvCore, WithoutDmiTheBusIsUsedAndItsLatencyCounts) {
    Options options;
    options.dmi = false;
    Rig rig("wrap_loop", options);
    sc_core::sc_start();
    ASSERT_TRUE(rig.core.exit().exited) << rig.core.exit().error;
    EXPECT_GT(rig.dram.accesses(), 2 * rig.core.instructions());  // two 16-bit parcels a fetch
    EXPECT_GT(rig.core.cycles(), 62 * rig.core.instructions());   // 31 cycles a parcel
    rig.expect_time_is_cycles();
}

}  // namespace
}  // namespace elstm
