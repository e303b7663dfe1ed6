#include <elstm_vp/numeric/lstm.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/workload.hpp>

namespace elstm {
namespace {

DenseMatrix matrix(std::size_t rows, std::size_t cols, std::vector<float> values) {
    DenseMatrix m(rows, cols);
    m.values = std::move(values);
    return m;
}

// m = 2, n = 2; every value a small power-of-two multiple, so fp16-exact.
LstmLayerWeights hand_layer() {
    LstmLayerWeights l;
    l.input_size = 2;
    l.hidden_size = 2;
    // rows: f0 f1 i0 i1 g0 g1 o0 o1
    l.w = matrix(8, 2, {0.5f, -0.25f, 0.25f, 0.5f, 1.0f, 0.0f, -0.5f, 0.75f,  //
                        0.75f, 0.25f, -1.0f, 0.5f, 0.25f, 0.25f, 0.5f, -0.5f});
    l.u = matrix(8, 2, {0.5f, 0.25f, -0.25f, 0.5f, 0.125f, -0.5f, 0.75f, 0.25f,  //
                        1.0f, -1.0f, 0.5f, 0.5f, -0.5f, 0.25f, 0.25f, 1.0f});
    l.bias = {0.125f, -0.125f, 0.25f, 0.0f, -0.25f, 0.5f, 0.0f, 0.125f};
    return l;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Hand-worked values (double precision), x_0 = (1, -1), x_1 = (0.5, 2):
// step 0: preact = W x_0 + b = (0.875, -0.375 | 1.25, -1.25 | 0.25, -1 | 0, 1.125)
//   unit 0: f=0.705785 i=0.777300 g=0.244919 o=0.5      c=0.190375  h=0.094054
//   unit 1: f=0.407333 i=0.222700 g=-0.761594 o=0.754915 c=-0.169607 h=-0.126825
// step 1: preact = W x_1 + U h_0 + b
//   unit 0: f=0.472608 i=0.695333 g=0.688911 o=0.633269 c=0.568995 h=0.325893
//   unit 1: f=0.713629 i=0.783950 g=0.754626 o=0.325565 c=0.470553 h=0.142808
TEST(GoldenLstm, HandComputedTwoUnitExample) {
    const LstmLayerWeights l = hand_layer();
    const std::vector<float> xs = {1.0f, -1.0f, 0.5f, 2.0f};
    const std::vector<float> h = golden_lstm_layer(l, xs, 2, HPruning{});
    ASSERT_EQ(h.size(), 4u);

    // The same two steps gate by gate in double precision, independent of lstm.cpp.
    double hd[2] = {0, 0}, cd[2] = {0, 0};
    for (int t = 0; t < 2; ++t) {
        const double x0 = xs[2 * t], x1 = xs[2 * t + 1];
        double pre[8];
        for (int r = 0; r < 8; ++r)
            pre[r] = l.w.at(r, 0) * x0 + l.w.at(r, 1) * x1 + l.u.at(r, 0) * hd[0] + l.u.at(r, 1) * hd[1] +
                     l.bias[r];
        double next[2];
        for (int i = 0; i < 2; ++i) {
            const double f = sigmoid(pre[i]), in = sigmoid(pre[2 + i]);
            const double g = std::tanh(pre[4 + i]), o = sigmoid(pre[6 + i]);
            cd[i] = f * cd[i] + in * g;
            next[i] = o * std::tanh(cd[i]);
        }
        hd[0] = next[0];
        hd[1] = next[1];
        // fp32 vs double: a few rounding errors of ~6e-8 on O(1) values, so 1e-6 is ample.
        EXPECT_NEAR(h[2 * t], hd[0], 1e-6) << "step " << t;
        EXPECT_NEAR(h[2 * t + 1], hd[1], 1e-6) << "step " << t;
    }
    // And against the hand-worked numbers above (6 decimals).
    EXPECT_NEAR(h[0], 0.094054, 1e-6);
    EXPECT_NEAR(h[1], -0.126825, 1e-6);
    EXPECT_NEAR(h[2], 0.325893, 1e-6);
    EXPECT_NEAR(h[3], 0.142808, 1e-6);
}

TEST(GoldenLstm, CellUpdateSaturates) {
    // Large pre-activations: σ → 0 or 1 and tanh → ±1 without NaN from exp overflow.
    const float pre[4] = {-200.0f, 200.0f, 200.0f, 200.0f};
    float c = 3.0f, h = 0.0f;
    lstm_cell_update(pre, 1, &c, &h);
    EXPECT_FLOAT_EQ(c, 1.0f);  // f·c = 0, i·g = 1
    EXPECT_NEAR(h, std::tanh(1.0), 1e-6);
}

TEST(KeepHBlock, EdgeCases) {
    const float at_sum[4] = {0.25f, 0.25f, 0.25f, 0.25f};  // Σ = 1 exactly, max 0.25
    EXPECT_TRUE(keep_h_block(at_sum, 4, 1.0f));
    EXPECT_FALSE(keep_h_block(at_sum, 4, 1.0001f));
    const float at_half[4] = {0.0f, -0.5f, 0.0f, 0.0f};  // |h_1| = th/2 exactly, Σ < th
    EXPECT_TRUE(keep_h_block(at_half, 4, 1.0f));
    EXPECT_FALSE(keep_h_block(at_half, 4, 1.01f));
    const float below[4] = {0.1f, -0.2f, 0.2f, -0.1f};  // Σ = 0.6 < 1, max 0.2 < 0.5
    EXPECT_FALSE(keep_h_block(below, 4, 1.0f));
    EXPECT_TRUE(keep_h_block(below, 4, 0.0f));  // th = 0 keeps everything, zeros included
    const float zeros[4] = {0, 0, 0, 0};
    EXPECT_TRUE(keep_h_block(zeros, 4, 0.0f));
    EXPECT_FALSE(keep_h_block(zeros, 4, 1e-30f));
}

TEST(HBlockMask, ShortLastBlockAndDisabled) {
    const std::vector<float> h = {0.0f, 0.0f, 0.0f, 0.0f, 0.9f, 0.0f};  // blocks [0,4) and [4,6)
    const HPruning on{true, 1.0f, 4};
    EXPECT_EQ(h_block_mask(h.data(), h.size(), on), (std::vector<bool>{false, true}));
    const HPruning off{false, 1.0f, 4};
    EXPECT_EQ(h_block_mask(h.data(), h.size(), off), (std::vector<bool>{true, true}));
    EXPECT_THROW(h_block_mask(h.data(), h.size(), HPruning{true, 1.0f, 0}), Error);
}

struct RandomCase {
    LstmLayerWeights layer;
    std::vector<float> xs;
    std::size_t steps = 6;
};

// n = 10 with block 4: three blocks, the last one short.
RandomCase random_case() {
    LayerSpec spec;
    spec.input_size = 7;
    spec.hidden_size = 10;
    spec.w_sparsity = 0.3;
    spec.u_sparsity = 0.4;
    RandomCase rc{generate_layer(spec, 3.0, 42), {}, 6};
    for (std::size_t k = 0; k < rc.steps * spec.input_size; ++k)
        rc.xs.push_back(static_cast<float>((k * 37 % 19) / 9.5 - 1.0));
    return rc;
}

TEST(GoldenLstm, ThresholdZeroEqualsPruningOff) {
    const RandomCase rc = random_case();
    HPruningStats stats;
    const auto off = golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{false, 0.5f, 4});
    const auto zero = golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{true, 0.0f, 4}, &stats);
    EXPECT_EQ(off, zero);
    EXPECT_EQ(stats.blocks_total, 6u * 3u);
    EXPECT_EQ(stats.blocks_skipped, 0u);
}

TEST(GoldenLstm, HugeThresholdEqualsZeroU) {
    const RandomCase rc = random_case();
    LstmLayerWeights no_u = rc.layer;
    std::fill(no_u.u.values.begin(), no_u.u.values.end(), 0.0f);
    HPruningStats stats;
    const auto pruned = golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{true, 1e30f, 4}, &stats);
    const auto without_u = golden_lstm_layer(no_u, rc.xs, rc.steps, HPruning{});
    EXPECT_EQ(pruned, without_u);
    EXPECT_EQ(stats.blocks_total, 18u);
    EXPECT_EQ(stats.blocks_skipped, 18u);
}

