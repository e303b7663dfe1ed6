#include <elstm_vp/numeric/workload.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>

namespace elstm {

namespace {

// ---- A portable RNG: splitmix64 for seeding, xoshiro256** for the streams. Only integer
// arithmetic and exact conversions, so every platform draws the same numbers.

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// An independent seed for sub-stream `tag` of `seed` (layer k, W mask, U values, ...).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t tag) {
    std::uint64_t t = tag;
    std::uint64_t s = seed ^ splitmix64(t);
    return splitmix64(s);
}

class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& word : s_) word = splitmix64(seed);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, bound), unbiased by rejection.
    std::uint64_t below(std::uint64_t bound) {
        const std::uint64_t reject_under = (0 - bound) % bound;
        std::uint64_t r = next();
        while (r < reject_under) r = next();
        return r % bound;
    }

    // Uniform in (-1, 1) and never 0: (2k+1)·2^-52 − 1 with k < 2^52 is exact in double.
    double symmetric_unit() {
        const double k = static_cast<double>(next() >> 12);
        return (2.0 * k + 1.0) * 0x1p-52 - 1.0;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
};

enum Stream : std::uint64_t { kInputs = 0, kWMask, kWValues, kUMask, kUValues, kBias };
constexpr std::uint64_t kFirstLayerTag = 1;  // layer k uses derive_seed(seed, kFirstLayerTag + k)

// ---- Layer generation, split in two so the calibration draws once and rescales per gain:
// a draw holds unit values in (-1, 1) with the structural zeros already placed.

struct LayerDraw {
    std::size_t m = 0, n = 0;
    std::vector<float> w, u, bias;
};

std::vector<float> unit_values(std::size_t count, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<float> v(count);
    for (float& x : v) x = static_cast<float>(rng.symmetric_unit());
    return v;
}

// Exactly `zeros` zeros anywhere, placed by a partial Fisher–Yates shuffle. Only the smaller
// of the two sets (zeros or non-zeros) is drawn, which halves the work near 50 %.
std::vector<float> unstructured_zeros(std::vector<float> v, std::size_t zeros, Rng& rng) {
    const std::size_t count = v.size();
    const std::size_t picks = std::min(zeros, count - zeros);

    std::vector<std::uint32_t> idx(count);
    std::iota(idx.begin(), idx.end(), 0u);
    for (std::size_t i = 0; i < picks; ++i) std::swap(idx[i], idx[i + rng.below(count - i)]);

    if (picks == zeros) {
        for (std::size_t i = 0; i < picks; ++i) v[idx[i]] = 0.0f;
        return v;
    }
    std::vector<float> kept(count, 0.0f);
    for (std::size_t i = 0; i < picks; ++i) kept[idx[i]] = v[idx[i]];
    return kept;
}

// The balanced kinds' groups (ESE's PEs, BBS's banks), as in formats.hpp's defaults.
constexpr std::size_t kBalanceGroups = 4;

// The element indices of every group, group after group: group g is positions[offsets[g],
// offsets[g + 1]). load_balanced: g = 4c + p, rows p, p + 4, ... of column c; bank_balanced:
// g = 4r + b, columns [bw, min(cols, (b + 1)w)) of row r, w = ceil(cols / 4) (a bank past a
// narrow matrix is empty).
struct Groups {
    std::vector<std::uint32_t> positions;
    std::vector<std::size_t> offsets{0};
};

Groups balance_groups(PruningKind kind, std::size_t rows, std::size_t cols) {
    Groups g;
    g.positions.reserve(rows * cols);
    const auto add = [&](std::size_t r, std::size_t c) { g.positions.push_back(static_cast<std::uint32_t>(r * cols + c)); };
    if (kind == PruningKind::load_balanced) {
        for (std::size_t c = 0; c < cols; ++c)
            for (std::size_t p = 0; p < kBalanceGroups; ++p) {
                for (std::size_t r = p; r < rows; r += kBalanceGroups) add(r, c);
                g.offsets.push_back(g.positions.size());
            }
    } else {
        const std::size_t width = (cols + kBalanceGroups - 1) / kBalanceGroups;
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t b = 0; b < kBalanceGroups; ++b) {
                for (std::size_t c = b * width; c < std::min(cols, (b + 1) * width); ++c) add(r, c);
                g.offsets.push_back(g.positions.size());
            }
    }
    return g;
}

