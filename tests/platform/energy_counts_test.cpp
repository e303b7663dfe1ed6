// The energy model's events as one small layer run counts them, against counts worked out by
// hand from the layer's shape, weights and h outputs. Each test builds and runs a platform:
// gtest_discover_tests runs it in a process of its own.
#include <gtest/gtest.h>

#include <string>

#include <elstm_vp/numeric/lstm.hpp>
#include <elstm_vp/platform/energy.hpp>
#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

#include "config_fixture.hpp"

namespace elstm {
namespace {

using EnergyCounts = ConfigFixture;

// m = 6, n = 8 (rows = 32, 2 segments of U, x padded to 6 floats), 5 steps; 2 SpMV PEs fusing 2
// steps: batches of 4 and 1 step.
constexpr std::size_t kM = 6, kN = 8, kRows = 4 * kN, kSteps = 5, kSegments = 2;
constexpr float kThreshold = 0.3f;  // the layer's h_threshold
constexpr const char* kLayer = R"(accel: {n_pe: 3}
schedule: {n_fuse: 2}
workload:
  layers:
    - {input: 6, hidden: 8, w_sparsity: 0.5, u_sparsity: 0.5, h_threshold: 0.3, target_h_sparsity: 0.4}
  steps: 5
  sequences: 1
host: {kind: driver}
)";

std::uint64_t nonzeros(const DenseMatrix& m, std::size_t col0, std::size_t cols) {
    std::uint64_t count = 0;
    for (std::size_t r = 0; r < m.rows; ++r)
        for (std::size_t c = col0; c < col0 + cols; ++c) count += m.at(r, c) != 0.0f;
    return count;
}

TEST_F(EnergyCounts, OneLayerRunByHand) {
    Platform p(load_platform_config(write(kLayer), {}));
    std::string error;
    ASSERT_TRUE(p.run(&error)) << error;
    ASSERT_EQ(p.accelerator().runs().size(), 1u);
    const LayerRun& run = p.accelerator().runs()[0];
    const LstmLayerWeights& layer = p.image().layers[0];

    // Per buffer (buffers() order: x, wx, uh, h, c, bias, table), reads and writes of entries:
    // x staged padded, read unpadded by W·x; W·x and U·h results written and read once per step;
    // h and c zeroed at the start; h read by the pruning unit, the U PE and the store, written by
    // the vector PE; c read and written by the vector PE; bias loaded once, read every step; the
    // table loaded once, read whole every step to plan the U fetch.
    const std::uint64_t reads[] = {kSteps * kM, kSteps * kRows, kSteps * kRows, 3 * kSteps * kN,
                                   kSteps * kN, kSteps * kRows, kSteps * kSegments};
    const std::uint64_t writes[] = {kSteps * kM, kSteps * kRows, kSteps * kRows, kN + kSteps * kN,
                                    kN + kSteps * kN, kRows, kSegments};
    ASSERT_EQ(run.buffer_reads.size(), 7u);
    for (std::size_t b = 0; b < 7; ++b) {
        EXPECT_EQ(run.buffer_reads[b], reads[b]) << p.accelerator().buffers()[b]->basename();
        EXPECT_EQ(run.buffer_writes[b], writes[b]) << p.accelerator().buffers()[b]->basename();
        // The lifetime counters hold the one run's accesses.
        EXPECT_EQ(p.accelerator().buffers()[b]->reads(), reads[b]);
        EXPECT_EQ(p.accelerator().buffers()[b]->writes(), writes[b]);
    }

    // W·x: every non-zero of W each step. U·h: the non-zeros of U's columns in the blocks of
    // h_{t-1} that survive pruning (h_{-1} = 0 keeps none).
    EXPECT_EQ(run.macs_w, kSteps * nonzeros(layer.w, 0, kM));
    const std::vector<float> h = p.simulated_h(0, 0);
    std::uint64_t macs_u = 0, kept = 0;
    for (std::size_t t = 1; t < kSteps; ++t)
        for (std::size_t j = 0; j < kSegments; ++j)
            if (keep_h_block(&h[(t - 1) * kN + 4 * j], 4, kThreshold)) {
                macs_u += nonzeros(layer.u, 4 * j, 4);
                ++kept;
            }
    EXPECT_GT(kept, 0u);
    EXPECT_LT(kept, (kSteps - 1) * kSegments);  // some blocks pruned, some kept: the count is tested
    EXPECT_EQ(run.macs_u, macs_u);
    EXPECT_EQ(run.vector_ops, kSteps * kN);
    // Commands 0–5 from the driver, rs1 and rs2 each, and the start's response.
    EXPECT_EQ(run.command_words, 6u * 2 + 1);
    EXPECT_EQ(p.accelerator().command_words(), run.command_words);

    // The whole run's events are the run's, the PEs' lifetime MACs included.
    const EnergyEvents all = platform_energy_events(p);
    std::uint64_t pe_macs = 0;
    for (const auto& pe : p.accelerator().pes()) pe_macs += pe->macs();
    EXPECT_EQ(all.macs, run.macs_w + run.macs_u);
    EXPECT_EQ(all.macs, pe_macs);
    EXPECT_EQ(all.core_instructions, 0u);  // the driver, no core
}

}  // namespace
}  // namespace elstm
