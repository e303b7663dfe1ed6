#include <elstm_vp/numeric/lstm_variant.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/workload.hpp>

namespace elstm {
namespace {

DenseMatrix matrix(std::size_t rows, std::size_t cols, std::vector<float> values) {
    DenseMatrix m(rows, cols);
    m.values = std::move(values);
    return m;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - double(b[i])));
    return d;
}

// The random layer of the property tests: m = 24, n = 20, 12 steps, 40 % zeros in W and U,
// gain 2 so that h is large enough (|h| up to ~0.6) for every kind of skip to matter.
struct RandomCase {
    LstmLayerWeights layer;
    std::vector<float> xs;
    std::size_t steps = 12;
};

RandomCase random_case() {
    WorkloadSpec s;
    s.seed = 11;
    s.steps = 12;
    s.layers = {LayerSpec{24, 20, 0.4, 0.4, 0.0f, 2.0, std::nullopt}};
    Workload w = generate_workload(s);
    RandomCase rc;
    rc.layer = w.layers[0];
    rc.xs = w.inputs;
    return rc;
}

VariantOptions options(SkipPolicy skip, Datapath datapath) {
    VariantOptions o;
    o.skip = skip;
    o.datapath = datapath;
    return o;
}

TEST(VariantNames, NamesAndCounts) {
    EXPECT_STREQ(skip_policy_name(SkipPolicy::h_block_threshold), "h_block_threshold");
    EXPECT_STREQ(skip_policy_name(SkipPolicy::delta), "delta");
    EXPECT_STREQ(skip_policy_name(SkipPolicy::none), "none");
    EXPECT_EQ(static_cast<std::size_t>(SkipPolicy::none) + 1, kSkipPolicyCount);
    EXPECT_STREQ(datapath_name(Datapath::fp32), "fp32");
    EXPECT_STREQ(datapath_name(Datapath::fixed), "fixed");
    EXPECT_EQ(static_cast<std::size_t>(Datapath::fixed) + 1, kDatapathCount);
}

TEST(QuantizeActivation, RoundsHalfToEvenAndSaturates) {
    const float lsb = 0x1p-14f;
    EXPECT_EQ(quantize_activation(0.5f), 0.5f);
    EXPECT_EQ(quantize_activation(-0.25f), -0.25f);
    EXPECT_EQ(quantize_activation(0.5f * lsb), 0.0f);          // 0.5 → 0 (even)
    EXPECT_EQ(quantize_activation(1.5f * lsb), 2.0f * lsb);    // 1.5 → 2
    EXPECT_EQ(quantize_activation(2.5f * lsb), 2.0f * lsb);    // 2.5 → 2
    EXPECT_EQ(quantize_activation(-2.5f * lsb), -2.0f * lsb);  // -2.5 → -2
    EXPECT_EQ(quantize_activation(2.6f * lsb), 3.0f * lsb);
    EXPECT_EQ(quantize_activation(0.1f), 1638.0f * lsb);  // 0.1·16384 = 1638.4
    EXPECT_EQ(quantize_activation(1.99993896484375f), 32767.0f * lsb);
    EXPECT_EQ(quantize_activation(2.0f), 32767.0f * lsb);  // saturated at the int16 maximum
    EXPECT_EQ(quantize_activation(1e6f), 32767.0f * lsb);
    EXPECT_EQ(quantize_activation(-2.0f), -2.0f);  // -32768 is representable
    EXPECT_EQ(quantize_activation(-3.0f), -2.0f);
    // A value rounding to 0 is the integer 0: no sign bit.
    EXPECT_FALSE(std::signbit(quantize_activation(-1e-6f)));
}