// Non-zeros per group, `total` in all, as equal as the capacities allow: every group gets
// min(capacity, L) for the largest level L that fits, and the remainder goes one each to
// groups drawn at random among those with room for L + 1 (never the same ones every time,
// which would load PE 0 or bank 0 more over the whole matrix).
std::vector<std::size_t> balanced_counts(const std::vector<std::size_t>& offsets, std::size_t total, Rng& rng) {
    const std::size_t groups = offsets.size() - 1;
    const auto capacity = [&](std::size_t g) { return offsets[g + 1] - offsets[g]; };
    const auto filled = [&](std::size_t level) {
        std::size_t sum = 0;
        for (std::size_t g = 0; g < groups; ++g) sum += std::min(capacity(g), level);
        return sum;
    };
    std::size_t lo = 0, hi = 0;  // the largest level with filled(level) ≤ total lies in [lo, hi]
    for (std::size_t g = 0; g < groups; ++g) hi = std::max(hi, capacity(g));
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo + 1) / 2;
        if (filled(mid) <= total)
            lo = mid;
        else
            hi = mid - 1;
    }
    std::vector<std::size_t> counts(groups);
    std::vector<std::size_t> roomy;
    for (std::size_t g = 0; g < groups; ++g) {
        counts[g] = std::min(capacity(g), lo);
        if (capacity(g) > lo) roomy.push_back(g);
    }
    const std::size_t extra = total - filled(lo);  // < roomy.size() by the choice of lo
    for (std::size_t i = 0; i < extra; ++i) {
        std::swap(roomy[i], roomy[i + rng.below(roomy.size() - i)]);
        ++counts[roomy[i]];
    }
    return counts;
}

// Exactly `nonzeros` non-zeros, balanced over the groups of `kind`, each group's drawn by a
// partial Fisher–Yates shuffle of its positions.
std::vector<float> balanced_zeros(const std::vector<float>& v, PruningKind kind, std::size_t rows, std::size_t cols,
                                  std::size_t nonzeros, Rng& rng) {
    Groups g = balance_groups(kind, rows, cols);
    const std::vector<std::size_t> counts = balanced_counts(g.offsets, nonzeros, rng);
    std::vector<float> kept(v.size(), 0.0f);
    for (std::size_t k = 0; k < counts.size(); ++k) {
        std::uint32_t* pos = g.positions.data() + g.offsets[k];
        const std::size_t size = g.offsets[k + 1] - g.offsets[k];
        for (std::size_t i = 0; i < counts[k]; ++i) {
            std::swap(pos[i], pos[i + rng.below(size - i)]);
            kept[pos[i]] = v[pos[i]];
        }
    }
    return kept;
}

// A rows × cols matrix of unit values with exactly round(sparsity × count) zeros, placed as
// `kind` says; the values come from one stream whatever the kind.
std::vector<float> sparse_unit_values(std::size_t rows, std::size_t cols, PruningKind kind, double sparsity,
                                      std::uint64_t mask_seed, std::uint64_t value_seed) {
    const std::size_t count = rows * cols;
    if (count > std::numeric_limits<std::uint32_t>::max())
        throw Error("workload: a weight matrix of " + std::to_string(count) +
                    " elements is too large to generate");
    std::vector<float> v = unit_values(count, value_seed);
    const auto zeros = static_cast<std::size_t>(std::llround(sparsity * static_cast<double>(count)));
    Rng rng(mask_seed);
    if (kind == PruningKind::unstructured) return unstructured_zeros(std::move(v), zeros, rng);
    return balanced_zeros(v, kind, rows, cols, count - zeros, rng);
}

LayerDraw draw_layer(const LayerSpec& spec, std::uint64_t seed) {
    LayerDraw d;
    d.m = spec.input_size;
    d.n = spec.hidden_size;
    d.w = sparse_unit_values(4 * d.n, d.m, spec.pruning, spec.w_sparsity, derive_seed(seed, kWMask),
                             derive_seed(seed, kWValues));
    d.u = sparse_unit_values(4 * d.n, d.n, spec.pruning, spec.u_sparsity, derive_seed(seed, kUMask),
                             derive_seed(seed, kUValues));
    d.bias = unit_values(4 * d.n, derive_seed(seed, kBias));
    return d;
}

// unit·scale as fp16, kept inside ±scale and never rounded to zero: a zero would change the
// exact sparsity, and fp16 subnormals are lifted to the smallest normal 2^-14 (which wins
// only for scales below it, i.e. gains far under any useful one).
float scaled_fp16(float unit, double scale) {
    float mag = std::fabs(round_to_fp16(static_cast<float>(scale * static_cast<double>(unit))));
    if (static_cast<double>(mag) > scale)  // rounding went past the bound: one fp16 step back
        mag = fp16_to_fp32(static_cast<std::uint16_t>(fp32_to_fp16(mag) - 1));
    mag = std::max(mag, 0x1p-14f);
    return std::copysign(mag, unit);
}

