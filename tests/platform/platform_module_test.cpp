// The Platform as a module of a user's SoC: its place in the hierarchy, its memory side bound
// by the user, an external host and when its run ends, and the errors of using them wrongly.
// Each test elaborates its own system (ctest runs every test in a process of its own).
#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <set>
#include <string>
#include <vector>

#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/stats.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

namespace elstm {
namespace {

const std::string kQuick = std::string(ELSTM_SOURCE_DIR) + "/configs/quick.yaml";

PlatformConfig quick(const std::string& host) {
    return load_platform_config(kQuick, {"host.kind=" + host, "trace.vcd="});
}

PlatformOptions memory_open() {
    PlatformOptions options;
    options.bind_memory = false;
    return options;
}

std::set<std::string> child_names(const sc_core::sc_object& parent) {
    std::set<std::string> names;
    for (const sc_core::sc_object* child : parent.get_child_objects()) names.insert(child->name());
    return names;
}

// The message of the elstm::Error `f` throws, or "" (and a failure) when it throws none.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
}

// A user's top module holding the platform.
SC_MODULE(Top) {
    Platform platform;
    Top(sc_core::sc_module_name name, const PlatformConfig& config) : sc_module(name), platform("elstm", config) {}
};

TEST(PlatformModule, ChildrenAreItsSubmodules) {
    Top top("top", quick("core"));
    EXPECT_STREQ(top.platform.name(), "top.elstm");
    const std::set<std::string> children = child_names(top.platform);
    for (const char* child : {"top.elstm.dram", "top.elstm.bus", "top.elstm.rocc", "top.elstm.accel", "top.elstm.core"})
        EXPECT_EQ(children.count(child), 1u) << child;
    EXPECT_EQ(child_names(top), std::set<std::string>{"top.elstm"});
    std::string error;
    ASSERT_TRUE(top.platform.run(&error)) << error;
    EXPECT_TRUE(top.platform.check_golden().passed);
}

TEST(PlatformModule, DefaultNameIsPlatform) {
    Platform platform(quick("driver"));
    EXPECT_STREQ(platform.name(), "platform");
    EXPECT_EQ(child_names(platform).count("platform.core"), 1u);  // the driver stands where the core does
    std::string error;
    ASSERT_TRUE(platform.run(&error)) << error;
    EXPECT_EQ(platform.end_cycle(), platform.driver()->finish_cycle());
}

TEST(PlatformModule, SocketsOnlyWithMemoryOpen) {
    Platform platform(quick("driver"));
    EXPECT_EQ(error_of([&] { platform.memory_initiator(); }),
              "platform: memory_initiator(): the platform binds its bus to its own Dram; construct it with "
              "PlatformOptions::bind_memory = false to bind the bus yourself");
    EXPECT_EQ(error_of([&] { platform.memory_target(); }),
              "platform: memory_target(): the platform binds its Dram to its own bus; construct it with "
              "PlatformOptions::bind_memory = false to bind the Dram yourself");
}

TEST(PlatformModule, HostChannelOnlyForAnExternalHost) {
    Platform platform(quick("driver"));
    EXPECT_EQ(error_of([&] { platform.host_channel(); }),
              "platform: host_channel(): host.kind is driver, whose host the platform binds itself; a host of your "
              "own needs host.kind: external");
    EXPECT_EQ(error_of([&] { platform.host_done(); }),
              "platform: host_done(): host.kind is driver, whose end the platform sees itself; only an external "
              "host reports its end");
}

// A user's host: waits `busy` cycles, reports its end (unless `report` is false), then keeps
// the simulation going `after` cycles more.
SC_MODULE(IdleHost) {
    sc_core::sc_port<RoccCoreIf> rocc;
    IdleHost(sc_core::sc_module_name name, Platform& platform, sim::Cycles busy, bool report, sim::Cycles after)
        : sc_module(name), rocc("rocc"), platform_(platform), busy_(busy), report_(report), after_(after) {
        SC_HAS_PROCESS(IdleHost);
        SC_THREAD(run);
    }
    void run() {
        sc_core::wait(platform_.clock().time(busy_));
        if (report_) platform_.host_done();
        sc_core::wait(platform_.clock().time(after_));
        if (report_) platform_.host_done();  // a second call changes nothing
    }
    Platform& platform_;
    sim::Cycles busy_;
    bool report_;
    sim::Cycles after_;
};

TEST(PlatformModule, ExternalHostEndsAtHostDone) {
    Platform platform(quick("external"));
    EXPECT_EQ(platform.core(), nullptr);
    EXPECT_EQ(platform.driver(), nullptr);
    IdleHost host("host", platform, 7, true, 5);
    host.rocc.bind(platform.host_channel());
    std::string error;
    ASSERT_TRUE(platform.run(&error)) << error;
    EXPECT_EQ(platform.end_cycle(), 7u);
    EXPECT_EQ(platform.clock().now(), 12u);  // the run went on to the end of the events
    EXPECT_EQ(platform.exit_code(), 0);
    // The host ran no layer: every h is still 0, and the golden model's is not.
    const GoldenCheck golden = platform.check_golden();
    EXPECT_FALSE(golden.passed);
    const std::string stats = stats_json(platform, golden);
    EXPECT_NE(stats.find("\"end_cycle\": 7,"), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"host\": {\"kind\": \"external\"}"), std::string::npos) << stats;
}