// A naive reference: zero the pruned blocks of h_{t-1}, then plain dense products. The
// efficient golden model must agree bit for bit (same fp32 sums in the same order).
TEST(GoldenLstm, PartialPruningMatchesNaiveReference) {
    const RandomCase rc = random_case();
    const float th = 0.25f;
    const std::size_t n = 10, m = 7;
    std::vector<float> h(n, 0.0f), c(n, 0.0f), wx(4 * n), uh(4 * n), pre(4 * n), expected;
    std::uint64_t skipped = 0;
    for (std::size_t t = 0; t < rc.steps; ++t) {
        std::vector<float> h_kept = h;
        for (std::size_t j = 0; j < n; j += 4) {
            const std::size_t len = std::min<std::size_t>(4, n - j);
            if (keep_h_block(&h[j], len, th)) continue;
            ++skipped;
            std::fill(h_kept.begin() + j, h_kept.begin() + j + len, 0.0f);
        }
        dense_matvec(rc.layer.w, &rc.xs[t * m], wx.data());
        dense_matvec(rc.layer.u, h_kept.data(), uh.data());
        for (std::size_t r = 0; r < 4 * n; ++r) pre[r] = wx[r] + uh[r] + rc.layer.bias[r];
        lstm_cell_update(pre.data(), n, c.data(), h.data());
        expected.insert(expected.end(), h.begin(), h.end());
    }
    HPruningStats stats;
    const auto got = golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{true, th, 4}, &stats);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(stats.blocks_skipped, skipped);
    // The case must exercise both outcomes beyond the all-pruned first step.
    EXPECT_GT(skipped, 3u);
    EXPECT_LT(skipped, 18u);
}

