#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/numeric/lstm.hpp>

// The neighbouring designs' numerics next to E-LSTM's: which products U·h (and W·x) skip,
// and an optional fixed-point datapath (ESE: 12-bit weights, 16-bit activations).
namespace elstm {

enum class SkipPolicy : std::uint8_t {
    h_block_threshold = 0,  // E-LSTM: skip blocks of h_{t-1} below the layer's threshold
    delta = 1,              // DeltaLSTM: multiply only the changes above Θx, Θh; delta memories
    none = 2,               // every block of h is used
};
constexpr std::size_t kSkipPolicyCount = 3;
const char* skip_policy_name(SkipPolicy p);  // "h_block_threshold", "delta", "none"

enum class Datapath : std::uint8_t {
    fp32 = 0,   // fp16 weights, fp32 activations and sums (E-LSTM)
    fixed = 1,  // 12-bit weights, 16-bit activations, exact integer sums; gate math in fp32
};
constexpr std::size_t kDatapathCount = 2;
const char* datapath_name(Datapath d);  // "fp32", "fixed"

// Fixed point: weights q·2^-f, |q| ≤ 2047, f per matrix the largest that fits its largest
// |value| (q = round half to even of value·2^f); activations (x, h) q·2^-14 with q an int16
// (saturated). Every such value is exact in fp32; every weight in fp16.
constexpr int kActivationFracBits = 14;
constexpr int kWeightMaxQ = 2047;
// Throws elstm::Error when the matrix holds a non-finite value or f would exceed 24.
DenseMatrix quantize_weights(const DenseMatrix& m, int& frac_bits);
float quantize_activation(float v);
// The layer with W and U quantized (bias kept fp16); frac bits of W and U returned.
LstmLayerWeights quantize_layer(const LstmLayerWeights& layer, int& w_frac_bits, int& u_frac_bits);

struct VariantOptions {
    SkipPolicy skip = SkipPolicy::h_block_threshold;
    float h_threshold = 0.0f;  // h_block_threshold: the layer's threshold th
    std::size_t block = 4;     // h block = U block column
    float theta_x = 0.0f;      // delta: Θx, Θh (an element propagates iff |v − v̂| > Θ)
    float theta_h = 0.0f;
    Datapath datapath = Datapath::fp32;
};

// Delta encoding of one vector: for each i, d = v[i] − v_hat[i]; if |d| > theta the element
// propagates (delta[i] = d, v_hat[i] = v[i]) else delta[i] = 0 and v_hat[i] stays. Returns the
// elements propagated. The golden model and the accelerator share it.
std::size_t delta_encode(const float* v, float* v_hat, std::size_t n, float theta, float* delta);
// keep[j]: block j of `delta` (blocks of `block`, last may be shorter) has a non-zero element.
std::vector<bool> nonzero_blocks(const float* delta, std::size_t n, std::size_t block);

// Row sums in ascending column order from 0, each product and sum in T: float for fp32, double
// for fixed (the products of 12- and 16-bit integers and their sums are then exact, modelling
// an integer accumulator). A skipped block of x is passed as zeros: its ±0 terms change no sum.
template <typename T>
void matvec_acc(const DenseMatrix& m, const float* x, T* y);

struct VariantStats {
    std::uint64_t h_blocks_total = 0, h_blocks_skipped = 0;  // U block columns over all steps
    std::uint64_t x_total = 0, x_propagated = 0;             // delta: elements of x (all steps)
    std::uint64_t h_total = 0, h_propagated = 0;             // delta: elements of h_{t-1}
};

// One layer over one sequence (xs steps × m, result steps × n), the reference of every
// variant; layer holds the weights as the accelerator gets them (already quantized for
// fixed). Per step t:
//  - fixed: x_t is quantized (quantize_activation) first; h_t is quantized after the update.
//  - h_block_threshold / none: wx = W·x_t, uh = U·(h_{t-1} masked by h_block_mask, or not).
//  - delta: dx = delta_encode(x_t, x̂, Θx), dh = delta_encode(h_{t-1}, ĥ, Θh) (x̂ = ĥ = 0 at
//    t = 0); Mx += W·dx, Mh += U·dh (Mx = Mh = 0 at t = 0); wx = Mx, uh = Mh.
//  - products by matvec_acc<T> (T = float, or double for fixed), memories in T;
//    preact = lstm_preactivation(float(wx), float(uh), bias); lstm_cell_update in fp32.
// With fp32 and skip none or h_block_threshold this is golden_lstm_layer, without or with
// pruning (the same sums, computed faster).
std::vector<float> golden_variant_layer(const LstmLayerWeights& layer, const std::vector<float>& xs,
                                        std::size_t steps, const VariantOptions& options,
                                        VariantStats* stats = nullptr);

}  // namespace elstm