TEST(PlatformModule, ExternalHostWithoutHostDoneFails) {
    Platform platform(quick("external"));
    IdleHost host("host", platform, 7, false, 5);
    host.rocc.bind(platform.host_channel());
    std::string error;
    EXPECT_FALSE(platform.run(&error));
    EXPECT_EQ(error, "the external host did not call host_done() before the simulation ran out of events "
                     "(accelerator idle after 0 layer runs)");
}

TEST(PlatformModule, ExternalHostOutOfBudget) {
    PlatformConfig config = quick("external");
    config.max_cycles = 10;
    Platform platform(config);
    IdleHost host("host", platform, 20, true, 0);
    host.rocc.bind(platform.host_channel());
    std::string error;
    EXPECT_FALSE(platform.run(&error));
    EXPECT_EQ(error, "simulated-time budget max_cycles = 10 ran out before the host finished, at cycle 10 "
                     "(accelerator idle after 0 layer runs)");
}

// A user's bridge between the platform's bus and its Dram: counts the transactions and adds
// `extra` to each one's delay.
SC_MODULE(Bridge) {
    tlm_utils::simple_target_socket<Bridge, 64> in;
    tlm_utils::simple_initiator_socket<Bridge, 64> out;
    Bridge(sc_core::sc_module_name name, sc_core::sc_time extra) : sc_module(name), in("in"), out("out"), extra_(extra) {
        in.register_b_transport(this, &Bridge::b_transport);
        in.register_transport_dbg(this, &Bridge::transport_dbg);
    }
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        ++transactions;
        out->b_transport(trans, delay);
        delay += extra_;
    }
    unsigned int transport_dbg(tlm::tlm_generic_payload& trans) { return out->transport_dbg(trans); }
    std::uint64_t transactions = 0;
    sc_core::sc_time extra_;
};

// The core's fetches, loads and stores and the accelerator's port words all leave through
// memory_initiator(): with the user's bridge (3 cycles slower) in between, the firmware still
// runs the workload and every access crosses the bridge.
TEST(PlatformModule, CoreAndAcceleratorReachMemoryThroughTheUser) {
    Platform platform("platform", quick("core"), memory_open());
    Bridge bridge("bridge", platform.clock().time(3));
    platform.memory_initiator().bind(bridge.in);
    bridge.out.bind(platform.memory_target());
    std::string error;
    ASSERT_TRUE(platform.run(&error)) << error;
    EXPECT_TRUE(platform.check_golden().passed);
    // No DMI through the bridge: every instruction fetch is a transaction (and more for data).
    EXPECT_GT(bridge.transactions, platform.core()->instructions());
    EXPECT_EQ(bridge.transactions, platform.dram().accesses());
    EXPECT_EQ(platform.accelerator().runs().size(), 4u);
}

}  // namespace
}  // namespace elstm
