#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <elstm_vp/numeric/lstm.hpp>

// Deterministic synthetic workloads: the paper's three benchmarks and custom shapes.
namespace elstm {

// Where the zeros of W and U go. Balanced kinds model the neighbours' pruning; both use 4
// groups (the formats' default ese_pes and bbs_banks):
//  - load_balanced (ESE): row r belongs to PE r % 4; in every column each PE's slice holds
//    the same number of non-zeros (±1 where they do not divide evenly).
//  - bank_balanced (BBS): each row is split into 4 banks of ceil(cols / 4) columns; every bank
//    of every row holds the same number of non-zeros (±1; a narrower last bank at most its width).
// The level is the same over the whole matrix; which groups get the +1 and where the non-zeros
// sit inside a group is drawn from the seed. Total zeros as for unstructured.
enum class PruningKind : std::uint8_t { unstructured, load_balanced, bank_balanced };
constexpr std::size_t kPruningKindCount = 3;
const char* pruning_kind_name(PruningKind k);  // "unstructured", "load_balanced", "bank_balanced"
// False if `name` is none of the names above.
bool parse_pruning_kind(const std::string& name, PruningKind& out);

struct LayerSpec {
    std::size_t input_size = 0;
    std::size_t hidden_size = 0;
    double w_sparsity = 0.0;      // exact fraction of zeros in W
    double u_sparsity = 0.0;      // exact fraction of zeros in U
    float h_threshold = 0.0f;     // pruning threshold th
    // Gain on the weight range (weights uniform in ±gain/√n, bias likewise). Ignored when
    // target_h_sparsity is set: the calibration then searches the gain.
    double gain = 1.0;
    std::optional<double> target_h_sparsity;  // fraction of h blocks pruned at h_threshold
    PruningKind pruning = PruningKind::unstructured;  // last, so positional initializers stay valid
};

struct WorkloadSpec {
    std::string name = "custom";
    std::vector<LayerSpec> layers;  // layer k's input_size equals layer k-1's hidden_size
    std::size_t steps = 1;
    std::size_t sequences = 1;
    std::uint64_t seed = 1;
    std::size_t h_block = 4;

    // Throws elstm::Error naming the offending field.
    void validate() const;
};

// mnist, ptb or wikitext with the paper's shapes, sparsities and thresholds (docs/design.md §1),
// 2 layers, one sequence, default gain. Throws elstm::Error for another name.
WorkloadSpec benchmark_spec(const std::string& name);
std::vector<std::string> benchmark_names();

struct Workload {
    WorkloadSpec spec;
    std::vector<LstmLayerWeights> layers;
    std::vector<double> gains;         // the gain each layer was generated with
    std::vector<float> inputs;         // sequences × steps × layers[0].input_size, uniform ±1
};

// Same spec (seed included) → bit-identical workload, on every platform.
Workload generate_workload(const WorkloadSpec& spec);

// One layer's weights with the exact zero fractions of `spec`, values fp16, from `seed`.
LstmLayerWeights generate_layer(const LayerSpec& spec, double gain, std::uint64_t seed);

}  // namespace elstm