TEST(QuantizeWeights, HandWorkedFracBitsAndValues) {
    int f = 0;
    // max 0.75 = 1.5·2^-1: f = 11 gives 1536, f = 12 would give 3072 > 2047.
    // -0.3f·2048 = -614.40002 → -614; 0.1f·2048 = 204.8 → 205; 3·2^-12 → 1.5 → 2 (even);
    // 5·2^-12 → 2.5 → 2 (even); -2^-12 → -0.5 → 0.
    const DenseMatrix m = matrix(2, 4, {0.75f, -0.3f, 0.1f, 0.0f, 3 * 0x1p-12f, 5 * 0x1p-12f, -0x1p-12f, -0.75f});
    const DenseMatrix q = quantize_weights(m, f);
    EXPECT_EQ(f, 11);
    const float s = 0x1p-11f;
    EXPECT_EQ(q.values, (std::vector<float>{1536 * s, -614 * s, 205 * s, 0.0f, 2 * s, 2 * s, 0.0f, -1536 * s}));
    EXPECT_FALSE(std::signbit(q.values[6]));
    EXPECT_EQ(q.rows, 2u);
    EXPECT_EQ(q.cols, 4u);

    // 4095·2^-11 = 1.99951171875: f = 10 gives 2047.5, which rounds to 2048 (even), so f = 9
    // and the largest value becomes 1024·2^-9 = 2.
    const DenseMatrix edge = quantize_weights(matrix(1, 2, {4095 * 0x1p-11f, 0.25f}), f);
    EXPECT_EQ(f, 9);
    EXPECT_EQ(edge.values, (std::vector<float>{2.0f, 0.25f}));
    // 2047·2^-11 fits f = 11 exactly.
    quantize_weights(matrix(1, 1, {2047 * 0x1p-11f}), f);
    EXPECT_EQ(f, 11);

    // Large weights: negative f. max 4000 → f = -1: 3 → 1.5 → 2 → 4; 1 → 0.5 → 0.
    const DenseMatrix big = quantize_weights(matrix(1, 3, {4000.0f, 3.0f, 1.0f}), f);
    EXPECT_EQ(f, -1);
    EXPECT_EQ(big.values, (std::vector<float>{4000.0f, 4.0f, 0.0f}));

    // An all-zero matrix gets f = 24.
    const DenseMatrix zero = quantize_weights(matrix(2, 2, {0.0f, -0.0f, 0.0f, 0.0f}), f);
    EXPECT_EQ(f, 24);
    EXPECT_EQ(zero.values, (std::vector<float>(4, 0.0f)));
    EXPECT_FALSE(std::signbit(zero.values[1]));
}

TEST(QuantizeWeights, RejectsNonFiniteAndOutOfRange) {
    int f = 0;
    EXPECT_THROW(quantize_weights(matrix(1, 2, {0.5f, NAN}), f), Error);
    EXPECT_THROW(quantize_weights(matrix(1, 2, {-INFINITY, 0.5f}), f), Error);
    // 2^-14·2^24 = 1024 fits f = 24; 2^-15 would need f = 25.
    quantize_weights(matrix(1, 1, {0x1p-14f}), f);
    EXPECT_EQ(f, 24);
    EXPECT_THROW(quantize_weights(matrix(1, 1, {0x1p-15f}), f), Error);
    // fp16's largest 65504 = 2047·2^5 fits f = -5; beyond fp16 it does not.
    quantize_weights(matrix(1, 1, {65504.0f}), f);
    EXPECT_EQ(f, -5);
    EXPECT_THROW(quantize_weights(matrix(1, 1, {1e5f}), f), Error);
}

// On generated weights: |q| ≤ 2047 on the 2^-f grid, f the largest (max |q| ≥ 1024), the
// error at most half a step, every value fp16-exact, zeros kept (tiny weights may become 0).
TEST(QuantizeWeights, GeneratedLayerProperties) {
    const RandomCase rc = random_case();
    int wf = 0, uf = 0;
    const LstmLayerWeights q = quantize_layer(rc.layer, wf, uf);
    EXPECT_EQ(q.bias, rc.layer.bias);
    EXPECT_EQ(q.input_size, rc.layer.input_size);
    EXPECT_EQ(q.hidden_size, rc.layer.hidden_size);
    EXPECT_NO_THROW(q.validate());
    const struct {
        const DenseMatrix* orig;
        const DenseMatrix* quant;
        int f;
    } mats[] = {{&rc.layer.w, &q.w, wf}, {&rc.layer.u, &q.u, uf}};
    for (const auto& mt : mats) {
        int f = 0;
        EXPECT_EQ(quantize_weights(*mt.orig, f), *mt.quant);
        EXPECT_EQ(f, mt.f);
        double max_q = 0.0;
        for (std::size_t k = 0; k < mt.orig->values.size(); ++k) {
            const double v = mt.quant->values[k];
            const double qv = std::ldexp(v, mt.f);
            EXPECT_EQ(qv, std::round(qv));
            EXPECT_LE(std::fabs(qv), 2047.0);
            EXPECT_LE(std::fabs(v - mt.orig->values[k]), std::ldexp(0.5, -mt.f));
            EXPECT_EQ(round_to_fp16(mt.quant->values[k]), mt.quant->values[k]);
            if (mt.orig->values[k] == 0.0f) {
                EXPECT_EQ(v, 0.0);
            }
            max_q = std::max(max_q, std::fabs(qv));
        }
        EXPECT_GE(max_q, 1024.0);
    }
}

