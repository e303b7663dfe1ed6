#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/pe/spmv_pe.hpp>
#include <elstm_vp/pe/vector_pe.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>
#include "sim_helpers.hpp"

namespace elstm {
namespace {

constexpr std::uint64_t kBase = 0x80000000ull;

TEST(SpmvPe, ValueWordCyclesFollowMacsPerCycle) {
    sim::Clock clock;
    SpmvPe four("four", {"four", PeRole::spmv, 4}, clock);
    SpmvPe two("two", {"two", PeRole::spmv, 2}, clock);
    SpmvPe three("three", {"three", PeRole::spmv, 3}, clock);
    EXPECT_EQ(four.value_word_cycles(1), 1u);   // 4 weights, 4 MACs per cycle
    EXPECT_EQ(four.value_word_cycles(3), 3u);   // the word serves 3 fused steps
    EXPECT_EQ(two.value_word_cycles(3), 6u);    // 2 cycles per step
    EXPECT_EQ(three.value_word_cycles(2), 4u);  // ceil(4/3) = 2 cycles per step
}

// Three eSELL blocks with 3, 0 and 5 value words: heads take one cycle, value words one per
// fused step; runs of the same pace merge.
TEST(SpmvPe, StreamPaceIsHeadThenValues) {
    sim::Clock clock;
    SpmvPe pe("pe", {"pe", PeRole::spmv, 4}, clock);
    const std::vector<PaceRun> pace = pe.stream_pace({0, 4, 4, 4, 0, 0, 4, 4, 4, 4, 4}, 2);
    ASSERT_EQ(pace.size(), 4u);
    const std::vector<std::pair<std::uint64_t, std::uint32_t>> want{{1, 1}, {3, 2}, {2, 1}, {5, 2}};
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(pace[i].words, want[i].first) << i;
        EXPECT_EQ(pace[i].cycles, want[i].second) << i;
    }
}

TEST(VectorPe, CyclesAreLanesPlusLatency) {
    sim::Clock clock;
    VectorPe vpe("vpe", {4, 8}, clock);
    EXPECT_EQ(vpe.cycles(800), 208u);  // 800/4 + 8
    EXPECT_EQ(vpe.cycles(18), 13u);    // ceil(18/4) + 8
}

// One 8×4 eSELL block with row counts 4,3,2,2,1,1,0,0: chunk 0 (the four fullest rows) is 4
// words wide, chunk 1 one word, so the stream is head + 5 value words. Applied to 3 fused
// steps with no memory latency, requested in cycle 0: the head crosses the port in cycle 1,
// each value word then holds the PE 3 cycles: slots 2, 5, 8, 11, 14; the PE is done at 17
// after 1 + 5·3 = 16 busy cycles.
TEST(SpmvPe, HandWorkedBlockThroughThePort) {
    DenseMatrix m(8, 4);
    const int counts[8] = {4, 3, 2, 2, 1, 1, 0, 0};
    for (int r = 0; r < 8; ++r)
        for (int c = 0; c < counts[r]; ++c) m.at(r, c) = static_cast<float>(r + 1) + 0.25f * c;
    const esell::EsellMatrix e = esell::encode(m);
    ASSERT_EQ(e.words.size(), 6u);

    sim::Clock clock;
    DramConfig dc;
    dc.size = 4096;
    dc.latency = 0;
    Dram dram("dram", dc, clock);
    RoccChannelConfig rc;
    rc.memory_latency = 0;
    RoccChannel rocc("rocc", rc, clock, {0});
    rocc.mem.bind(dram.socket);
    dram.write_backdoor(kBase, e.words.data(), 8 * e.words.size());
    SpmvPe pe("pe", {"pe", PeRole::spmv, 4}, clock);

    std::array<std::uint64_t, 6> words{};
    BurstTiming timing;
    std::vector<float> y[3];
    const float x[3][4] = {{1, 2, 3, 4}, {-1, 0.5f, 2, 0}, {0.25f, 0.25f, 0.25f, 0.25f}};
    test::Thread t("t", [&] {
        Burst b;
        b.user = PortUser::w;
        b.regions = {{kBase, 6}};
        b.data = words.data();
        b.pace = pe.stream_pace({0, 4, 4, 4, 4, 4}, 3);
        timing = rocc.wait_done(rocc.post(b));
        const float* xs[3] = {x[0], x[1], x[2]};
        float* ys[3];
        for (int s = 0; s < 3; ++s) {
            y[s].assign(8, 0.0f);
            ys[s] = y[s].data();
        }
        pe.multiply(MatrixRef{WeightFormat::esell, {}, kBase, 8, 4}, words.data(), words.size(), {6}, nullptr, xs, ys,
                    3);
    });
    sc_core::sc_start();
    EXPECT_EQ(timing.first_slot, 1u);
    EXPECT_EQ(timing.last_slot, 14u);
    EXPECT_EQ(timing.done, 17u);
    for (int s = 0; s < 3; ++s) {
        std::vector<float> want(8);
        dense_matvec(m, x[s], want.data());
        EXPECT_EQ(y[s], want) << "step " << s;
    }
    EXPECT_EQ(pe.macs(), 3u * 13u);  // 13 non-zeros, 3 steps
}

}  // namespace
}  // namespace elstm

