// Configurations built to break the reader: several documents, aliases, deep nesting, values
// beyond what a field or the model holds. Each must fail with the file, line and key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config_fixture.hpp"

namespace elstm {
namespace {

class HostileConfig : public ConfigFixture {
protected:
    // The ConfigError message of loading `text`, or "" (and a failure) when it loads.
    std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
        path_ = write(text);
        return ConfigFixture::error_of(path_, overrides);
    }

    std::string path_;
};

const std::string kMinimal = "workload: {benchmark: mnist}\n";

TEST_F(HostileConfig, SecondDocumentIsAnError) {
    const std::string two = error_of(kMinimal + "---\nclock_mhz: 3\n");
    EXPECT_EQ(two, path_ + ":2:1: a second YAML document starts here (after '---' or a complete value); give one");
    EXPECT_EQ(error_of(kMinimal, {"schedule.n_fuse=[2, 3] [4, 5]"}),
              "--set schedule.n_fuse=[2, 3] [4, 5]: more follows the value, from column 8; give one YAML value");
    EXPECT_EQ(error_of(kMinimal, {"accel.n_pe=[1], 2"}),
              "--set accel.n_pe=[1], 2: more follows the value, from column 4; give one YAML value");
    EXPECT_EQ(error_of(kMinimal, {"accel.vector_pe={lanes: 8}\nlatency: 3"}),
              "--set accel.vector_pe={lanes: 8}...: the value has a line break; give one value on one line");
}

TEST_F(HostileConfig, SetChangesOneUseOfAnAlias) {
    const std::string path = write(
        "workload:\n  layers: [&l {input: 16, hidden: 16}, *l]\n  steps: 4\n"
        "accel:\n  vector_pe: &v {lanes: 4}\n  buffers: {x: {ports: &p 2}, h: {ports: *p}}\n");
    const PlatformConfig c = load_platform_config(path, {"workload.layers[1].hidden=8", "accel.buffers.h.ports=3"});
    ASSERT_EQ(c.workload.spec.layers.size(), 2u);
    EXPECT_EQ(c.workload.spec.layers[0].hidden_size, 16u);
    EXPECT_EQ(c.workload.spec.layers[1].hidden_size, 8u);
    EXPECT_EQ(c.accel.buffers.x.ports, 2u);
    EXPECT_EQ(c.accel.buffers.h.ports, 3u);
}

TEST_F(HostileConfig, AliasesCannotLoopOrExplode) {
    const std::string loop = error_of(kMinimal + "trace: &t {vcd: *t}\n");
    EXPECT_EQ(loop, path_ + ":2:8: an alias inside the value it names (it would never end)");
    std::string laughs = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
    for (int k = 1; k < 6; ++k) {
        laughs += "a" + std::to_string(k) + ": &a" + std::to_string(k) + " [";
        for (int j = 0; j < 10; ++j) laughs += (j ? ", *a" : "*a") + std::to_string(k - 1);
        laughs += "]\n";
    }
    const std::string explode = error_of(laughs);
    EXPECT_EQ(explode, path_ +
                                    ":1:1: more than 100000 values (each use of an alias counted); a configuration "
                                    "needs far fewer");
}

TEST_F(HostileConfig, DeepNestingSaysSo) {
    const std::string message = error_of("a: " + std::string(3000, '[') + std::string(3000, ']') + "\n");
    EXPECT_EQ(message.rfind(path_ + ":1:", 0), 0u) << message;
    EXPECT_NE(message.find(": YAML nesting deeper than "), std::string::npos) << message;
}

TEST_F(HostileConfig, ClockRange) {
    EXPECT_EQ(error_of(kMinimal, {"clock_mhz=1e-9"}), "--set clock_mhz=1e-9: 1e-9 is out of range; expected a number in [1, 1000000]");
    EXPECT_EQ(load_platform_config(write("clock_mhz: 1\n" + kMinimal), {}).clock_mhz, 1.0);
}

TEST_F(HostileConfig, PeNamesAndCount) {
    const std::string taken = error_of(kMinimal + "accel: {pes: [{name: vpe, role: spmv}, {name: u, role: spmspv}]}\n");
    EXPECT_EQ(taken, path_ + ":2:22: accel.pes[0].name: 'vpe' is taken by a part of the accelerator; reserved: cmd, data, "
                      "phase, uh_step, buf_x, buf_wx, buf_uh, buf_h, buf_c, buf_bias, buf_table, vpe, run, w_side, "
                      "wx_side, u_side");
    std::string pes = "accel:\n  pes:\n";
    for (int k = 0; k < 64; ++k) pes += "    - {name: p" + std::to_string(k) + ", role: spmv}\n";
    pes += "    - {name: u, role: spmspv}\n";
    const std::string many = error_of(kMinimal + pes);
    EXPECT_EQ(many, path_ + ":4:5: accel.pes: 65 PEs; at most 64 (as with accel.n_pe)");
}

TEST_F(HostileConfig, NothingIgnoredOrClamped) {
    const std::string layer = "workload:\n  layers: [{input: 4, hidden: 16, gain: 2, target_h_sparsity: 0.5}]\n"
                              "  steps: 2\n";
    const std::string both = error_of(layer);
    EXPECT_EQ(both, path_ + ":2:41: workload.layers[0].gain: conflicts with workload.layers[0].target_h_sparsity (line 2); give only one of them");
    EXPECT_EQ(load_platform_config(write("workload: {benchmark: ptb, gain: 2.5}\n"), {}).workload.spec.layers[1].gain,
              2.5);
    EXPECT_EQ(error_of("workload: {benchmark: ptb, target_h_sparsity: 0.5}\n", {"workload.gain=2"}),
              "--set workload.gain=2: conflicts with workload.target_h_sparsity (line 1); give only one of them");
    const std::string wide = error_of("workload: {layers: [{input: 4, hidden: 16, gain: 1e6}], steps: 2}\n");
    EXPECT_EQ(wide, path_ + ":1:50: workload.layers[0].gain: 1e6 gives weights up to ±250000 (gain/√16), beyond the "
                      "largest fp16 value 65504");
    EXPECT_EQ(error_of(kMinimal, {"workload.gain=1e6"}),
              "--set workload.gain=1e6: 1e6 gives weights up to ±88388.3 (gain/√128), beyond the largest fp16 "
              "value 65504");
    EXPECT_EQ(error_of("workload: {layers: [{input: 4, hidden: 4}], steps: 2}\n",
                       {"workload.layers[0].h_threshold=1e308"}),
              "--set workload.layers[0].h_threshold=1e308: 1e308 is beyond the range of a 32-bit float (at most "
              "3.40282e+38)");
    EXPECT_EQ(error_of(kMinimal, {"host.golden_tolerance=1e30"}),
              "--set host.golden_tolerance=1e30: 1e30 is out of range; expected a number in [0, 0.01]");
}

}  // namespace
}  // namespace elstm