std::vector<float> scaled_values(const std::vector<float>& units, double scale) {
    std::vector<float> out(units.size());
    for (std::size_t k = 0; k < units.size(); ++k)
        out[k] = units[k] == 0.0f ? 0.0f : scaled_fp16(units[k], scale);
    return out;
}

DenseMatrix scaled_matrix(const std::vector<float>& units, std::size_t rows, std::size_t cols,
                          double scale) {
    DenseMatrix mat;
    mat.rows = rows;
    mat.cols = cols;
    mat.values = scaled_values(units, scale);
    return mat;
}

LstmLayerWeights materialize(const LayerDraw& d, double gain) {
    const double scale = gain / std::sqrt(static_cast<double>(d.n));
    LstmLayerWeights layer;
    layer.input_size = d.m;
    layer.hidden_size = d.n;
    layer.w = scaled_matrix(d.w, 4 * d.n, d.m, scale);
    layer.u = scaled_matrix(d.u, 4 * d.n, d.n, scale);
    layer.bias = scaled_values(d.bias, scale);
    return layer;
}

// ---- Validation

[[noreturn]] void field_error(const std::string& field, double value, const char* rule) {
    std::ostringstream msg;
    msg << field << " = " << value << " " << rule;
    throw Error(msg.str());
}

void check_fraction(const std::string& field, double value) {
    if (!(value >= 0.0 && value <= 1.0)) field_error(field, value, "is outside [0, 1]");
}

void check_positive(const std::string& field, double value) {
    if (!(value > 0.0 && std::isfinite(value))) field_error(field, value, "must be > 0");
}

void validate_layer(const LayerSpec& l, const std::string& name) {
    check_positive(name + ".input_size", static_cast<double>(l.input_size));
    check_positive(name + ".hidden_size", static_cast<double>(l.hidden_size));
    check_fraction(name + ".w_sparsity", l.w_sparsity);
    check_fraction(name + ".u_sparsity", l.u_sparsity);
    if (!(l.h_threshold >= 0.0f && std::isfinite(l.h_threshold)))
        field_error(name + ".h_threshold", l.h_threshold, "must be finite and >= 0");
    check_positive(name + ".gain", l.gain);
    if (l.target_h_sparsity) check_fraction(name + ".target_h_sparsity", *l.target_h_sparsity);
    if (l.pruning > PruningKind::bank_balanced)
        field_error(name + ".pruning", static_cast<double>(l.pruning), "is not a pruning kind");
}

// ---- Calibration

constexpr double kGainLow = 1e-2;
constexpr double kGainHigh = 1e2;
constexpr int kMaxCalibrationRuns = 30;
constexpr double kCalibrationTolerance = 0.01;

double skipped_fraction(const LstmLayerWeights& layer, const std::vector<float>& xs,
                        std::size_t steps, const HPruning& pruning) {
    HPruningStats stats;
    golden_lstm_layer(layer, xs, steps, pruning, &stats);
    return stats.skipped_fraction();
}

// Bisection on log(gain): a larger gain gives a larger |h|, so fewer blocks are skipped.
// Measured on the benchmarks, that holds up to a gain of about 3–10, where the skipped fraction
// bottoms out (0.03–0.12); beyond, saturated gates push h back to zero and it rises again
// (≈ 0.2–0.27 at 1e2). The first probes (1, then 0.1 or 10) keep targets above that minimum in
// the monotonic part. A target out of reach gets the closest gain seen (the first on ties).
// The geometric midpoint sqrt(lo·hi) is the log-domain midpoint and, unlike exp/log, is
// correctly rounded everywhere, so the search is portable.
double calibrate_gain(const LayerDraw& draw, const std::vector<float>& xs, std::size_t steps,
                      const HPruning& pruning, double target) {
    double lo = kGainLow, hi = kGainHigh;
    double best_gain = 1.0, best_error = std::numeric_limits<double>::infinity();
    for (int run = 0; run < kMaxCalibrationRuns; ++run) {
        const double gain = std::sqrt(lo * hi);
        const double skipped = skipped_fraction(materialize(draw, gain), xs, steps, pruning);
        const double error = std::fabs(skipped - target);
        if (error < best_error) {
            best_error = error;
            best_gain = gain;
        }
        if (error <= kCalibrationTolerance) break;
        (skipped > target ? lo : hi) = gain;
    }
    return best_gain;
}

}  // namespace

