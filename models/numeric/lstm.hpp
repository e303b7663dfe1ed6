#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <elstm_vp/numeric/matrix.hpp>

// Golden LSTM: fp16 weights, fp32 math, gate order f, i, c, o (rows [0,n), [n,2n), [2n,3n), [3n,4n)).
namespace elstm {

struct LstmLayerWeights {
    std::size_t input_size = 0;   // m
    std::size_t hidden_size = 0;  // n
    DenseMatrix w;                // 4n × m
    DenseMatrix u;                // 4n × n
    std::vector<float> bias;      // 4n

    // Throws elstm::Error if the shapes disagree or a value is not fp16-representable.
    void validate() const;
};

// h-block pruning of U·h_{t-1} (docs/design.md §1). Disabled means every block is used.
struct HPruning {
    bool enabled = false;
    float threshold = 0.0f;
    std::size_t block = 4;
};

// The reference model's rule: keep a block iff Σ|h_i| ≥ th or any |h_i| ≥ th/2.
bool keep_h_block(const float* h, std::size_t len, float threshold);

// keep[j] for every block of h (the last block may be shorter than `block`).
std::vector<bool> h_block_mask(const float* h, std::size_t n, const HPruning& pruning);

struct HPruningStats {
    std::uint64_t blocks_total = 0;    // blocks of h_{t-1} seen by U·h, over all steps
    std::uint64_t blocks_skipped = 0;
    double skipped_fraction() const {
        return blocks_total ? static_cast<double>(blocks_skipped) / static_cast<double>(blocks_total) : 0.0;
    }
};

// preact = (W·x + U·h) + b, in this order: the golden model and the accelerator's vector PE
// share it so their results agree bit for bit.
void lstm_preactivation(const float* wx, const float* uh, const float* bias, std::size_t rows,
                        float* preact);

// The vector-PE part of a cell: from pre-activations (4n: W·x + U·h + b, order f i c o)
// update c in place and write h. Shared by the golden model and the accelerator models.
void lstm_cell_update(const float* preact, std::size_t n, float* c, float* h);

// One layer over one sequence. xs is steps × m (row-major), the result steps × n.
// h_{-1} = c_{-1} = 0; the mask for step t is computed from h_{t-1}, the first step included.
std::vector<float> golden_lstm_layer(const LstmLayerWeights& layer, const std::vector<float>& xs,
                                     std::size_t steps, const HPruning& pruning,
                                     HPruningStats* stats = nullptr);

}  // namespace elstm