TEST(DeltaEncode, HandWorkedExamples) {
    const float v[4] = {1.0f, 0.5f, -0.25f, 0.1f};
    float v_hat[4] = {0.5f, 0.5f, 0.0f, 0.3f};
    float delta[4] = {9, 9, 9, 9};
    // d = 0.5 (propagates), 0, -0.25 (|d| == Θ: does not), 0.1f - 0.3f ≈ -0.2 (does not).
    EXPECT_EQ(delta_encode(v, v_hat, 4, 0.25f, delta), 1u);
    EXPECT_EQ(std::vector<float>(delta, delta + 4), (std::vector<float>{0.5f, 0.0f, 0.0f, 0.0f}));
    EXPECT_EQ(std::vector<float>(v_hat, v_hat + 4), (std::vector<float>{1.0f, 0.5f, 0.0f, 0.3f}));

    // Θ = 0: every changed element propagates, v̂ becomes v.
    EXPECT_EQ(delta_encode(v, v_hat, 4, 0.0f, delta), 2u);
    EXPECT_EQ(std::vector<float>(delta, delta + 4), (std::vector<float>{0.0f, 0.0f, -0.25f, 0.1f - 0.3f}));
    EXPECT_EQ(std::vector<float>(v_hat, v_hat + 4), std::vector<float>(v, v + 4));

    // Nothing changed: nothing propagates, whatever Θ.
    EXPECT_EQ(delta_encode(v, v_hat, 4, 0.0f, delta), 0u);
    EXPECT_EQ(std::vector<float>(delta, delta + 4), std::vector<float>(4, 0.0f));
}

TEST(NonzeroBlocks, ShortLastBlock) {
    // n = 10, block 4: blocks [0,4) [4,8) [8,10).
    std::vector<float> d(10, 0.0f);
    EXPECT_EQ(nonzero_blocks(d.data(), 10, 4), (std::vector<bool>{false, false, false}));
    d[5] = -0.5f;
    EXPECT_EQ(nonzero_blocks(d.data(), 10, 4), (std::vector<bool>{false, true, false}));
    d[9] = 1e-30f;
    EXPECT_EQ(nonzero_blocks(d.data(), 10, 4), (std::vector<bool>{false, true, true}));
    d[0] = -0.0f;  // a negative zero is still zero
    EXPECT_EQ(nonzero_blocks(d.data(), 10, 4), (std::vector<bool>{false, true, true}));
    EXPECT_EQ(nonzero_blocks(d.data(), 10, 1).size(), 10u);
    EXPECT_EQ(nonzero_blocks(d.data(), 10, 16), (std::vector<bool>{true}));
    EXPECT_THROW(nonzero_blocks(d.data(), 10, 0), Error);
}

TEST(MatvecAcc, FloatIsDenseMatvecBitForBit) {
    const RandomCase rc = random_case();
    const DenseMatrix& w = rc.layer.w;
    for (std::size_t t = 0; t < rc.steps; ++t) {
        std::vector<float> a(w.rows), b(w.rows);
        dense_matvec(w, &rc.xs[t * w.cols], a.data());
        matvec_acc<float>(w, &rc.xs[t * w.cols], b.data());
        EXPECT_TRUE(same_bits(a, b)) << "step " << t;
    }
}

