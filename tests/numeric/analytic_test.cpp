#include <gtest/gtest.h>

#include <elstm_vp/numeric/analytic.hpp>
#include <elstm_vp/numeric/error.hpp>

namespace elstm {
namespace {

// m = n = 4, 10 steps, half of W, U and h zero: t_wx = 4·4·0.5 = 8, t_uh = 4·4·0.5·0.5 = 4.
AnalyticLayer small_layer() { return {4, 4, 10, 0.5, 0.5, 0.5}; }

TEST(Analytic, PerStepCycles) {
    EXPECT_DOUBLE_EQ(analytic_wx_cycles(small_layer()), 8.0);
    EXPECT_DOUBLE_EQ(analytic_uh_cycles(small_layer()), 4.0);
    EXPECT_DOUBLE_EQ(analytic_sequential(small_layer()), 120.0);  // 10 · (8 + 4)
}

TEST(Analytic, CellFusionHandWorked) {
    // P = 3, g = 2: batch of 4 steps. prolog = 8·2 = 16; t_iter = 16 + max(0, 4·2·2 − 16·1/2) = 24;
    // ⌈10/4⌉ − 1 = 2 main batches → 48; epilog = ((10−1) mod 4 + 1)·4 = 8.
    const AnalyticCycles c = analytic_cell_fusion(small_layer(), 3, 2);
    EXPECT_DOUBLE_EQ(c.prolog, 16.0);
    EXPECT_DOUBLE_EQ(c.main, 48.0);
    EXPECT_DOUBLE_EQ(c.epilog, 8.0);
    EXPECT_DOUBLE_EQ(c.total(), 72.0);
}

TEST(Analytic, GroupSizesHandWorked) {
    // g = 1: batch 2, t_iter = 8 + 8 = 16, 4 main batches, epilog 4·2 = 8 → 8 + 64 + 8.
    EXPECT_DOUBLE_EQ(analytic_cell_fusion(small_layer(), 3, 1).total(), 80.0);
    // g = 3: batch 6, prolog 24, t_iter = 24 + (24 − 16) = 32, 1 main batch, epilog 4·4 = 16.
    EXPECT_DOUBLE_EQ(analytic_cell_fusion(small_layer(), 3, 3).total(), 72.0);
    // g = 4: batch 8, prolog 32, t_iter = 32 + (32 − 24) = 40, epilog 2·4 = 8.
    EXPECT_DOUBLE_EQ(analytic_cell_fusion(small_layer(), 3, 4).total(), 80.0);
    // g = 5: one batch covers all 10 steps, so no main part: 40 + 0 + 10·4.
    const AnalyticCycles c5 = analytic_cell_fusion(small_layer(), 3, 5);
    EXPECT_DOUBLE_EQ(c5.main, 0.0);
    EXPECT_DOUBLE_EQ(c5.total(), 80.0);
}

TEST(Analytic, BestGroupTakesSmallestOnTie) {
    const GroupChoice best = best_group(small_layer(), 3, 8);
    EXPECT_EQ(best.group, 2u);  // g = 2 and g = 3 both give 72
    EXPECT_DOUBLE_EQ(best.cycles.total(), 72.0);
}

TEST(Analytic, USlotsHideWhenWDominates) {
    // U·h free (sp_u = 1): every batch costs only its W stream, g·t_wx.
    AnalyticLayer layer{4, 4, 6, 0.5, 1.0, 0.0};
    const AnalyticCycles c = analytic_cell_fusion(layer, 2, 3);  // batch 3, 2 batches
    EXPECT_DOUBLE_EQ(c.prolog, 24.0);
    EXPECT_DOUBLE_EQ(c.main, 24.0);
    EXPECT_DOUBLE_EQ(c.epilog, 0.0);
}

TEST(Analytic, RejectsImpossibleSetups) {
    EXPECT_THROW(analytic_cell_fusion(small_layer(), 1, 2), Error);
    EXPECT_THROW(analytic_cell_fusion(small_layer(), 3, 0), Error);
    AnalyticLayer empty = small_layer();
    empty.steps = 0;
    EXPECT_THROW(analytic_cell_fusion(empty, 3, 2), Error);
    EXPECT_THROW(best_group(small_layer(), 3, 0), Error);
}

}  // namespace
}  // namespace elstm
