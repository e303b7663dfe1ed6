#include <elstm_vp/numeric/analytic.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

double analytic_wx_cycles(const AnalyticLayer& layer) {
    return static_cast<double>(layer.input_size) * static_cast<double>(layer.hidden_size) *
           (1.0 - layer.w_sparsity);
}

double analytic_uh_cycles(const AnalyticLayer& layer) {
    const double n = static_cast<double>(layer.hidden_size);
    return n * n * (1.0 - layer.u_sparsity) * (1.0 - layer.h_sparsity);
}

AnalyticCycles analytic_cell_fusion(const AnalyticLayer& layer, unsigned pes, unsigned group) {
    return analytic_cell_fusion(analytic_wx_cycles(layer), analytic_uh_cycles(layer), layer.steps, pes, group);
}

AnalyticCycles analytic_cell_fusion(double t_wx, double t_uh, std::size_t steps, unsigned pes, unsigned group) {
    if (pes < 2) throw Error("analytic model: cell fusion needs at least 2 PEs, got " + std::to_string(pes));
    if (group < 1) throw Error("analytic model: group size must be at least 1");
    if (steps < 1) throw Error("analytic model: a sequence needs at least 1 step");

    const double g = group;
    const std::size_t batch = static_cast<std::size_t>(pes - 1) * group;  // steps per W stream

    AnalyticCycles c;
    // A SpMV PE spends g cycles per W word (4 MACs for each fused step).
    c.prolog = t_wx * g;
    // While W streams, (g−1)/g of the port's slots carry U; the rest of the batch's U follows.
    const double t_iter = c.prolog + std::max(0.0, t_uh * g * (pes - 1) - c.prolog * (g - 1) / g);
    const std::size_t batches = (steps + batch - 1) / batch;
    c.main = static_cast<double>(batches - 1) * t_iter;
    c.epilog = static_cast<double>((steps - 1) % batch + 1) * t_uh;
    return c;
}

double analytic_sequential(const AnalyticLayer& layer) {
    return static_cast<double>(layer.steps) * (analytic_wx_cycles(layer) + analytic_uh_cycles(layer));
}

GroupChoice best_group(const AnalyticLayer& layer, unsigned pes, unsigned max_group) {
    if (max_group < 1) throw Error("analytic model: the largest group size must be at least 1");
    GroupChoice best{1, analytic_cell_fusion(layer, pes, 1)};
    for (unsigned g = 2; g <= max_group; ++g) {
        const AnalyticCycles c = analytic_cell_fusion(layer, pes, g);
        if (c.total() < best.cycles.total()) best = {g, c};
    }
    return best;
}

}  // namespace elstm