// Quantized operands: the double sums equal the integer sums exactly.
TEST(MatvecAcc, DoubleIsExactOnFixedPoint) {
    const RandomCase rc = random_case();
    int f = 0;
    const DenseMatrix w = quantize_weights(rc.layer.w, f);
    std::vector<float> x(w.cols);
    for (std::size_t c = 0; c < w.cols; ++c) x[c] = quantize_activation(2.0f * rc.xs[c]);
    std::vector<double> y(w.rows);
    matvec_acc<double>(w, x.data(), y.data());
    for (std::size_t r = 0; r < w.rows; ++r) {
        std::int64_t acc = 0;
        for (std::size_t c = 0; c < w.cols; ++c)
            acc += std::llround(std::ldexp(w.at(r, c), f)) * std::llround(std::ldexp(x[c], kActivationFracBits));
        EXPECT_EQ(y[r], std::ldexp(static_cast<double>(acc), -(f + kActivationFracBits))) << "row " << r;
    }
}

// golden_variant_layer hands E-LSTM's own numerics to golden_lstm_layer: these two pin how the
// options and the stats map onto it.
TEST(GoldenVariant, SkipNoneFp32IsGoldenWithoutPruning) {
    const RandomCase rc = random_case();
    VariantStats stats;
    const std::vector<float> h =
        golden_variant_layer(rc.layer, rc.xs, rc.steps, options(SkipPolicy::none, Datapath::fp32), &stats);
    EXPECT_TRUE(same_bits(h, golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{})));
    EXPECT_EQ(stats.h_blocks_total, 12u * 5u);
    EXPECT_EQ(stats.h_blocks_skipped, 0u);
    EXPECT_EQ(stats.x_total, 0u);  // delta counters stay 0 for the other policies
    EXPECT_EQ(stats.h_total, 0u);
}

TEST(GoldenVariant, HBlockThresholdFp32IsGoldenWithPruning) {
    RandomCase rc = random_case();
    for (const float th : {0.0f, 0.3f, 0.8f, 5.0f}) {
        for (const std::size_t block : {std::size_t{4}, std::size_t{3}}) {  // 20 = 6·3 + 2: a short last block
            VariantOptions o = options(SkipPolicy::h_block_threshold, Datapath::fp32);
            o.h_threshold = th;
            o.block = block;
            VariantStats stats;
            const std::vector<float> h = golden_variant_layer(rc.layer, rc.xs, rc.steps, o, &stats);
            HPruningStats want;
            const std::vector<float> g = golden_lstm_layer(rc.layer, rc.xs, rc.steps, HPruning{true, th, block}, &want);
            EXPECT_TRUE(same_bits(h, g)) << th << " " << block;
            EXPECT_EQ(stats.h_blocks_total, want.blocks_total);
            EXPECT_EQ(stats.h_blocks_skipped, want.blocks_skipped);
            if (th == 0.3f) {  // a real mix: the test covers partial masks
                EXPECT_GT(want.blocks_skipped, want.blocks_total / 10);
                EXPECT_LT(want.blocks_skipped, want.blocks_total);
            }
        }
    }
}

