#include <elstm_vp/numeric/lstm.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>

namespace elstm {

namespace {

void check_shape(const char* what, std::size_t rows, std::size_t cols, std::size_t want_rows,
                 std::size_t want_cols) {
    if (rows == want_rows && cols == want_cols) return;
    std::ostringstream msg;
    msg << "LSTM layer: " << what << " is " << rows << "x" << cols << ", expected " << want_rows
        << "x" << want_cols;
    throw Error(msg.str());
}

// Shapes only: cheap enough for every golden run.
void check_shapes(const LstmLayerWeights& layer) {
    const std::size_t m = layer.input_size;
    const std::size_t n = layer.hidden_size;
    if (m == 0 || n == 0) {
        std::ostringstream msg;
        msg << "LSTM layer: input_size " << m << " and hidden_size " << n << " must be > 0";
        throw Error(msg.str());
    }
    check_shape("W", layer.w.rows, layer.w.cols, 4 * n, m);
    check_shape("U", layer.u.rows, layer.u.cols, 4 * n, n);
    check_shape("bias", layer.bias.size(), 1, 4 * n, 1);
    if (layer.w.values.size() != 4 * n * m || layer.u.values.size() != 4 * n * n)
        throw Error("LSTM layer: matrix storage does not match its rows x cols");
}

void check_values(const char* what, const std::vector<float>& values, std::size_t cols) {
    for (std::size_t k = 0; k < values.size(); ++k) {
        const float v = values[k];
        const char* problem = !std::isfinite(v)          ? "is not finite"
                              : round_to_fp16(v) != v ? "is not fp16-representable"
                                                      : nullptr;
        if (!problem) continue;
        std::ostringstream msg;
        msg << "LSTM layer: " << what << "[" << k / cols << "][" << k % cols << "] = " << v << " "
            << problem;
        throw Error(msg.str());
    }
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// W·x_t for every step at once (steps × rows). W·x does not depend on h, so all steps can
// share one pass over W; each (row, step) still sums its columns in ascending order from
// 0.0f, so the result is bit-identical to dense_matvec step by step.
std::vector<float> input_products(const DenseMatrix& w, const float* xs, std::size_t steps) {
    std::vector<float> xt(w.cols * steps);  // x transposed: the steps of column c are adjacent
    for (std::size_t t = 0; t < steps; ++t)
        for (std::size_t c = 0; c < w.cols; ++c) xt[c * steps + t] = xs[t * w.cols + c];

    std::vector<float> out(steps * w.rows);
    std::vector<float> acc(steps);
    for (std::size_t r = 0; r < w.rows; ++r) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        const float* row = &w.values[r * w.cols];
        for (std::size_t c = 0; c < w.cols; ++c) {
            const float wv = row[c];
            const float* xc = &xt[c * steps];
            for (std::size_t t = 0; t < steps; ++t) acc[t] += wv * xc[t];
        }
        for (std::size_t t = 0; t < steps; ++t) out[t * w.rows + r] = acc[t];
    }
    return out;
}

std::vector<float> transposed(const DenseMatrix& m) {
    std::vector<float> out(m.values.size());
    for (std::size_t r = 0; r < m.rows; ++r)
        for (std::size_t c = 0; c < m.cols; ++c) out[c * m.rows + r] = m.values[r * m.cols + c];
    return out;
}

// uh = U·h over the kept blocks only, U given column-major (ut). Column by column, so pruned
// block columns are never touched and every row still sums its columns in ascending order.
void pruned_recurrent_product(const std::vector<float>& ut, std::size_t rows, const float* h,
                              std::size_t n, const std::vector<bool>& keep, std::size_t block,
                              float* uh) {
    std::fill(uh, uh + rows, 0.0f);
    for (std::size_t j = 0; j < keep.size(); ++j) {
        if (!keep[j]) continue;
        const std::size_t end = std::min(n, (j + 1) * block);
        for (std::size_t c = j * block; c < end; ++c) {
            const float hc = h[c];
            const float* col = &ut[c * rows];
            for (std::size_t r = 0; r < rows; ++r) uh[r] += col[r] * hc;
        }
    }
}

}  // namespace

void LstmLayerWeights::validate() const {
    check_shapes(*this);
    check_values("W", w.values, w.cols);
    check_values("U", u.values, u.cols);
    check_values("bias", bias, 1);
}

bool keep_h_block(const float* h, std::size_t len, float threshold) {
    float sum = 0.0f;
    bool big = false;
    for (std::size_t i = 0; i < len; ++i) {
        const float a = std::fabs(h[i]);
        sum += a;
        big = big || a >= threshold / 2.0f;
    }
    return big || sum >= threshold;
}

std::vector<bool> h_block_mask(const float* h, std::size_t n, const HPruning& pruning) {
    if (pruning.block == 0) throw Error("h pruning: block size must be > 0");
    const std::size_t blocks = (n + pruning.block - 1) / pruning.block;
    std::vector<bool> keep(blocks, true);
    if (!pruning.enabled) return keep;
    for (std::size_t j = 0; j < blocks; ++j) {
        const std::size_t begin = j * pruning.block;
        keep[j] = keep_h_block(h + begin, std::min(pruning.block, n - begin), pruning.threshold);
    }
    return keep;
}

void lstm_preactivation(const float* wx, const float* uh, const float* bias, std::size_t rows,
                        float* preact) {
    for (std::size_t r = 0; r < rows; ++r) preact[r] = wx[r] + uh[r] + bias[r];
}

void lstm_cell_update(const float* preact, std::size_t n, float* c, float* h) {
    for (std::size_t i = 0; i < n; ++i) {
        const float f = sigmoid(preact[i]);
        const float in = sigmoid(preact[n + i]);
        const float g = std::tanh(preact[2 * n + i]);
        const float o = sigmoid(preact[3 * n + i]);
        c[i] = f * c[i] + in * g;
        h[i] = o * std::tanh(c[i]);
    }
}

std::vector<float> golden_lstm_layer(const LstmLayerWeights& layer, const std::vector<float>& xs,
                                     std::size_t steps, const HPruning& pruning,
                                     HPruningStats* stats) {
    check_shapes(layer);
    const std::size_t m = layer.input_size;
    const std::size_t n = layer.hidden_size;
    if (xs.size() != steps * m) {
        std::ostringstream msg;
        msg << "golden LSTM: input has " << xs.size() << " values, expected steps x m = " << steps
            << " x " << m << " = " << steps * m;
        throw Error(msg.str());
    }

    const std::size_t rows = 4 * n;
    const std::vector<float> wx = input_products(layer.w, xs.data(), steps);
    const std::vector<float> ut = transposed(layer.u);
    std::vector<float> h(n, 0.0f), c(n, 0.0f), uh(rows), preact(rows), out(steps * n);
    for (std::size_t t = 0; t < steps; ++t) {
        const std::vector<bool> keep = h_block_mask(h.data(), n, pruning);
        if (stats) {
            stats->blocks_total += keep.size();
            for (bool k : keep) stats->blocks_skipped += k ? 0 : 1;
        }
        pruned_recurrent_product(ut, rows, h.data(), n, keep, pruning.block, uh.data());
        const float* wxt = &wx[t * rows];
        lstm_preactivation(wxt, uh.data(), layer.bias.data(), rows, preact.data());
        lstm_cell_update(preact.data(), n, c.data(), h.data());
        std::copy(h.begin(), h.end(), out.begin() + static_cast<std::ptrdiff_t>(t * n));
    }
    return out;
}

}  // namespace elstm
