#include <elstm_vp/platform/workload_size.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <sstream>

#include <unistd.h>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/hex.hpp>
#include <elstm_vp/numeric/npy.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>
#include <elstm_vp/platform/platform.hpp>

namespace elstm {

namespace {

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

// Saturating arithmetic: a size past 2^64 stays at 2^64 − 1, which fits nothing.
std::uint64_t add(std::uint64_t a, std::uint64_t b) { return a > kU64Max - b ? kU64Max : a + b; }
std::uint64_t mul(std::uint64_t a, std::uint64_t b) { return b && a > kU64Max / b ? kU64Max : a * b; }

std::size_t padded(std::size_t n) { return n + n % 2; }

// Bytes of weights, inputs and outputs a run keeps per element, measured on generated
// workloads with some margin: a weight is drawn, masked and scaled (4 bytes each), packed and
// decoded by the PEs; an input or output lives in host memory, in DRAM and in the golden check.
constexpr double kBytesPerWeight = 20;
constexpr double kBytesPerValue = 8;
// A buffer entry is 4 bytes, and the accelerator stages as much again.
constexpr double kBytesPerBufferEntry = 8;

const char* const kBufferNames[kBufferCount] = {"x", "wx", "uh", "h", "c", "bias", "table"};

// Steps the W stream of one batch serves (never more than the sequence has).
std::size_t batch_steps(const PlatformConfig& config, std::size_t layer, std::size_t steps) {
    if (config.schedule.kind == Schedule::sequential) return 1;
    return std::min(steps, count_role(config.accel.pes, PeRole::spmv) * config.schedule.n_fuse_for(layer));
}

// The keys that set layer k's shape, for messages.
std::string layer_keys(const PlatformConfig& config, std::size_t k, const LayerShape& s) {
    std::ostringstream out;
    out << s.m << " x " << s.n << " from ";
    if (!config.workload.npy_layers.empty())
        out << "workload.layers[" << k << "].npy";
    else if (config.workload.spec.name != "custom")
        out << "workload.benchmark " << config.workload.spec.name;
    else
        out << "workload.layers[" << k << "].input and .hidden";
    return out.str();
}

const BufferConfig& buffer(const AcceleratorBuffers& b, std::size_t i) {
    const BufferConfig* all[kBufferCount] = {&b.x, &b.wx, &b.uh, &b.h, &b.c, &b.bias, &b.table};
    return *all[i];
}

bool automatic(const AutoCapacity& a, std::size_t i) {
    const bool all[kBufferCount] = {a.x, a.wx, a.uh, a.h, a.c, a.bias, a.table};
    return all[i];
}

// workload.classifier's W as classes × hidden from its header (checked with the config); 0 × 0
// without one.
std::pair<std::uint64_t, std::uint64_t> classifier_shape(const PlatformConfig& config) {
    if (!config.workload.classifier.present()) return {0, 0};
    const std::vector<std::size_t> w = npy_shape(config.workload.classifier.w);
    return {w.at(0), w.at(1)};
}

}  // namespace

std::vector<LayerShape> workload_shapes(const PlatformConfig& config) {
    std::vector<LayerShape> shapes;
    for (const LayerSpec& l : config.workload.spec.layers) shapes.push_back({l.input_size, l.hidden_size});
    for (const NpyLayerFiles& f : config.workload.npy_layers) {
        // W is 4n × m and U 4n × n; load_layer_npy checks that later, this needs only the sizes.
        const std::vector<std::size_t> w = npy_shape(f.w), u = npy_shape(f.u);
        shapes.push_back({w.size() == 2 ? w[1] : 0, u.size() == 2 ? u[1] : 0});
    }
    return shapes;
}

std::array<std::size_t, kBufferCount> buffer_needs(const PlatformConfig& config, std::size_t layer,
                                                   const LayerShape& shape, std::size_t steps) {
    const std::size_t m = shape.m, n = shape.n, b = batch_steps(config, layer, steps);
    return {2 * b * padded(m), 2 * b * 4 * n, 4 * n, n, n, 4 * n, segment_count(config.accel.format, 4 * n, n)};
}

void check_dram_size(const PlatformConfig& config, const std::vector<LayerShape>& shapes) {
    if (shapes.empty()) return;
    const WorkloadSpec& spec = config.workload.spec;
    const std::uint64_t per_step = mul(spec.steps, spec.sequences);
    std::uint64_t need = kImageOffset + kDescriptorBytes;
    need = add(need, mul(mul(per_step, padded(shapes[0].m)), 4));  // x
    for (std::size_t k = 0; k < shapes.size(); ++k) {
        const LayerShape& s = shapes[k];
        need = add(need, mul(mul(per_step, padded(s.n)), 4));  // h
        need = add(need, mul(8, s.n));                        // bias: 4n fp16
        if (k < spec.layers.size()) {
            // Generated layers have an exact number of non-zeros; npy layers count none here.
            const LayerSpec& l = spec.layers[k];
            for (const auto& [cols, sparsity] : {std::pair{s.m, l.w_sparsity}, std::pair{s.n, l.u_sparsity}}) {
                const std::uint64_t count = mul(mul(4, s.n), cols);
                const double zeros = std::round(sparsity * static_cast<double>(count));
                need = add(need, count - std::min<std::uint64_t>(count, static_cast<std::uint64_t>(zeros)));
            }
        }
    }
    // The classifier: W and bias fp32, a label (int64) per sequence.
    const auto [classes, hidden] = classifier_shape(config);
    need = add(need, add(mul(mul(classes, add(hidden, 1)), 4), mul(spec.sequences, 8)));
    if (need > config.dram.size) {
        std::ostringstream msg;
        msg << config.source << ": dram.size: the workload image needs at least " << need << " bytes from "
            << hex(config.dram.base) << " but the DRAM has " << config.dram.size;
        throw Error(msg.str());
    }
}

std::vector<MemoryPart> memory_parts(const PlatformConfig& config, const std::vector<LayerShape>& shapes) {
    std::vector<MemoryPart> parts;
    if (shapes.empty()) return parts;
    const WorkloadSpec& spec = config.workload.spec;
    std::uint64_t values = shapes[0].m;  // per step: x and every layer's h
    for (std::size_t k = 0; k < shapes.size(); ++k) {
        const double m = static_cast<double>(shapes[k].m), n = static_cast<double>(shapes[k].n);
        values = add(values, shapes[k].n);
        parts.push_back({"the weights of layer " + std::to_string(k + 1) + " (" + layer_keys(config, k, shapes[k]) + ")",
                         kBytesPerWeight * 4 * n * (m + n)});
    }
    std::ostringstream io;
    io << "the inputs and outputs (workload.steps " << spec.steps << " x workload.sequences " << spec.sequences << " x "
       << values << " values)";
    parts.push_back({io.str(), kBytesPerValue * static_cast<double>(spec.steps) *
                                   (static_cast<double>(spec.sequences) + 1) * static_cast<double>(values)});
    if (const auto [classes, hidden] = classifier_shape(config); classes) {
        // W as loaded and as placed in DRAM, 4 bytes each.
        std::ostringstream what;
        what << "the classifier (" << classes << " x " << hidden << " from workload.classifier.w)";
        parts.push_back({what.str(), 8.0 * static_cast<double>(classes) * static_cast<double>(hidden)});
    }
    for (std::size_t i = 0; i < kBufferCount; ++i) {
        std::size_t entries = buffer(config.accel.buffers, i).capacity;
        if (automatic(config.auto_capacity, i)) {
            entries = 0;
            for (std::size_t k = 0; k < shapes.size(); ++k)
                entries = std::max(entries, buffer_needs(config, k, shapes[k], spec.steps)[i]);
        }
        std::ostringstream what;
        what << "accel.buffers." << kBufferNames[i] << ".capacity "
             << (automatic(config.auto_capacity, i) ? "auto: " : "") << entries << " entries";
        parts.push_back({what.str(), kBytesPerBufferEntry * static_cast<double>(entries)});
    }
    return parts;
}

std::uint64_t memory_limit(const PlatformConfig& config) {
    if (config.memory_limit) return config.memory_limit;
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return kU64Max;  // unknown: no limit
    return static_cast<std::uint64_t>(pages) / 2 * static_cast<std::uint64_t>(page);
}

void check_memory(const PlatformConfig& config, const std::vector<LayerShape>& shapes) {
    const std::vector<MemoryPart> parts = memory_parts(config, shapes);
    double total = 0;
    for (const MemoryPart& p : parts) total += p.bytes;
    const std::uint64_t limit = memory_limit(config);
    if (total <= static_cast<double>(limit)) return;
    const MemoryPart& largest =
        *std::max_element(parts.begin(), parts.end(), [](const MemoryPart& a, const MemoryPart& b) { return a.bytes < b.bytes; });
    std::ostringstream msg;
    msg << config.source << ": limits.memory: the run would take about " << format_bytes(total)
        << " of memory, more than the limit of " << format_bytes(static_cast<double>(limit))
        << (config.memory_limit ? "" : " (half the physical memory)") << "; the most, " << format_bytes(largest.bytes)
        << ", for " << largest.what;
    throw Error(msg.str());
}

std::string format_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::size_t u = 0;
    while (bytes >= 1024 && u + 1 < std::size(units)) bytes /= 1024, ++u;
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

}  // namespace elstm