// A 1-unit layer by hand, Θx = 0.25, Θh = 0.345, x = (1, 0.5, 0.75):
//  t=0: dx = 1 (propagates), dh = 0 (h_-1 = 0): preact = W + b = (0.75, 1, 1, 0.75)
//       f=0.679179 i=0.731059 g=0.761594 o=0.679179 c=0.556770 h=0.343377
//  t=1: dx = -0.5 (propagates), |h_0 − 0| = 0.343377 ≤ Θh: dh = 0; Mx = 0.5·W
//       preact = (0.5, 0.5, 0.5, 0.5): f=i=o=0.622459 g=0.462117 c=0.634216 h=0.349167
//  t=2: |0.75 − 0.5| = Θx exactly: dx = 0; dh = h_1 = 0.349167 (propagates); Mh = U·h_1
//       preact = (0.674584, 0.674584, 0.849167, 0.674584): c=0.877751 h=0.467276
TEST(GoldenVariant, DeltaHandWorkedOneUnit) {
    LstmLayerWeights l;
    l.input_size = 1;
    l.hidden_size = 1;
    l.w = matrix(4, 1, {0.5f, 1.0f, 1.0f, 0.5f});
    l.u = matrix(4, 1, {0.5f, 0.5f, 1.0f, 0.5f});
    l.bias = {0.25f, 0.0f, 0.0f, 0.25f};
    const std::vector<float> xs = {1.0f, 0.5f, 0.75f};
    VariantOptions o = options(SkipPolicy::delta, Datapath::fp32);
    o.theta_x = 0.25f;
    o.theta_h = 0.345f;
    VariantStats stats;
    const std::vector<float> h = golden_variant_layer(l, xs, 3, o, &stats);
    ASSERT_EQ(h.size(), 3u);
    // fp32 against 6 decimals: a few float roundings (~1e-7) plus the 5e-7 of the printout.
    EXPECT_NEAR(h[0], 0.343377, 1e-6);
    EXPECT_NEAR(h[1], 0.349167, 1e-6);
    EXPECT_NEAR(h[2], 0.467276, 1e-6);
    EXPECT_EQ(stats.x_total, 3u);
    EXPECT_EQ(stats.x_propagated, 2u);
    EXPECT_EQ(stats.h_total, 3u);
    EXPECT_EQ(stats.h_propagated, 1u);
    EXPECT_EQ(stats.h_blocks_total, 3u);
    EXPECT_EQ(stats.h_blocks_skipped, 2u);
}

// Integer sums are exact, so summing the deltas into the memories gives the same sums as the
// dense products: DeltaLSTM with Θ = 0 is the dense LSTM bit for bit on the fixed datapath.
TEST(GoldenVariant, DeltaZeroThetaFixedIsSkipNoneFixed) {
    const RandomCase rc = random_case();
    int wf = 0, uf = 0;
    const LstmLayerWeights q = quantize_layer(rc.layer, wf, uf);
    VariantStats dstats;
    const std::vector<float> dense = golden_variant_layer(q, rc.xs, rc.steps, options(SkipPolicy::none, Datapath::fixed));
    const std::vector<float> delta =
        golden_variant_layer(q, rc.xs, rc.steps, options(SkipPolicy::delta, Datapath::fixed), &dstats);
    EXPECT_TRUE(same_bits(dense, delta));
    for (float v : dense) EXPECT_EQ(quantize_activation(v), v);  // outputs are the quantized h
    EXPECT_EQ(dstats.x_total, 12u * 24u);
    EXPECT_EQ(dstats.h_total, 12u * 20u);
    EXPECT_EQ(dstats.h_blocks_total, 12u * 5u);
    EXPECT_GE(dstats.h_blocks_skipped, 5u);  // step 0: h_-1 = 0, nothing changed

    // The fixed datapath is a different (quantized) computation, yet close to fp32:
    // activations carry 2^-15 and weights 2^-(f+1) of rounding error per value.
    const std::vector<float> fp = golden_variant_layer(rc.layer, rc.xs, rc.steps, options(SkipPolicy::none, Datapath::fp32));
    EXPECT_FALSE(same_bits(dense, fp));
    EXPECT_LT(max_abs_diff(dense, fp), 5e-3);
}

// fp32: the memories add each step's W·Δ to an fp32 running sum, a reassociation of the dense
// sum, so only closeness holds. Estimate: per step the m + n = 44 products' sums and the memory
// additions round by ≤ 2^-24 relative on partial sums of O(1); as a random walk ≈ √44·6e-8
// ≈ 4e-7 per step, ≈ 1.4e-6 on a pre-activation after 12 steps (√12), and h moves by at most
// as much (σ' ≤ 1/4, tanh' ≤ 1). Measured max |h diff|: 4.5e-7 here (2–5e-7 over six seeds).
// 1e-5 is 7× the estimate and 20× the measurement, while a lost or doubled delta moves h by
// ~1e-2. (The worst-case bound, every rounding aligned, is ~1e-4: not what we check.)
TEST(GoldenVariant, DeltaZeroThetaFp32IsCloseToDense) {
    const RandomCase rc = random_case();
    VariantStats stats;
    const std::vector<float> dense = golden_variant_layer(rc.layer, rc.xs, rc.steps, options(SkipPolicy::none, Datapath::fp32));
    const std::vector<float> delta =
        golden_variant_layer(rc.layer, rc.xs, rc.steps, options(SkipPolicy::delta, Datapath::fp32), &stats);
    EXPECT_LE(max_abs_diff(dense, delta), 1e-5);
    // Inputs never repeat and are never 0: every x element propagates at Θ = 0; h_-1 = 0 so
    // step 0 propagates no h and skips all 5 blocks.
    EXPECT_EQ(stats.x_propagated, stats.x_total);
    EXPECT_EQ(stats.x_total, 12u * 24u);
    EXPECT_EQ(stats.h_propagated, 11u * 20u);
    EXPECT_EQ(stats.h_blocks_skipped, 5u);
}

