#include <elstm_vp/numeric/lstm_variant.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

template <typename T>
void matvec_acc(const DenseMatrix& m, const float* x, T* y) {
    for (std::size_t r = 0; r < m.rows; ++r) {
        const float* row = m.values.data() + r * m.cols;
        T acc = T(0);
        for (std::size_t c = 0; c < m.cols; ++c) acc += static_cast<T>(row[c]) * static_cast<T>(x[c]);
        y[r] = acc;
    }
}

template void matvec_acc<float>(const DenseMatrix&, const float*, float*);
template void matvec_acc<double>(const DenseMatrix&, const float*, double*);

namespace {

// q = v·2^f rounded half to even, as the integer a fixed-point datapath holds: without relying
// on the floating-point environment (std::nearbyint follows whatever fesetround last chose),
// and + 0.0 turns a -0 into the integer 0 so a zero is never stored with a sign bit.
double to_fixed(double v, int f) {
    const double s = std::ldexp(v, f);  // exact: every caller passes a float
    const double r = std::round(s);     // half away from zero
    return (std::fabs(r - s) == 0.5 ? 2.0 * std::round(s / 2.0) : r) + 0.0;
}

// Weights past fp16's range would need f < -5, and q·2^-f would no longer be fp16-exact.
constexpr int kMinWeightFracBits = -5;
constexpr int kMaxWeightFracBits = 24;
// An all-zero matrix fits every f; it gets the largest, as the tiniest non-zero matrix would.
constexpr int kZeroMatrixFracBits = kMaxWeightFracBits;

// One layer with T the datapath's sums (float: fp32, double: fixed): matvec_acc, the delta
// memories, wx and uh.
template <typename T>
std::vector<float> run_variant(const LstmLayerWeights& layer, const std::vector<float>& xs,
                               std::size_t steps, const VariantOptions& o, VariantStats* stats) {
    const std::size_t m = layer.input_size;
    const std::size_t n = layer.hidden_size;
    const std::size_t rows = 4 * n;
    const bool fixed = o.datapath == Datapath::fixed;
    const bool delta = o.skip == SkipPolicy::delta;
    const HPruning pruning{o.skip == SkipPolicy::h_block_threshold, o.h_threshold, o.block};

    std::vector<float> x(m), h(n, 0.0f), c(n, 0.0f), out(steps * n);
    std::vector<float> x_hat(m, 0.0f), h_hat(n, 0.0f), dx(m), dh(n), h_used(n);
    std::vector<T> wx(rows), uh(rows), mx(rows, T(0)), mh(rows, T(0));
    std::vector<float> wxf(rows), uhf(rows), preact(rows);
    for (std::size_t t = 0; t < steps; ++t) {
        const float* xt = &xs[t * m];
        for (std::size_t i = 0; i < m; ++i) x[i] = fixed ? quantize_activation(xt[i]) : xt[i];

        std::vector<bool> keep;
        if (delta) {
            const std::size_t x_prop = delta_encode(x.data(), x_hat.data(), m, o.theta_x, dx.data());
            const std::size_t h_prop = delta_encode(h.data(), h_hat.data(), n, o.theta_h, dh.data());
            // A zero element's product is ±0, which changes no sum (each starts at +0): using
            // the whole dx, dh gives the bits of skipping the unchanged elements and blocks.
            matvec_acc<T>(layer.w, dx.data(), wx.data());
            matvec_acc<T>(layer.u, dh.data(), uh.data());
            for (std::size_t r = 0; r < rows; ++r) {
                mx[r] += wx[r];
                mh[r] += uh[r];
            }
            wx = mx;
            uh = mh;
            keep = nonzero_blocks(dh.data(), n, o.block);
            if (stats) {
                stats->x_total += m;
                stats->x_propagated += x_prop;
                stats->h_total += n;
                stats->h_propagated += h_prop;
            }
        } else {
            keep = h_block_mask(h.data(), n, pruning);
            // Pruned blocks enter as zeros (callers mask x themselves): their ±0 products
            // change no sum, so these are the bits of golden_lstm_layer's skipped columns.
            for (std::size_t i = 0; i < n; ++i) h_used[i] = keep[i / o.block] ? h[i] : 0.0f;
            matvec_acc<T>(layer.w, x.data(), wx.data());
            matvec_acc<T>(layer.u, h_used.data(), uh.data());
        }
        if (stats) {
            stats->h_blocks_total += keep.size();
            stats->h_blocks_skipped += static_cast<std::uint64_t>(std::count(keep.begin(), keep.end(), false));
        }

        for (std::size_t r = 0; r < rows; ++r) {
            wxf[r] = static_cast<float>(wx[r]);
            uhf[r] = static_cast<float>(uh[r]);
        }
        lstm_preactivation(wxf.data(), uhf.data(), layer.bias.data(), rows, preact.data());
        lstm_cell_update(preact.data(), n, c.data(), h.data());
        if (fixed)
            for (float& v : h) v = quantize_activation(v);
        std::copy(h.begin(), h.end(), out.begin() + static_cast<std::ptrdiff_t>(t * n));
    }
    return out;
}

}  // namespace