TEST(GoldenLstm, FirstStepIsCountedAndFullyPruned) {
    const RandomCase rc = random_case();
    HPruningStats stats;
    // h_{-1} = 0 prunes all 3 blocks at any th > 0; afterwards |h| ≫ 1e-30 keeps every block.
    golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{true, 1e-30f, 4}, &stats);
    EXPECT_EQ(stats.blocks_total, 18u);
    EXPECT_EQ(stats.blocks_skipped, 3u);
    EXPECT_DOUBLE_EQ(stats.skipped_fraction(), 3.0 / 18.0);
}

TEST(GoldenLstm, RejectsBadInput) {
    const LstmLayerWeights l = hand_layer();
    try {
        golden_lstm_layer(l, std::vector<float>(5), 2, HPruning{});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("expected steps x m = 2 x 2 = 4"), std::string::npos) << e.what();
    }
    LstmLayerWeights bad = l;
    bad.bias.pop_back();
    EXPECT_THROW(golden_lstm_layer(bad, std::vector<float>(4), 2, HPruning{}), Error);
}

TEST(LstmLayerWeights, Validate) {
    LstmLayerWeights l = hand_layer();
    EXPECT_NO_THROW(l.validate());
    l.u.at(3, 1) = 0.1f;  // not an fp16 value
    try {
        l.validate();
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("U[3][1]"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("fp16"), std::string::npos) << e.what();
    }
    l = hand_layer();
    l.w = DenseMatrix(8, 3);
    EXPECT_THROW(l.validate(), Error);
}

}  // namespace
}  // namespace elstm