TEST(GoldenVariant, LargerThetaSkipsMore) {
    const RandomCase rc = random_case();
    std::vector<VariantStats> runs;
    // On this case (Θ = 0 / 0.2 / 0.3 / 0.5): x propagated 288 / 242 / 218 / 172, h 220 / 44 /
    // 16 / 0, blocks skipped 5 / 28 / 47 / 60 of 60.
    for (const float theta : {0.0f, 0.2f, 0.3f, 0.5f}) {
        for (const Datapath dp : {Datapath::fp32, Datapath::fixed}) {
            VariantOptions o = options(SkipPolicy::delta, dp);
            o.theta_x = theta;
            o.theta_h = theta;
            int wf = 0, uf = 0;
            const LstmLayerWeights layer = dp == Datapath::fixed ? quantize_layer(rc.layer, wf, uf) : rc.layer;
            VariantStats stats;
            const std::vector<float> h = golden_variant_layer(layer, rc.xs, rc.steps, o, &stats);
            for (float v : h) EXPECT_TRUE(std::isfinite(v));
            if (dp == Datapath::fp32) runs.push_back(stats);
        }
    }
    for (std::size_t k = 1; k < runs.size(); ++k) {
        EXPECT_LT(runs[k].x_propagated, runs[k - 1].x_propagated) << k;
        EXPECT_LT(runs[k].h_propagated, runs[k - 1].h_propagated) << k;
        EXPECT_GT(runs[k].h_blocks_skipped, runs[k - 1].h_blocks_skipped) << k;
    }
}

// Θ above every |change|: nothing propagates, the memories stay 0 and the layer runs on its
// bias alone, exactly as the dense golden model with W = U = 0.
TEST(GoldenVariant, HugeThetaPropagatesNothing) {
    const RandomCase rc = random_case();
    VariantOptions o = options(SkipPolicy::delta, Datapath::fp32);
    o.theta_x = 1e30f;
    o.theta_h = 1e30f;
    VariantStats stats;
    const std::vector<float> h = golden_variant_layer(rc.layer, rc.xs, rc.steps, o, &stats);
    LstmLayerWeights bias_only = rc.layer;
    std::fill(bias_only.w.values.begin(), bias_only.w.values.end(), 0.0f);
    std::fill(bias_only.u.values.begin(), bias_only.u.values.end(), 0.0f);
    EXPECT_TRUE(same_bits(h, golden_lstm_layer(bias_only, rc.xs, rc.steps, HPruning{})));
    EXPECT_EQ(stats.x_propagated, 0u);
    EXPECT_EQ(stats.h_propagated, 0u);
    EXPECT_EQ(stats.h_blocks_skipped, stats.h_blocks_total);
}

TEST(GoldenVariant, RejectsBadInput) {
    const RandomCase rc = random_case();
    std::vector<float> short_xs(rc.xs.begin(), rc.xs.end() - 1);
    EXPECT_THROW(golden_variant_layer(rc.layer, short_xs, rc.steps, VariantOptions{}), Error);
    VariantOptions o;
    o.block = 0;
    EXPECT_THROW(golden_variant_layer(rc.layer, rc.xs, rc.steps, o), Error);
    LstmLayerWeights bad = rc.layer;
    bad.u.values.pop_back();
    EXPECT_THROW(golden_variant_layer(bad, rc.xs, rc.steps, VariantOptions{}), Error);
}

}  // namespace
}  // namespace elstm