namespace elstm {
namespace {

// The decode cache gives what decoding anew gives: the same words reuse the decoded slab,
// changed words (same address) are decoded again, and another matrix keeps its own entry.
TEST(DecodeCache, ReusesOnlyIdenticalWords) {
    DenseMatrix a(10, 6), b(10, 6);
    for (std::size_t r = 0; r < 10; ++r)
        for (std::size_t c = 0; c < 6; ++c) {
            if ((r + c) % 3) a.at(r, c) = 0.5f * static_cast<float>(r) - static_cast<float>(c);
            if ((r * c) % 4 == 1) b.at(r, c) = 1.0f + 0.25f * static_cast<float>(c);
        }
    const esell::EsellMatrix ea = esell::encode(a), eb = esell::encode(b);
    const std::vector<std::uint32_t> cols_a(ea.block_col_words.begin(), ea.block_col_words.end());
    const std::vector<std::uint32_t> cols_b(eb.block_col_words.begin(), eb.block_col_words.end());
    const float x[6] = {1, -2, 0.5f, 3, -1, 2};
    const float* xs[1] = {x};
    auto product = [&](DecodeCache& cache, std::uint64_t addr, const esell::EsellMatrix& e,
                       const std::vector<std::uint32_t>& cols) {
        std::vector<float> y(10);
        float* ys[1] = {y.data()};
        walk_matrix("test", cache, MatrixRef{WeightFormat::esell, {}, addr, 10, 6}, e.words.data(), e.words.size(),
                    cols, nullptr, xs, ys, 1);
        return y;
    };
    std::vector<float> want_a(10), want_b(10);
    dense_matvec(a, x, want_a.data());
    dense_matvec(b, x, want_b.data());

    DecodeCache cache;
    EXPECT_EQ(product(cache, 0x1000, ea, cols_a), want_a);
    EXPECT_EQ(product(cache, 0x1000, ea, cols_a), want_a);  // reused
    EXPECT_EQ(product(cache, 0x2000, eb, cols_b), want_b);  // another matrix
    EXPECT_EQ(product(cache, 0x1000, eb, cols_b), want_b);  // new words at the old address
    EXPECT_EQ(product(cache, 0x1000, ea, cols_a), want_a);
}

// Within one layer run the cache takes words seen at the same place as unchanged (the weights
// stay put while a layer runs); a new run compares them again.
TEST(DecodeCache, ComparesWordsOncePerRun) {
    DenseMatrix a(8, 4);
    for (std::size_t r = 0; r < 8; ++r)
        for (std::size_t c = 0; c < 4; ++c)
            if ((r + c) % 2) a.at(r, c) = 1.0f + static_cast<float>(r);
    DenseMatrix doubled = a;
    for (float& v : doubled.values) v *= 2.0f;
    const PackedMatrix pa = pack(a, WeightFormat::esell), pd = pack(doubled, WeightFormat::esell);
    ASSERT_EQ(pa.words.size(), pd.words.size());  // same places, other values
    const std::vector<std::uint32_t> segs(pa.segment_words.begin(), pa.segment_words.end());
    std::vector<std::uint64_t> memory = pa.words;
    const float x[4] = {1, 2, 3, 4};
    const float* xs[1] = {x};
    DecodeCache cache;
    auto product = [&] {
        std::vector<float> y(8);
        float* ys[1] = {y.data()};
        walk_matrix("test", cache, MatrixRef{WeightFormat::esell, {}, 0x1000, 8, 4}, memory.data(), memory.size(),
                    segs, nullptr, xs, ys, 1, true);
        return y;
    };
    std::vector<float> want_a(8), want_d(8);
    dense_matvec(a, x, want_a.data());
    dense_matvec(doubled, x, want_d.data());
    cache.begin_run();
    EXPECT_EQ(product(), want_a);
    std::copy(pd.words.begin(), pd.words.end(), memory.begin());  // the words change in place
    EXPECT_EQ(product(), want_a) << "words at the same place in the same run are taken as they were";
    cache.begin_run();
    EXPECT_EQ(product(), want_d) << "a new run compares the words again";
}

// A PE walking a whole stream in place with a keep mask passes over the skipped segments; a
// row format (CSR) walks every segment. Both give the dense product of what they use.
TEST(WalkMatrix, WholeStreamKeepAndRowFormat) {
    DenseMatrix m(6, 10);
    for (std::size_t r = 0; r < 6; ++r)
        for (std::size_t c = 0; c < 10; ++c)
            if ((r * 3 + c) % 4) m.at(r, c) = 0.25f * static_cast<float>(r) - 0.5f * static_cast<float>(c);
    const float x[10] = {1, -1, 2, 0.5f, -2, 3, 1, 1, -0.5f, 2};
    const std::vector<bool> keep{true, false, true};  // columns 4..7 skipped
    float masked[10];
    for (std::size_t c = 0; c < 10; ++c) masked[c] = keep[c / 4] ? x[c] : 0.0f;
    std::vector<float> want(6);
    dense_matvec(m, masked, want.data());
    for (WeightFormat f : {WeightFormat::esell, WeightFormat::csc_ese, WeightFormat::csr}) {
        const PackedMatrix p = pack(m, f);
        const std::vector<std::uint32_t> segs(p.segment_words.begin(), p.segment_words.end());
        const bool column = is_column_format(f);
        DecodeCache cache;
        std::vector<float> y(6);
        float* ys[1] = {y.data()};
        const float* xs[1] = {column ? x : masked};
        walk_matrix("test", cache, MatrixRef{f, {}, 0x1000, 6, 10}, p.words.data(), p.words.size(), segs,
                    column ? &keep : nullptr, xs, ys, 1, true);
        EXPECT_EQ(y, want) << weight_format_name(f);
    }
}

}  // namespace
}  // namespace elstm