const char* skip_policy_name(SkipPolicy p) {
    switch (p) {
        case SkipPolicy::h_block_threshold: return "h_block_threshold";
        case SkipPolicy::delta: return "delta";
        case SkipPolicy::none: return "none";
    }
    return "?";  // not a SkipPolicy value (a cast from a bad integer)
}

const char* datapath_name(Datapath d) {
    switch (d) {
        case Datapath::fp32: return "fp32";
        case Datapath::fixed: return "fixed";
    }
    return "?";  // not a Datapath value (a cast from a bad integer)
}

DenseMatrix quantize_weights(const DenseMatrix& m, int& frac_bits) {
    double max_abs = 0.0;
    for (std::size_t k = 0; k < m.values.size(); ++k) {
        const float v = m.values[k];
        if (!std::isfinite(v)) {
            std::ostringstream msg;
            msg << "quantize weights: [" << k / m.cols << "][" << k % m.cols << "] = " << v << " is not finite";
            throw Error(msg.str());
        }
        max_abs = std::max(max_abs, std::fabs(static_cast<double>(v)));
    }
    // max·2^f lies in [2^10, 2^11) for this f, so f + 1 never fits; rounding up can reach
    // 2048 (max·2^f ≥ 2047.5), then one bit less.
    int f = kZeroMatrixFracBits;
    if (max_abs != 0.0) {
        f = 10 - std::ilogb(max_abs);
        if (to_fixed(max_abs, f) > kWeightMaxQ) --f;
    }
    if (f > kMaxWeightFracBits || f < kMinWeightFracBits) {
        std::ostringstream msg;
        msg << "quantize weights: largest |value| " << max_abs << " needs " << f
            << " fractional bits, outside [" << kMinWeightFracBits << ", " << kMaxWeightFracBits << "]";
        throw Error(msg.str());
    }
    DenseMatrix out = m;
    for (float& v : out.values)
        v = static_cast<float>(std::ldexp(to_fixed(v, f), -f));
    frac_bits = f;
    return out;
}

float quantize_activation(float v) {
    // In double the clamp needs no integer conversion (a NaN passes through unchanged).
    const double q = std::clamp(to_fixed(v, kActivationFracBits), -32768.0, 32767.0);
    return static_cast<float>(std::ldexp(q, -kActivationFracBits));
}

LstmLayerWeights quantize_layer(const LstmLayerWeights& layer, int& w_frac_bits, int& u_frac_bits) {
    LstmLayerWeights out = layer;
    out.w = quantize_weights(layer.w, w_frac_bits);
    out.u = quantize_weights(layer.u, u_frac_bits);
    return out;
}

std::size_t delta_encode(const float* v, float* v_hat, std::size_t n, float theta, float* delta) {
    std::size_t propagated = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float d = v[i] - v_hat[i];
        if (std::fabs(d) > theta) {
            delta[i] = d;
            v_hat[i] = v[i];
            ++propagated;
        } else {
            delta[i] = 0.0f;
        }
    }
    return propagated;
}

std::vector<bool> nonzero_blocks(const float* delta, std::size_t n, std::size_t block) {
    if (block == 0) throw Error("nonzero blocks: block size must be > 0");
    std::vector<bool> keep((n + block - 1) / block, false);
    for (std::size_t i = 0; i < n; ++i)
        if (delta[i] != 0.0f) keep[i / block] = true;
    return keep;
}

std::vector<float> golden_variant_layer(const LstmLayerWeights& layer, const std::vector<float>& xs,
                                        std::size_t steps, const VariantOptions& options,
                                        VariantStats* stats) {
    if (options.datapath == Datapath::fp32 && options.skip != SkipPolicy::delta) {
        // E-LSTM's own numerics: the golden LSTM gives the same results bit for bit, and faster
        // (it multiplies W·x of all steps at once); it checks its arguments itself.
        HPruningStats h;
        std::vector<float> out = golden_lstm_layer(
            layer, xs, steps, HPruning{options.skip == SkipPolicy::h_block_threshold, options.h_threshold, options.block},
            &h);
        if (stats) {
            stats->h_blocks_total += h.blocks_total;
            stats->h_blocks_skipped += h.blocks_skipped;
        }
        return out;
    }
    layer.validate();
    if (options.block == 0) throw Error("variant LSTM: block size must be > 0");
    if (xs.size() != steps * layer.input_size) {
        std::ostringstream msg;
        msg << "variant LSTM: input has " << xs.size() << " values, expected steps x m = " << steps
            << " x " << layer.input_size << " = " << steps * layer.input_size;
        throw Error(msg.str());
    }
    return options.datapath == Datapath::fixed ? run_variant<double>(layer, xs, steps, options, stats)
                                               : run_variant<float>(layer, xs, steps, options, stats);
}

}  // namespace elstm
