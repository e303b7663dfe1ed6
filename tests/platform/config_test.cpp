#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config_fixture.hpp"

namespace elstm {
namespace {

namespace fs = std::filesystem;

const std::string kShipped = std::string(ELSTM_SOURCE_DIR) + "/configs/";

class ConfigTest : public ConfigFixture {
protected:
    // Asserts the message starts with `prefix` (location and key) and contains `detail`.
    static void expect_error(const std::string& message, const std::string& prefix, const std::string& detail) {
        EXPECT_EQ(message.rfind(prefix, 0), 0u) << message;
        EXPECT_NE(message.find(detail), std::string::npos) << message;
    }
};

const std::string kMinimal = "workload: {benchmark: mnist}\n";

std::vector<PeRole> roles(const PlatformConfig& c) {
    std::vector<PeRole> r;
    for (const PeConfig& pe : c.accel.pes) r.push_back(pe.role);
    return r;
}

// ---- The shipped configurations

TEST(ShippedConfigs, QuickLoads) {
    const PlatformConfig c = load_platform_config(kShipped + "quick.yaml", {});
    ASSERT_EQ(c.workload.spec.layers.size(), 2u);
    EXPECT_EQ(c.workload.spec.layers[0].input_size, 16u);
    EXPECT_EQ(c.workload.spec.layers[1].hidden_size, 16u);
    EXPECT_EQ(c.workload.spec.layers[1].target_h_sparsity, 0.4);
    EXPECT_EQ(c.workload.spec.steps, 8u);
    EXPECT_EQ(c.workload.spec.sequences, 2u);
    EXPECT_EQ(c.schedule.n_fuse, std::vector<unsigned>{2});
    EXPECT_EQ(c.accel.pes.size(), 3u);
    EXPECT_EQ(c.vcd, kShipped + "../traces/quick.vcd");  // relative to the YAML file's folder
    EXPECT_EQ(c.stats, "");
}

TEST(ShippedConfigs, BenchmarksLoad) {
    struct Row {
        const char* file;
        const char* benchmark;
        std::vector<unsigned> n_fuse;
        std::size_t steps;
        Schedule kind;
    };
    const Row rows[] = {
        {"mnist", "mnist", {4, 3}, 28, Schedule::cell_fusion},
        {"ptb", "ptb", {3, 2}, 35, Schedule::cell_fusion},
        {"wikitext", "wikitext", {4, 6}, 35, Schedule::cell_fusion},
        {"ptb_sequential", "ptb", {3, 2}, 35, Schedule::sequential},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.file);
        const PlatformConfig c = load_platform_config(kShipped + row.file + ".yaml", {});
        const WorkloadSpec expected = benchmark_spec(row.benchmark);
        ASSERT_EQ(c.workload.spec.layers.size(), 2u);
        for (std::size_t k = 0; k < 2; ++k) {
            EXPECT_EQ(c.workload.spec.layers[k].input_size, expected.layers[k].input_size);
            EXPECT_EQ(c.workload.spec.layers[k].h_threshold, expected.layers[k].h_threshold);
            EXPECT_EQ(c.workload.spec.layers[k].target_h_sparsity, 0.5);
        }
        EXPECT_EQ(c.workload.spec.steps, row.steps);
        EXPECT_EQ(c.schedule.n_fuse, row.n_fuse);
        EXPECT_EQ(c.schedule.kind, row.kind);
        EXPECT_EQ(roles(c), (std::vector<PeRole>{PeRole::spmv, PeRole::spmv, PeRole::spmspv}));
        EXPECT_EQ(c.dram.latency, 30u);
        EXPECT_EQ(c.rocc.memory_latency, 30u);
        EXPECT_EQ(c.vcd, kShipped + "../traces/" + row.file + ".vcd");
    }
}

// ---- Defaults and overrides

TEST_F(ConfigTest, DefaultsApply) {
    const std::string path = write(kMinimal);
    const PlatformConfig c = load_platform_config(path, {});
    EXPECT_EQ(c.source, path);
    EXPECT_EQ(c.clock_mhz, 1000.0);
    EXPECT_EQ(c.max_cycles, 0u);  // no simulated-time budget
    EXPECT_EQ(c.rocc.timing, PortTiming::fast);
    EXPECT_EQ(c.rocc.word_bits, 64u);
    EXPECT_EQ(c.rocc.words_per_cycle, 1u);
    EXPECT_EQ(c.dram.base, 0x80000000ull);
    EXPECT_EQ(c.dram.latency, 30u);
    EXPECT_EQ(c.rocc.memory_latency, 30u);
    ASSERT_EQ(c.accel.pes.size(), 3u);
    EXPECT_EQ(c.accel.pes[0].name, "pe0");
    EXPECT_EQ(c.accel.pes[2].name, "pe2");
    EXPECT_EQ(roles(c), (std::vector<PeRole>{PeRole::spmv, PeRole::spmv, PeRole::spmspv}));
    EXPECT_EQ(c.accel.pes[0].macc_per_cycle, 4u);
    EXPECT_TRUE(c.auto_capacity.x && c.auto_capacity.wx && c.auto_capacity.table);
    EXPECT_EQ(c.accel.buffers.table.entry_bits, 16u);
    EXPECT_EQ(c.schedule.kind, Schedule::cell_fusion);
    EXPECT_EQ(c.schedule.n_fuse, std::vector<unsigned>{3});
    EXPECT_EQ(c.schedule.skip, SkipPolicy::h_block_threshold);
    EXPECT_EQ(c.accel.format, WeightFormat::esell);
    EXPECT_EQ(c.accel.datapath, Datapath::fp32);
    EXPECT_EQ(c.workload.spec.layers[0].pruning, PruningKind::unstructured);
    EXPECT_EQ(c.workload.spec.steps, 28u);  // mnist's own
    EXPECT_EQ(c.workload.spec.sequences, 1u);
    EXPECT_FALSE(c.workload.spec.layers[0].target_h_sparsity.has_value());
    EXPECT_EQ(c.vcd, "");
    EXPECT_EQ(c.stats, "");
}

TEST_F(ConfigTest, ValuesAreRead) {
    const std::string path = write(
        "clock_mhz: 800\n"
        "dram: {base: 0x1000, size: 1GiB, latency: 0, bytes_per_cycle: 16}\n"
        "accel:\n"
        "  pes:\n"
        "    - {name: w_a, role: spmv, macc_per_cycle: 2}\n"
        "    - {name: u, role: spmspv}\n"
        "  buffers:\n"
        "    wx: {capacity: 4096, entry_bits: 16, ports: 2}\n"
        "    uh: {capacity: auto}\n"
        "schedule: {kind: sequential, pruning: false}\n"
        "workload:\n"
        "  benchmark: ptb\n"
        "  target_h_sparsity: [0.3, 0.6]\n"
        "  steps: 7\n"
        "  seed: 18446744073709551615\n"
        "trace: {vcd: a.vcd}\n"
        "stats: out.json\n");
    const PlatformConfig c = load_platform_config(path, {});
    EXPECT_EQ(c.clock_mhz, 800.0);
    EXPECT_EQ(c.dram.base, 0x1000u);
    EXPECT_EQ(c.dram.size, 1ull << 30);
    EXPECT_EQ(c.dram.bytes_per_cycle, 16u);
    EXPECT_EQ(c.rocc.memory_latency, 0u);
    ASSERT_EQ(c.accel.pes.size(), 2u);
    EXPECT_EQ(c.accel.pes[0].name, "w_a");
    EXPECT_EQ(c.accel.pes[0].macc_per_cycle, 2u);
    EXPECT_EQ(c.accel.pes[1].role, PeRole::spmspv);
    EXPECT_EQ(c.accel.buffers.wx.capacity, 4096u);
    EXPECT_EQ(c.accel.buffers.wx.ports, 2u);
    EXPECT_FALSE(c.auto_capacity.wx);
    EXPECT_TRUE(c.auto_capacity.uh);
    EXPECT_EQ(c.schedule.kind, Schedule::sequential);
    EXPECT_EQ(c.schedule.skip, SkipPolicy::none);
    EXPECT_EQ(c.workload.spec.layers[0].target_h_sparsity, 0.3);
    EXPECT_EQ(c.workload.spec.layers[1].target_h_sparsity, 0.6);
    EXPECT_EQ(c.workload.spec.steps, 7u);
    EXPECT_EQ(c.workload.spec.seed, 18446744073709551615ull);
    EXPECT_EQ(c.vcd, (dir_ / "a.vcd").string());
    EXPECT_EQ(c.stats, (dir_ / "out.json").string());
}

// Relative output paths of the config are relative to its folder, from the file or --set alike;
// absolute ones, "" (none) and "-" (stdout) stay as they are.
TEST_F(ConfigTest, OutputPathsAreRelativeToTheConfig) {
    const std::string path = write("trace: {vcd: sub/t.vcd}\nstats: ../s.json\n" + kMinimal);
    const PlatformConfig c = load_platform_config(path, {});
    EXPECT_EQ(c.vcd, (dir_ / "sub/t.vcd").string());
    EXPECT_EQ(c.stats, (dir_ / "../s.json").string());
    const PlatformConfig set = load_platform_config(path, {"trace.vcd=x.vcd", "stats=/abs/s.json"});
    EXPECT_EQ(set.vcd, (dir_ / "x.vcd").string());
    EXPECT_EQ(set.stats, "/abs/s.json");
    const PlatformConfig special = load_platform_config(path, {"trace.vcd='-'", "stats="});
    EXPECT_EQ(special.vcd, "-");
    EXPECT_EQ(special.stats, "");
}

TEST_F(ConfigTest, OverridesApply) {
    const std::string path = write("accel:\n  n_pe: 3\n" + kMinimal);
    const PlatformConfig c = load_platform_config(
        path, {"accel.n_pe=5", "schedule.n_fuse=[3,2]", "timing=exact", "accel.buffers.x.capacity=4096",
               "workload.steps=10", "trace.vcd=traces/x.vcd", "trace.vcd="});
    EXPECT_EQ(roles(c), (std::vector<PeRole>{PeRole::spmv, PeRole::spmv, PeRole::spmv, PeRole::spmv,
                                              PeRole::spmspv}));
    EXPECT_EQ(c.accel.pes[4].name, "pe4");
    EXPECT_EQ(c.schedule.n_fuse, (std::vector<unsigned>{3, 2}));
    EXPECT_EQ(c.rocc.timing, PortTiming::exact);
    EXPECT_EQ(c.accel.buffers.x.capacity, 4096u);
    EXPECT_FALSE(c.auto_capacity.x);
    EXPECT_TRUE(c.auto_capacity.wx);
    EXPECT_EQ(c.workload.spec.steps, 10u);
    EXPECT_EQ(c.vcd, "");  // the last --set wins
}

TEST_F(ConfigTest, OverrideReachesListEntries) {
    const std::string path = write(
        "accel:\n  pes:\n    - {name: a, role: spmv}\n    - {name: b, role: spmspv}\n" + kMinimal);
    const PlatformConfig c =
        load_platform_config(path, {"accel.pes[0].macc_per_cycle=1", "accel.vector_pe={lanes: 8}"});
    EXPECT_EQ(c.accel.pes[0].macc_per_cycle, 1u);
    EXPECT_EQ(c.accel.vector_pe.lanes, 8u);
}

TEST_F(ConfigTest, NpyLayersResolveAgainstTheYamlDirectory) {
    fs::create_directories(dir_ / "w");
    for (const char* f : {"w/w0.npy", "w/u0.npy", "w/b0.npy"}) write("", f);
    const std::string path = write(
        "workload:\n"
        "  layers:\n"
        "    - {npy: {w: w/w0.npy, u: w/u0.npy, bias: w/b0.npy}, h_threshold: 0.2}\n"
        "  steps: 5\n");
    const PlatformConfig c = load_platform_config(path, {});
    ASSERT_EQ(c.workload.npy_layers.size(), 1u);
    EXPECT_TRUE(c.workload.spec.layers.empty());
    EXPECT_EQ(c.workload.npy_layers[0].w, (dir_ / "w/w0.npy").string());
    EXPECT_FLOAT_EQ(c.workload.npy_layers[0].h_threshold, 0.2f);
    EXPECT_EQ(c.workload.spec.steps, 5u);
}

// ---- Errors: each names the file, line and column (or the --set) and the key

TEST_F(ConfigTest, UnknownTopLevelKey) {
    const std::string path = write("clock_mhz: 1000\nfoo: 1\n" + kMinimal);
    expect_error(error_of(path), path + ":2:1: foo: unknown key",
                 "valid keys at the top level: clock_mhz, timing, max_cycles, dram, rocc, accel, schedule, workload, host, "
                 "energy, limits, trace, stats");
}

TEST_F(ConfigTest, UnknownNestedKey) {
    const std::string path = write("accel:\n  vector_pe:\n    lanez: 4\n" + kMinimal);
    expect_error(error_of(path), path + ":3:5: accel.vector_pe.lanez: unknown key",
                 "valid keys of accel.vector_pe: lanes, latency");
}

TEST_F(ConfigTest, DuplicateKey) {
    const std::string path = write("timing: fast\ntiming: exact\n" + kMinimal);
    expect_error(error_of(path), path + ":2:1: timing: duplicate key", "first at line 1");
}

TEST_F(ConfigTest, WrongType) {
    const std::string path = write("dram:\n  latency: fast\n" + kMinimal);
    expect_error(error_of(path), path + ":2:12: dram.latency: expected an integer in [0, 1000000], got 'fast'", "");
}

TEST_F(ConfigTest, QuotedNumberIsAString) {
    const std::string path = write("dram:\n  latency: \"30\"\n" + kMinimal);
    expect_error(error_of(path), path + ":2:12: dram.latency: ", "got the quoted string \"30\"");
}

TEST_F(ConfigTest, MapWhereScalarExpected) {
    const std::string path = write("accel: 3\n" + kMinimal);
    expect_error(error_of(path), path + ":1:8: accel: expected a map", "got '3'");
}

TEST_F(ConfigTest, NegativeLatency) {
    const std::string path = write("dram:\n  latency: -5\n" + kMinimal);
    expect_error(error_of(path), path + ":2:12: dram.latency: -5 is negative", "");
}

TEST_F(ConfigTest, NonIntegerForInteger) {
    const std::string path = write("rocc:\n  command_queue: 2.5\n" + kMinimal);
    expect_error(error_of(path), path + ":2:18: rocc.command_queue: 2.5 is not an integer", "");
}

TEST_F(ConfigTest, OnePeIsTooFew) {
    const std::string path = write("accel:\n  n_pe: 1\n" + kMinimal);
    expect_error(error_of(path), path + ":2:9: accel.n_pe: 1 is out of range", "in [2, 64]");
}

TEST_F(ConfigTest, NPeAndPesConflict) {
    const std::string path =
        write("accel:\n  n_pe: 3\n  pes:\n    - {name: a, role: spmv}\n    - {name: b, role: spmspv}\n" + kMinimal);
    expect_error(error_of(path), path + ":4:5: accel.pes: conflicts with accel.n_pe (line 2)", "");
}

TEST_F(ConfigTest, DuplicatePeName) {
    const std::string path = write(
        "accel:\n  pes:\n    - {name: pe0, role: spmv}\n    - {name: pe0, role: spmspv}\n" + kMinimal);
    expect_error(error_of(path), path + ":4:14: accel.pes[1].name: duplicate PE name 'pe0'", "first at line 3");
}

TEST_F(ConfigTest, PeNameMustBeAnIdentifier) {
    const std::string path = write(
        "accel:\n  pes:\n    - {name: 0pe, role: spmv}\n    - {name: u, role: spmspv}\n" + kMinimal);
    expect_error(error_of(path), path + ":3:14: accel.pes[0].name: '0pe' is not an identifier", "");
}

TEST_F(ConfigTest, TwoSpmspvPes) {
    const std::string path = write(
        "accel:\n  pes:\n    - {name: a, role: spmv}\n    - {name: b, role: spmspv}\n"
        "    - {name: c, role: spmspv}\n" +
        kMinimal);
    expect_error(error_of(path), path + ":3:5: accel.pes: needs exactly one spmspv PE (U·h), found 2 (b, c)", "");
}

TEST_F(ConfigTest, NoSpmvPe) {
    const std::string path = write("accel:\n  pes:\n    - {name: u, role: spmspv}\n" + kMinimal);
    expect_error(error_of(path), path + ":3:5: accel.pes: needs at least one spmv PE", "");
}

TEST_F(ConfigTest, BadRole) {
    const std::string path = write(
        "accel:\n  pes:\n    - {name: pe0, role: spmv}\n    - {name: pe1, role: spmvv}\n"
        "    - {name: pe2, role: spmspv}\n" +
        kMinimal);
    expect_error(error_of(path), path + ":4:25: accel.pes[1].role: 'spmvv' is not one of spmv, spmspv", "");
}

TEST_F(ConfigTest, SyntaxError) {
    const std::string path = write("dram:\n  latency: 30: 4\n");
    expect_error(error_of(path), path + ":2:14: YAML syntax error: illegal map value", "");
}

TEST_F(ConfigTest, MissingFile) {
    const std::string path = (dir_ / "absent.yaml").string();
    expect_error(error_of(path), path + ": cannot open", "No such file");
}

TEST_F(ConfigTest, EmptyFileLacksAWorkload) {
    const std::string path = write("");
    expect_error(error_of(path), path + ": workload: required", "workload.benchmark or workload.layers");
}

TEST_F(ConfigTest, SetUnknownKey) {
    const std::string path = write(kMinimal);
    expect_error(error_of(path, {"accel.foo=3"}), "--set accel.foo=3: unknown key 'accel.foo' (--set)",
                 "valid keys of accel: n_pe, format, datapath, pes, vector_pe, buffers");
    expect_error(error_of(path, {"schedule.n_fuse.x=3"}), "--set schedule.n_fuse.x=3: unknown key", "(--set)");
}

TEST_F(ConfigTest, SetBadValue) {
    const std::string path = write(kMinimal);
    expect_error(error_of(path, {"dram.latency=abc"}), "--set dram.latency=abc: expected an integer", "got 'abc'");
    expect_error(error_of(path, {"accel.vector_pe={lanes: 0}"}),
                 "--set accel.vector_pe={lanes: 0}: accel.vector_pe.lanes: 0 is out of range", "");
}

TEST_F(ConfigTest, SetMalformed) {
    const std::string path = write(kMinimal);
    expect_error(error_of(path, {"accel.n_pe"}), "--set accel.n_pe: expected KEY=VALUE", "");
    expect_error(error_of(path, {"accel..n_pe=3"}), "--set accel..n_pe=3: 'accel..n_pe' is not a key path", "");
    expect_error(error_of(path, {"accel.pes[0].role=spmv"}), "--set accel.pes[0].role=spmv: no entry accel.pes[0]", "");
}

TEST_F(ConfigTest, SetConflictNamesTheSet) {
    const std::string path =
        write("accel:\n  pes:\n    - {name: a, role: spmv}\n    - {name: b, role: spmspv}\n" + kMinimal);
    expect_error(error_of(path, {"accel.n_pe=4"}),
                 path + ":3:5: accel.pes: conflicts with accel.n_pe (--set accel.n_pe=4)", "");
}

TEST_F(ConfigTest, NpyFileMissing) {
    write("", "w0.npy");
    const std::string path = write(
        "workload:\n"
        "  layers:\n"
        "    - npy: {w: w0.npy, u: u0.npy, bias: w0.npy}\n"
        "  steps: 5\n");
    expect_error(error_of(path), path + ":3:27: workload.layers[0].npy.u: 'u0.npy' does not exist",
                 (dir_ / "u0.npy").string());
}

TEST_F(ConfigTest, NpyAndGeneratedLayersDoNotMix) {
    write("", "a.npy");
    const std::string path = write(
        "workload:\n"
        "  layers:\n"
        "    - npy: {w: a.npy, u: a.npy, bias: a.npy}\n"
        "    - {input: 4, hidden: 4}\n"
        "  steps: 5\n");
    expect_error(error_of(path), path + ":4:7: workload.layers[1]: is generated but workload.layers[0] reads npy files",
                 "");
}

TEST_F(ConfigTest, LayersMustChain) {
    const std::string path = write(
        "workload:\n"
        "  layers:\n"
        "    - {input: 8, hidden: 16}\n"
        "    - {input: 8, hidden: 16}\n"
        "  steps: 5\n");
    expect_error(error_of(path), path + ":4:7: workload.layers[1]: input_size = 8 must equal", "hidden_size = 16");
}

TEST_F(ConfigTest, BenchmarkAndLayersConflict) {
    const std::string path = write("workload:\n  benchmark: ptb\n  layers:\n    - {input: 8, hidden: 8}\n");
    expect_error(error_of(path), path + ":4:5: workload.layers: conflicts with workload.benchmark (line 2)", "");
}

TEST_F(ConfigTest, LayerNeedsItsShape) {
    const std::string path = write("workload:\n  layers:\n    - {input: 8}\n  steps: 5\n");
    expect_error(error_of(path), path + ":3:7: workload.layers[0].hidden: required key is missing", "");
}

TEST_F(ConfigTest, NFuseListLengthMismatch) {
    const std::string path = write("schedule:\n  n_fuse: [3, 2, 1]\n" + kMinimal);
    expect_error(error_of(path), path + ":2:11: schedule.n_fuse: the list has 3 values",
                 "but the workload has 2 layers");
    expect_error(error_of(write(kMinimal, "b.yaml"), {"schedule.n_fuse=[4]"}),
                 "--set schedule.n_fuse=[4]: the list has 1 value but the workload has 2 layers", "");
}

TEST_F(ConfigTest, TargetSparsityListLengthMismatch) {
    const std::string path = write("workload:\n  benchmark: ptb\n  target_h_sparsity: [0.5]\n");
    expect_error(error_of(path), path + ":3:22: workload.target_h_sparsity: the list has 1 value but", "");
}

TEST_F(ConfigTest, WordsPerCycleIsOne) {
    const std::string path = write("rocc:\n  words_per_cycle: 2\n" + kMinimal);
    expect_error(error_of(path), path + ":2:20: rocc.words_per_cycle: only 1 is supported", "one word per cycle");
}

TEST_F(ConfigTest, WordBitsIs64) {
    const std::string path = write("rocc:\n  word_bits: 32\n" + kMinimal);
    expect_error(error_of(path), path + ":2:14: rocc.word_bits: only 64 is supported", "eSELL");
}

TEST_F(ConfigTest, ClockPeriodMustBeWholePicoseconds) {
    const std::string path = write("clock_mhz: 3\n" + kMinimal);
    expect_error(error_of(path), path + ":1:12: clock_mhz: 3 MHz gives a clock period of 333333.333333 ps",
                 "whole number of picoseconds");
}

TEST_F(ConfigTest, MaxCycles) {
    EXPECT_EQ(load_platform_config(write("max_cycles: 0x1000\n" + kMinimal), {}).max_cycles, 4096u);
    expect_error(error_of(write("max_cycles: 0\n" + kMinimal, "b.yaml")), "", "max_cycles: 0 is out of range");
    // 10^15 cycles of 1 µs do not fit SystemC's 64-bit picosecond time.
    expect_error(error_of(write("clock_mhz: 1\nmax_cycles: 1000000000000000\n" + kMinimal, "c.yaml")), "",
                 "max_cycles: 1000000000000000 cycles of 1000000 ps exceed SystemC's time range; at most 18446744073708");
}

TEST_F(ConfigTest, DramChecks) {
    expect_error(error_of(write("dram: {base: 0x1004}\n" + kMinimal)), "", "dram.base: 0x1004 is not a multiple of 8");
    expect_error(error_of(write("dram: {size: 17GiB}\n" + kMinimal, "b.yaml")), "", "dram.size: 17GiB is out of range");
    expect_error(error_of(write("dram: {size: 512MB}\n" + kMinimal, "c.yaml")), "", "dram.size: expected a size");
}

// ---- The energy table

TEST_F(ConfigTest, EnergyKeysAreRead) {
    const PlatformConfig defaults = load_platform_config(write(kMinimal), {});
    EXPECT_EQ(defaults.energy.dram_word, 1280.0);
    EXPECT_EQ(defaults.energy.core_instruction, 70.0);
    const PlatformConfig c = load_platform_config(
        write("energy: {dram_word: 640, buffer_access_32: 0, mac: 1.5, mac_fixed: 2.5, vector_op: 3.5,\n"
              "         rocc_word: 4.5}\n" + kMinimal, "e.yaml"),
        {"energy.core_instruction=16"});
    EXPECT_EQ(c.energy.dram_word, 640.0);
    EXPECT_EQ(c.energy.buffer_access_32, 0.0);
    EXPECT_EQ(c.energy.mac, 1.5);
    EXPECT_EQ(c.energy.mac_fixed, 2.5);
    EXPECT_EQ(c.energy.vector_op, 3.5);
    EXPECT_EQ(c.energy.rocc_word, 4.5);
    EXPECT_EQ(c.energy.core_instruction, 16.0);
    const std::string bad = write("energy:\n  vector_op: -0.5\n" + kMinimal, "bad.yaml");
    expect_error(error_of(bad), bad + ":2:14: energy.vector_op: -0.5 is out of range", "expected a number >= 0");
}

// ---- The variants (format, datapath, skip policy, pruning kind)

TEST_F(ConfigTest, VariantKeysAreRead) {
    const PlatformConfig c = load_platform_config(
        write("accel: {format: csc_ese, datapath: fixed}\n"
              "schedule: {skip: delta, delta: {theta_x: 0.25, theta_h: 0.125}}\n"
              "workload: {benchmark: mnist, pruning: load_balanced}\n"),
        {});
    EXPECT_EQ(c.accel.format, WeightFormat::csc_ese);
    EXPECT_EQ(c.accel.datapath, Datapath::fixed);
    EXPECT_EQ(c.schedule.skip, SkipPolicy::delta);
    EXPECT_EQ(c.schedule.theta_x, 0.25f);
    EXPECT_EQ(c.schedule.theta_h, 0.125f);
    for (const LayerSpec& l : c.workload.spec.layers) EXPECT_EQ(l.pruning, PruningKind::load_balanced);
    const PlatformConfig layers = load_platform_config(
        write("workload:\n  steps: 2\n  layers:\n    - {input: 8, hidden: 8, pruning: bank_balanced}\n"
              "    - {input: 8, hidden: 4}\n",
              "b.yaml"),
        {"accel.format=cbs_bbs"});
    EXPECT_EQ(layers.accel.format, WeightFormat::cbs_bbs);
    EXPECT_EQ(layers.workload.spec.layers[0].pruning, PruningKind::bank_balanced);
    EXPECT_EQ(layers.workload.spec.layers[1].pruning, PruningKind::unstructured);
}

TEST_F(ConfigTest, VariantErrorsAndPrecedence) {
    expect_error(error_of(write("accel: {format: coo}\n" + kMinimal)), "", "accel.format: 'coo' is not one of");
    expect_error(error_of(write("accel: {datapath: int8}\n" + kMinimal, "b.yaml")), "",
                 "accel.datapath: 'int8' is not one of");
    // schedule.skip decides over the older schedule.pruning.
    const std::string both = write("schedule: {pruning: false, skip: delta}\n" + kMinimal, "c.yaml");
    EXPECT_EQ(load_platform_config(both, {}).schedule.skip, SkipPolicy::delta);
    EXPECT_EQ(load_platform_config(both, {"schedule.skip=h_block_threshold"}).schedule.skip,
              SkipPolicy::h_block_threshold);
    EXPECT_EQ(load_platform_config(write("schedule: {pruning: false}\n" + kMinimal, "c2.yaml"), {}).schedule.skip,
              SkipPolicy::none);
    const std::string theta = write("schedule: {delta: {theta_x: 0.1}}\n" + kMinimal, "d.yaml");
    expect_error(error_of(theta), theta + ":1:19: schedule.delta: applies to schedule.skip: delta only", "");
    expect_error(error_of(write("schedule: {skip: delta, delta: {theta_h: -1}}\n" + kMinimal, "e.yaml")), "",
                 "schedule.delta.theta_h: -1 is out of range");
    expect_error(error_of(write("workload: {benchmark: ptb, pruning: random}\n", "f.yaml")), "",
                 "workload.pruning: 'random' is not one of");
    const std::string cpu = write("accel: {format: csr}\nhost: {firmware: lstm_cpu}\n" + kMinimal, "g.yaml");
    expect_error(error_of(cpu), cpu + ":2:18: host.firmware: lstm_cpu runs only the E-LSTM variant", "accel.format esell");
}

// host.kind: external is for a program that binds its own host to the Platform; a program with
// none to bind (elstm-vp) refuses it at its key, from the file or from --set.
TEST_F(ConfigTest, ExternalHost) {
    const std::string path = write("host:\n  kind: external\n" + kMinimal);
    EXPECT_EQ(load_platform_config(path, {}).host.kind, HostKind::external);
    EXPECT_EQ(load_platform_config(write(kMinimal, "b.yaml"), {"host.kind=external"}).host.kind, HostKind::external);
    ConfigOptions none;
    none.external_host = false;
    const auto refused = [&none](const std::string& file, const std::vector<std::string>& overrides) {
        try {
            load_platform_config(file, overrides, none);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("loaded");
    };
    const std::string detail = "external needs a host of your own program bound to the Platform module in C++";
    expect_error(refused(path, {}), path + ":2:9: host.kind: " + detail, "this program has none: use core or driver");
    expect_error(refused(write(kMinimal, "c.yaml"), {"host.kind=external"}), "--set host.kind=external: " + detail, "");
    EXPECT_EQ(load_platform_config(path, {"host.kind=driver"}, none).host.kind, HostKind::driver);
    // The user's host runs what it likes, also without a workload (no firmware to name).
    EXPECT_TRUE(load_platform_config(write("workload: none\nhost: {kind: external}\n", "d.yaml"), {}).workload.none);
    expect_error(error_of(write("host: {kind: user}\n" + kMinimal, "e.yaml")), "",
                 "host.kind: 'user' is not one of core, driver, external");
}

TEST(ShippedConfigs, VariantsLoad) {
    std::size_t loaded = 0;
    for (const auto& entry : fs::directory_iterator(kShipped + "variants")) {
        const PlatformConfig c = load_platform_config(entry.path().string(), {});
        EXPECT_EQ(c.workload.spec.layers.size(), 2u) << entry.path();
        ++loaded;
    }
    EXPECT_EQ(loaded, 15u);
}

}  // namespace
}  // namespace elstm
