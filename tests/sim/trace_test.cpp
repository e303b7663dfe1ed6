#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/driver/rocc_driver.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>

namespace elstm {
namespace {

// The $var lines of a VCD as "scope.scope.name" below the top scope.
std::vector<std::string> vcd_names(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> scopes, names;
    std::string tok;
    while (in >> tok && tok != "$enddefinitions") {
        if (tok == "$scope") {
            std::string kind, name;
            in >> kind >> name;
            scopes.push_back(name);
        } else if (tok == "$upscope") {
            scopes.pop_back();
        } else if (tok == "$var") {
            std::string kind, bits, id, ref, name;
            in >> kind >> bits >> id >> ref;
            for (std::size_t i = 1; i < scopes.size(); ++i) name += scopes[i] + ".";
            names.push_back(name + ref);
        }
    }
    return names;
}

// A user's own sc_main builds the modules and traces them into its own VCD under its own
// prefix: every module's trace() adds its signals, without reaching into their members.
TEST(Trace, AUserTraceFileGetsEveryModulesSignals) {
    sim::Clock clock;
    Dram dram("dram", DramConfig{}, clock);
    RoccChannelConfig rc;
    rc.trace_port_cycles = true;
    RoccChannel rocc("rocc", rc, clock, Accelerator::known_functs());
    AcceleratorConfig ac;
    ac.pes = {{"wa", PeRole::spmv, 4}, {"uh", PeRole::spmspv, 4}};
    Accelerator accel("accel", ac, clock);
    RoccDriver host("host", {}, clock);
    rocc.mem.bind(dram.socket);
    accel.cmd.bind(rocc);
    accel.data.bind(rocc);
    host.rocc.bind(rocc);

    const std::string stem = testing::TempDir() + "elstm_user_trace";
    sc_core::sc_trace_file* file = sc_core::sc_create_vcd_trace_file(stem.c_str());
    host.trace(file, "top.host");
    rocc.trace(file, "top.rocc");
    dram.trace(file, "top.dram");
    accel.trace(file, "top.accel");
    // SystemC's own sc_object::trace(file), called through the base class: the module's name.
    static_cast<const sc_core::sc_object&>(dram).trace(file);
    sc_core::sc_start(clock.time(10));
    sc_core::sc_close_vcd_trace_file(file);

    const std::vector<std::string> names = vcd_names(stem + ".vcd");
    std::remove((stem + ".vcd").c_str());
    for (const char* want :
         {"top.host.state", "top.rocc.owner", "top.rocc.w_side", "top.rocc.u_side", "top.rocc.words", "top.rocc.port",
          "top.dram.busy", "top.accel.phase", "top.accel.uh_step", "top.accel.wa.state", "top.accel.wa.step",
          "top.accel.wa.step_last", "top.accel.uh.state", "top.accel.uh.step", "top.accel.uh.step_last",
          "top.accel.vpe.state", "top.accel.buf_x.fill", "top.accel.buf_wx.fill", "top.accel.buf_uh.fill",
          "top.accel.buf_h.fill", "top.accel.buf_c.fill", "top.accel.buf_bias.fill", "top.accel.buf_table.fill",
          "dram.busy"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want << " is not in the user's VCD";
    }
    EXPECT_EQ(names.size(), 24u);
}

}  // namespace
}  // namespace elstm