const char* pruning_kind_name(PruningKind k) {
    switch (k) {
        case PruningKind::unstructured: return "unstructured";
        case PruningKind::load_balanced: return "load_balanced";
        case PruningKind::bank_balanced: return "bank_balanced";
    }
    return "?";  // not a PruningKind value (a cast from a bad integer)
}

bool parse_pruning_kind(const std::string& name, PruningKind& out) {
    for (PruningKind k : {PruningKind::unstructured, PruningKind::load_balanced, PruningKind::bank_balanced}) {
        if (name != pruning_kind_name(k)) continue;
        out = k;
        return true;
    }
    return false;
}

void WorkloadSpec::validate() const {
    if (layers.empty()) throw Error("layers must not be empty");
    for (std::size_t k = 0; k < layers.size(); ++k) {
        const std::string name = "layers[" + std::to_string(k) + "]";
        validate_layer(layers[k], name);
        if (k > 0 && layers[k].input_size != layers[k - 1].hidden_size) {
            std::ostringstream msg;
            msg << name << ".input_size = " << layers[k].input_size << " must equal layers["
                << k - 1 << "].hidden_size = " << layers[k - 1].hidden_size;
            throw Error(msg.str());
        }
    }
    if (steps < 1) throw Error("steps = 0 must be >= 1");
    if (sequences < 1) throw Error("sequences = 0 must be >= 1");
    if (h_block < 1) throw Error("h_block = 0 must be >= 1");
}

std::vector<std::string> benchmark_names() { return {"mnist", "ptb", "wikitext"}; }

WorkloadSpec benchmark_spec(const std::string& name) {
    struct Row {
        const char* name;
        std::size_t x, h, steps;
        double ws[4];
        float ht[2];
    };
    // docs/design.md §1: ws = zero fractions of W1 U1 W2 U2, ht = thresholds of L1 L2.
    static const Row table[] = {
        {"mnist", 28, 128, 28, {0.3, 0.5, 0.2, 0.4}, {0.3f, 0.8f}},
        {"ptb", 800, 800, 35, {0.2, 0.5, 0.2, 0.6}, {0.12f, 0.22f}},
        {"wikitext", 1500, 1500, 35, {0.4, 0.5, 0.3, 0.4}, {0.28f, 0.43f}},
    };
    for (const Row& row : table) {
        if (name != row.name) continue;
        WorkloadSpec spec;
        spec.name = name;
        spec.steps = row.steps;
        spec.h_block = 4;
        for (std::size_t k = 0; k < 2; ++k) {
            LayerSpec l;
            l.input_size = k == 0 ? row.x : row.h;
            l.hidden_size = row.h;
            l.w_sparsity = row.ws[2 * k];
            l.u_sparsity = row.ws[2 * k + 1];
            l.h_threshold = row.ht[k];
            spec.layers.push_back(l);
        }
        return spec;
    }
    throw Error("unknown benchmark '" + name + "' (expected mnist, ptb or wikitext)");
}

LstmLayerWeights generate_layer(const LayerSpec& spec, double gain, std::uint64_t seed) {
    validate_layer(spec, "layer");
    check_positive("gain", gain);
    return materialize(draw_layer(spec, seed), gain);
}

Workload generate_workload(const WorkloadSpec& spec) {
    spec.validate();
    Workload w;
    w.spec = spec;
    const std::size_t steps = spec.steps;
    w.inputs = unit_values(spec.sequences * steps * spec.layers[0].input_size,
                           derive_seed(spec.seed, kInputs));

    // The calibration input of layer k: the first sequence, carried through the layers
    // before k with pruning on. Only needed up to the last calibrated layer.
    std::size_t needed = 0;
    for (std::size_t k = 0; k < spec.layers.size(); ++k)
        if (spec.layers[k].target_h_sparsity) needed = k + 1;
    std::vector<float> xs(w.inputs.begin(),
                          w.inputs.begin() + static_cast<std::ptrdiff_t>(steps * spec.layers[0].input_size));

    for (std::size_t k = 0; k < spec.layers.size(); ++k) {
        const LayerSpec& l = spec.layers[k];
        const LayerDraw draw = draw_layer(l, derive_seed(spec.seed, kFirstLayerTag + k));
        const HPruning pruning{true, l.h_threshold, spec.h_block};
        const double gain =
            l.target_h_sparsity ? calibrate_gain(draw, xs, steps, pruning, *l.target_h_sparsity) : l.gain;
        w.gains.push_back(gain);
        w.layers.push_back(materialize(draw, gain));
        if (k + 1 < needed) xs = golden_lstm_layer(w.layers.back(), xs, steps, pruning);
    }
    return w;
}

}  // namespace elstm
