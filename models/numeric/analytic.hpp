#pragma once
#include <cstddef>
#include <vector>

// The reference group-size model (the E-LSTM reference model's group-size tuning, docs/design.md §1), in RoCC
// cycles. It counts non-zero weights / 4 only: no block heads, padding, x/bias/table loads.
namespace elstm {

struct AnalyticLayer {
    std::size_t input_size = 0;   // m
    std::size_t hidden_size = 0;  // n
    std::size_t steps = 0;        // ts
    double w_sparsity = 0.0;      // sp_w
    double u_sparsity = 0.0;      // sp_u
    double h_sparsity = 0.0;      // sp_h: fraction of h skipped in U·h
};

struct AnalyticCycles {
    double prolog = 0;
    double main = 0;
    double epilog = 0;
    double total() const { return prolog + main + epilog; }
};

double analytic_wx_cycles(const AnalyticLayer& layer);  // t_wx = m·n·(1−sp_w)
double analytic_uh_cycles(const AnalyticLayer& layer);  // t_uh = n·n·(1−sp_u)·(1−sp_h)

// Cell fusion with `pes` PEs (pes−1 for W·x) each fusing `group` steps. Throws
// elstm::Error unless pes ≥ 2, group ≥ 1 and steps ≥ 1.
AnalyticCycles analytic_cell_fusion(const AnalyticLayer& layer, unsigned pes, unsigned group);

// The same schedule from per-step costs: t_wx cycles of W stream per fused step (the W
// stream of a batch takes t_wx·group), t_uh cycles of U·h per step. Fed with a stored
// format's real word counts instead of non-zeros/4, it predicts what the format costs.
AnalyticCycles analytic_cell_fusion(double t_wx, double t_uh, std::size_t steps, unsigned pes, unsigned group);

// One PE, W·x_t then U·h_t step after step: ts·(t_wx + t_uh).
double analytic_sequential(const AnalyticLayer& layer);

struct GroupChoice {
    unsigned group = 1;
    AnalyticCycles cycles;
};

// The group size in [1, max_group] with the fewest cycles (the smallest on a tie).
GroupChoice best_group(const AnalyticLayer& layer, unsigned pes, unsigned max_group);

}  // namespace elstm
