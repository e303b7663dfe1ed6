#include <elstm_vp/platform/yaml_config.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/npy.hpp>
#include <elstm_vp/numeric/regular_file.hpp>
#include <elstm_vp/platform/yaml_tree.hpp>

namespace elstm {
namespace {

namespace fs = std::filesystem;
using namespace yaml_tree;

constexpr std::uint64_t kMaxDramSize = 16ull << 30;
constexpr std::uint64_t kMaxCapacity = 1ull << 31;
constexpr std::uint64_t kMaxLatency = 1000000;
constexpr std::uint64_t kMaxCount = 100000;  // steps, sequences, layer sizes
constexpr std::uint64_t kMaxCycles = 1'000'000'000'000'000;  // max_cycles: 10^15
constexpr std::uint64_t kMaxPes = 64;
constexpr std::uint64_t kMaxFuse = 64;
constexpr double kMaxClockMhz = 1e6;          // a 1 ps period, SystemC's default resolution
// A 1 µs period: SystemC's 64-bit picoseconds still hold 1.8e13 cycles. Slower clocks run out of
// simulated time within a run (the kernel's time stops, or wraps into the past).
constexpr double kMinClockMhz = 1;
// |h| < 1, so a larger golden tolerance would accept any h, even one never computed.
constexpr double kMaxGoldenTolerance = 0.01;

// The accelerator's buffers, by their YAML name.
struct BufferField {
    const char* name;
    BufferConfig AcceleratorBuffers::*config;
    bool AutoCapacity::*automatic;
};
constexpr BufferField kBuffers[] = {
    {"x", &AcceleratorBuffers::x, &AutoCapacity::x},
    {"wx", &AcceleratorBuffers::wx, &AutoCapacity::wx},
    {"uh", &AcceleratorBuffers::uh, &AutoCapacity::uh},
    {"h", &AcceleratorBuffers::h, &AutoCapacity::h},
    {"c", &AcceleratorBuffers::c, &AutoCapacity::c},
    {"bias", &AcceleratorBuffers::bias, &AutoCapacity::bias},
    {"table", &AcceleratorBuffers::table, &AutoCapacity::table},
};

// The energy table's keys, pJ per event.
struct EnergyField {
    const char* name;
    double EnergyTable::*pj;
};
constexpr EnergyField kEnergyKeys[] = {
    {"dram_word", &EnergyTable::dram_word},
    {"buffer_access_32", &EnergyTable::buffer_access_32},
    {"mac", &EnergyTable::mac},
    {"mac_fixed", &EnergyTable::mac_fixed},
    {"vector_op", &EnergyTable::vector_op},
    {"rocc_word", &EnergyTable::rocc_word},
    {"core_instruction", &EnergyTable::core_instruction},
};

// Keys of a generated layer that an npy layer must not have.
constexpr const char* kGeneratedLayerKeys[] = {"input", "hidden", "w_sparsity", "u_sparsity", "gain",
                                               "target_h_sparsity", "pruning"};

const Schema& schema() {
    static const Schema root = [] {
        Schema buffers = map_of({});
        for (const BufferField& b : kBuffers)
            buffers.keys.emplace_back(b.name, leaves({"capacity", "entry_bits", "ports"}));
        Schema layer = leaves({"input", "hidden", "w_sparsity", "u_sparsity", "h_threshold", "gain",
                               "target_h_sparsity", "pruning"});
        layer.keys.emplace_back("npy", leaves({"w", "u", "bias"}));
        Schema energy = map_of({});
        for (const EnergyField& e : kEnergyKeys) energy.keys.emplace_back(e.name, leaf());
        return map_of({
            {"clock_mhz", leaf()},
            {"timing", leaf()},
            {"max_cycles", leaf()},
            {"dram", leaves({"base", "size", "latency", "bytes_per_cycle"})},
            {"rocc", leaves({"word_bits", "words_per_cycle", "command_queue"})},
            {"accel", map_of({{"n_pe", leaf()},
                              {"format", leaf()},
                              {"datapath", leaf()},
                              {"pes", list_of(leaves({"name", "role", "macc_per_cycle"}))},
                              {"vector_pe", leaves({"lanes", "latency"})},
                              {"buffers", buffers}})},
            {"schedule", map_of({{"kind", leaf()},
                                 {"n_fuse", leaf()},
                                 {"pruning", leaf()},
                                 {"skip", leaf()},
                                 {"delta", leaves({"theta_x", "theta_h"})}})},
            {"workload", map_of({{"benchmark", leaf()},
                                 {"layers", list_of(layer)},
                                 {"inputs", leaf()},
                                 {"classifier", leaves({"w", "bias", "labels"})},
                                 {"steps", leaf()},
                                 {"sequences", leaf()},
                                 {"seed", leaf()},
                                 {"gain", leaf()},
                                 {"target_h_sparsity", leaf()},
                                 {"pruning", leaf()}})},
            {"host", map_of({{"kind", leaf()},
                             {"firmware", leaf()},
                             {"max_instructions", leaf()},
                             {"quantum", leaf()},
                             {"rocc_issue", leaf()},
                             {"gdb", leaf()},
                             {"golden_tolerance", leaf()},
                             {"semihosting", leaves({"root"})},
                             {"cpi", leaves({"alu", "load", "store", "mul", "div", "branch_taken",
                                             "branch_not_taken", "jump", "csr", "system"})}})},
            {"energy", energy},
            {"limits", leaves({"memory"})},
            {"trace", leaves({"vcd", "port", "tlm"})},
            {"stats", leaf()},
            {"outputs", leaves({"h"})},
        });
    }();
    return root;
}

// `workload: none` is a bare program's run: a scalar where the schema has the workload's map.
bool is_none(const Item& workload) { return workload.node().IsScalar() && workload.node().Scalar() == "none"; }

const Schema& bare_schema() {
    static const Schema bare = [] {
        Schema s = schema();
        for (auto& [key, value] : s.keys)
            if (key == "workload") value = leaf();
        return s;
    }();
    return bare;
}

// ---- The sections

void read_clock(const Item& it, double& mhz) {
    read_double(it, mhz, {kMinClockMhz, kMaxClockMhz, false, false});
    // Every delay is a whole number of cycles and SystemC counts whole picoseconds.
    const double ps = 1e6 / mhz;
    if (std::fabs(ps - std::round(ps)) > 1e-9 * ps) {
        std::ostringstream msg;
        msg.precision(12);
        msg << mhz << " MHz gives a clock period of " << ps
            << " ps; it must be a whole number of picoseconds (1e6 / clock_mhz integral, e.g. 1000, 800, 500)";
        it.fail(msg.str());
    }
}

// The simulated-time budget (and the cycle after it, where the run stops) must fit SystemC's
// 64-bit picosecond time at this clock rate.
void read_max_cycles(const Item& it, sim::Cycles& cycles, double mhz) {
    read_uint(it, cycles, 1, kMaxCycles);
    const std::uint64_t period_ps = static_cast<std::uint64_t>(std::llround(1e6 / mhz));
    const std::uint64_t most = kMaxU64 / period_ps - 1;
    if (cycles > most)
        it.fail(std::to_string(cycles) + " cycles of " + std::to_string(period_ps) +
                " ps exceed SystemC's time range; at most " + std::to_string(most));
}

DramConfig read_dram(const Item& it) {
    DramConfig d;
    const Item base = it["base"];
    read_uint(base, d.base, 0, kMaxU64);
    if (d.base % 8 != 0) base.fail(base.node().Scalar() + " is not a multiple of 8");
    const Item size = it["size"];
    if (size.present()) d.size = get_size(size, 1, kMaxDramSize);
    if (d.size - 1 > kMaxU64 - d.base) size.fail("base + size exceeds the 64-bit address space");
    read_uint(it["latency"], d.latency, 0, kMaxLatency);
    const Item bpc = it["bytes_per_cycle"];
    read_uint(bpc, d.bytes_per_cycle, 1, 4096);
    if (d.bytes_per_cycle < 8)
        bpc.fail(std::to_string(d.bytes_per_cycle) +
                 " is below one 64-bit RoCC word per cycle; a DRAM slower than the port is not modelled (use 8 or more)");
    return d;
}

RoccChannelConfig read_rocc(const Item& it) {
    RoccChannelConfig r;
    read_fixed(it["word_bits"], r.word_bits, 64, "eSELL is defined on 64-bit RoCC words");
    read_fixed(it["words_per_cycle"], r.words_per_cycle, 1,
               "the paper's RoCC port moves one word per cycle, the only rate modelled");
    read_uint(it["command_queue"], r.command_queue, 1, 64);
    return r;
}

// The choices of an enum the numeric core names itself: its values 0 .. count−1, in order.
template <class E>
Choices<E> named_choices(std::size_t count, const char* (*name)(E)) {
    Choices<E> choices;
    for (std::size_t k = 0; k < count; ++k) choices.emplace_back(name(static_cast<E>(k)), static_cast<E>(k));
    return choices;
}

const Choices<PeRole> kRoles{{"spmv", PeRole::spmv}, {"spmspv", PeRole::spmspv}};

// `n_pe: n`: n−1 W·x PEs and one U·h PE, as in the paper.
std::vector<PeConfig> standard_pes(std::size_t n) {
    std::vector<PeConfig> pes(n);
    for (std::size_t k = 0; k < n; ++k) {
        pes[k].name = "pe" + std::to_string(k);
        pes[k].role = k + 1 < n ? PeRole::spmv : PeRole::spmspv;
    }
    return pes;
}

std::vector<PeConfig> read_pes(const Item& list) {
    if (list.size() > kMaxPes)
        list.fail(count(list.size(), "PE") + "; at most " + std::to_string(kMaxPes) + " (as with accel.n_pe)");
    const std::vector<std::string> reserved = Accelerator::part_names();
    std::vector<PeConfig> pes;
    std::map<std::string, std::string> seen;  // name → where
    for (std::size_t k = 0; k < list.size(); ++k) {
        const Item pe = list[k];
        if (!pe.node().IsMap())
            pe.fail("expected a map (keys: name, role, macc_per_cycle), got " + describe(pe.node()));
        PeConfig c;
        const Item name = pe["name"];
        c.name = get_string(name);
        if (!is_identifier(c.name)) name.fail("'" + c.name + "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
        if (std::find(reserved.begin(), reserved.end(), c.name) != reserved.end())
            name.fail("'" + c.name + "' is taken by a part of the accelerator; reserved: " + comma_list(reserved));
        if (auto [first, inserted] = seen.emplace(c.name, name.where()); !inserted)
            name.fail("duplicate PE name '" + c.name + "' (first at " + first->second + ")");
        c.role = get_enum(pe["role"], kRoles);
        read_uint(pe["macc_per_cycle"], c.macc_per_cycle, 1, 4);
        pes.push_back(c);
    }
    return pes;
}

void check_roles(const Item& at, const std::vector<PeConfig>& pes) {
    std::vector<std::string> spmv, spmspv;
    for (const PeConfig& pe : pes) (pe.role == PeRole::spmv ? spmv : spmspv).push_back(pe.name);
    if (spmv.empty()) at.fail("needs at least one spmv PE (W·x)");
    if (spmspv.size() != 1)
        at.fail("needs exactly one spmspv PE (U·h), found " + std::to_string(spmspv.size()) +
                (spmspv.empty() ? "" : " (" + comma_list(spmspv) + ")"));
}

// Capacity `auto` (or absent) leaves the size to the platform, which fits it to the workload.
void read_buffer(const Item& it, BufferConfig& config, bool& automatic) {
    const Item capacity = it["capacity"];
    if (capacity.present() && !(capacity.node().IsScalar() && capacity.node().Scalar() == "auto")) {
        config.capacity = get_uint(capacity, 1, kMaxCapacity);
        automatic = false;
    }
    read_uint(it["entry_bits"], config.entry_bits, 1, 64);
    read_uint(it["ports"], config.ports, 1, 16);
}

AcceleratorConfig read_accel(const Item& it, AutoCapacity& automatic) {
    AcceleratorConfig a;
    const Item n_pe = it["n_pe"], pes = it["pes"];
    check_conflict(n_pe, pes);
    if (pes.present()) {
        a.pes = read_pes(pes);
        check_roles(pes, a.pes);
    } else {
        std::size_t n = 3;
        read_uint(n_pe, n, 2, kMaxPes);
        a.pes = standard_pes(n);
    }
    const Item vector = it["vector_pe"];
    read_uint(vector["lanes"], a.vector_pe.lanes, 1, 4096);
    read_uint(vector["latency"], a.vector_pe.latency, 0, 10000);
    for (const BufferField& b : kBuffers)
        read_buffer(it["buffers"][b.name], a.buffers.*b.config, automatic.*b.automatic);
    read_enum(it["format"], a.format,
              named_choices<WeightFormat>(kWeightFormats, weight_format_name));
    read_enum(it["datapath"], a.datapath, named_choices<Datapath>(kDatapathCount, datapath_name));
    return a;
}

ScheduleConfig read_schedule(const Item& it) {
    ScheduleConfig s;
    read_enum(it["kind"], s.kind,
              Choices<Schedule>{{"cell_fusion", Schedule::cell_fusion}, {"sequential", Schedule::sequential}});
    const Item n_fuse = it["n_fuse"];
    if (n_fuse.present())
        s.n_fuse = per_layer(n_fuse, [](const Item& v) { return static_cast<unsigned>(get_uint(v, 1, kMaxFuse)); });
    // `pruning` predates `skip`: false means skip none; a `skip` given as well decides (so a
    // --set schedule.skip works on any config).
    bool prune = true;
    read_bool(it["pruning"], prune);
    if (!prune) s.skip = SkipPolicy::none;
    read_enum(it["skip"], s.skip,
              named_choices<SkipPolicy>(kSkipPolicyCount, skip_policy_name));
    const Item delta = it["delta"];
    if (delta.present() && s.skip != SkipPolicy::delta) delta.fail("applies to schedule.skip: delta only");
    read_double(delta["theta_x"], s.theta_x, kNonNegative);
    read_double(delta["theta_h"], s.theta_h, kNonNegative);
    return s;
}

const Choices<PruningKind> kPruningKinds = named_choices<PruningKind>(kPruningKindCount, pruning_kind_name);

// Fails at `it` unless `path` is a regular file that can be opened (not a FIFO, a device, ...).
void check_regular_file(const Item& it, const std::string& path) {
    try {
        const RegularFile file(path);
    } catch (const Error& e) {
        it.fail(e.what());
    }
}

// An npy path, relative to the YAML file's directory; only that it is a readable regular file
// is checked here.
std::string npy_path(const Item& it, const fs::path& dir) {
    const std::string s = get_string(it);
    if (s.empty()) it.fail("must name a .npy file");
    const fs::path p = fs::path(s).is_absolute() ? fs::path(s) : (dir / s).lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) it.fail("'" + s + "' does not exist (looked for " + p.string() + ")");
    check_regular_file(it, p.string());
    return p.string();
}

// An output path (trace.vcd, stats) of the config, relative to the YAML file's directory like
// every other path in it, so a config works from any working directory. "" (none) and "-"
// (stdout) stay as they are; --vcd and --stats on the command line replace it afterwards.
std::string output_path(const Item& it, const fs::path& dir) {
    std::string s;
    read_string(it, s);
    if (s.empty() || s == "-" || fs::path(s).is_absolute()) return s;
    return (dir / s).string();
}

// outputs.h: binary .npy files, one per layer, so never a stream shared with the summary.
std::string h_output_path(const Item& it, const fs::path& dir) {
    const std::string s = output_path(it, dir);
    if (s == "-") it.fail("'-' is not possible: the h outputs are .npy files, one per layer; give a file name");
    return s;
}

NpyLayerFiles read_npy_layer(const Item& it, const fs::path& dir) {
    for (const char* key : kGeneratedLayerKeys)
        if (it[key].present()) it[key].fail("not allowed in an npy layer (its shape and values come from the files)");
    const Item npy = it["npy"];
    NpyLayerFiles f;
    f.w = npy_path(npy["w"], dir);
    f.u = npy_path(npy["u"], dir);
    f.bias = npy_path(npy["bias"], dir);
    read_double(it["h_threshold"], f.h_threshold, kNonNegative);
    return f;
}

// Generated weights are uniform in ±gain/√hidden and stored as fp16.
void check_weight_scale(const Item& gain, const LayerSpec& l) {
    const double bound = l.gain / std::sqrt(static_cast<double>(l.hidden_size));
    if (bound > kFp16Max) {
        std::ostringstream msg;
        msg.precision(6);
        msg << gain.node().Scalar() << " gives weights up to ±" << bound << " (gain/√" << l.hidden_size
            << "), beyond the largest fp16 value " << kFp16Max;
        gain.fail(msg.str());
    }
}

LayerSpec read_generated_layer(const Item& it) {
    LayerSpec l;
    l.input_size = get_uint(it["input"], 1, kMaxCount);
    l.hidden_size = get_uint(it["hidden"], 1, kMaxCount);
    read_double(it["w_sparsity"], l.w_sparsity, kFraction);
    read_double(it["u_sparsity"], l.u_sparsity, kFraction);
    read_double(it["h_threshold"], l.h_threshold, kNonNegative);
    check_conflict(it["target_h_sparsity"], it["gain"]);
    read_double(it["gain"], l.gain, kPositive);
    check_weight_scale(it["gain"], l);
    if (const Item t = it["target_h_sparsity"]; t.present()) l.target_h_sparsity = get_double(t, kFractionBelowOne);
    read_enum(it["pruning"], l.pruning, kPruningKinds);
    return l;
}

void read_layers(const Item& workload, const Item& layers, const fs::path& dir, WorkloadConfig& w) {
    for (const char* key : {"gain", "target_h_sparsity", "pruning"})
        if (const Item it = workload[key]; it.present())
            it.fail("applies to workload.benchmark only; give it per layer in workload.layers");
    if (layers.size() == 0) layers.fail("must list at least one layer");
    const bool npy = layers[0]["npy"].present();
    for (std::size_t k = 0; k < layers.size(); ++k) {
        const Item layer = layers[k];
        if (!layer.node().IsMap()) layer.fail("expected a map, got " + describe(layer.node()));
        if (layer["npy"].present() != npy)
            layer.fail(std::string(npy ? "is generated" : "reads npy files") + " but " + layers[0].path() + " " +
                       (npy ? "reads npy files" : "is generated") + "; all layers must be the same kind");
        if (npy) w.npy_layers.push_back(read_npy_layer(layer, dir));
        else w.spec.layers.push_back(read_generated_layer(layer));
    }
}

WorkloadSpec read_benchmark(const Item& workload, const Item& name) {
    Choices<std::string> choices;
    for (const std::string& n : benchmark_names()) choices.emplace_back(n, n);
    WorkloadSpec spec = benchmark_spec(get_enum(name, choices));
    check_conflict(workload["target_h_sparsity"], workload["gain"]);
    for (LayerSpec& l : spec.layers) {
        read_double(workload["gain"], l.gain, kPositive);
        check_weight_scale(workload["gain"], l);
        read_enum(workload["pruning"], l.pruning, kPruningKinds);
    }
    const Item target = workload["target_h_sparsity"];
    if (target.present()) {
        const auto values = per_layer(target, [](const Item& v) { return get_double(v, kFractionBelowOne); });
        check_layer_count(target, spec.layers.size());
        for (std::size_t k = 0; k < spec.layers.size(); ++k)
            spec.layers[k].target_h_sparsity = values[values.size() == 1 ? 0 : k];
    }
    return spec;
}

// The numeric core's own check (e.g. that layers chain), reported at the layer it names.
void validate(const Item& workload, const WorkloadSpec& spec) {
    try {
        spec.validate();
    } catch (const Error& e) {
        const std::string msg = e.what();
        const Item layers = workload["layers"];
        std::size_t k = 0;
        int used = 0;
        if (std::sscanf(msg.c_str(), "layers[%zu]%n", &k, &used) == 1 && used > 0 && k < layers.size())
            layers[k].fail(msg.substr(msg[used] == '.' ? used + 1 : used));
        workload.fail(msg);
    }
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

// The size of x the first layer takes: generated, or W's columns from its header (0 if the
// header is not a matrix's: loading W says what is wrong with it).
std::size_t first_input_size(const WorkloadConfig& w) {
    if (w.npy_layers.empty()) return w.spec.layers.at(0).input_size;
    try {
        const std::vector<std::size_t> shape = npy_shape(w.npy_layers[0].w);
        return shape.size() == 2 ? shape[1] : 0;
    } catch (const Error&) {
        return 0;
    }
}

// workload.inputs: an array (sequences, steps, input) whose header alone (checked against the
// file's size) sets workload.sequences and workload.steps; an explicit value must agree.
void read_inputs(const Item& workload, const Item& it, const fs::path& dir, WorkloadConfig& w) {
    w.inputs = npy_path(it, dir);
    std::vector<std::size_t> shape;
    try {
        shape = npy_shape(w.inputs);
    } catch (const Error& e) {
        it.fail(e.what());
    }
    const std::size_t m = first_input_size(w);
    const std::string expected = "(sequences, steps, input) = (1.." + std::to_string(kMaxCount) + ", 1.." +
                                 std::to_string(kMaxCount) + ", " + (m ? std::to_string(m) : "input") + ")";
    if (shape.size() != 3 || shape[0] < 1 || shape[0] > kMaxCount || shape[1] < 1 || shape[1] > kMaxCount ||
        shape[2] == 0 || (m && shape[2] != m))
        it.fail(w.inputs + ": shape " + shape_text(shape) + " does not match the expected " + expected +
                (m ? " (the first layer's input size " + std::to_string(m) + ")" : ""));
    const std::pair<const char*, std::size_t> counts[] = {{"sequences", shape[0]}, {"steps", shape[1]}};
    for (const auto& [key, value] : counts) {
        const Item given = workload[key];
        if (given.present() && get_uint(given, 1, kMaxCount) != value)
            given.fail(given.node().Scalar() + " conflicts with workload.inputs: " + w.inputs + " holds " +
                       std::to_string(value) + " " + key + " (shape " + shape_text(shape) +
                       "); give the same or leave it out");
    }
    w.spec.sequences = shape[0];
    w.spec.steps = shape[1];
}

// The hidden size of the last layer: generated, or U's columns from its header (0 if the header
// is not a matrix's: loading U says what is wrong with it).
std::size_t last_hidden_size(const WorkloadConfig& w) {
    if (w.npy_layers.empty()) return w.spec.layers.back().hidden_size;
    try {
        const std::vector<std::size_t> shape = npy_shape(w.npy_layers.back().u);
        return shape.size() == 2 ? shape[1] : 0;
    } catch (const Error&) {
        return 0;
    }
}

std::vector<std::size_t> header_shape(const Item& it, const std::string& path) {
    try {
        return npy_shape(path);
    } catch (const Error& e) {
        it.fail(e.what());
    }
}

// workload.classifier: W (classes × the last layer's hidden size), bias (classes) and one integer
// label in [0, classes) per sequence; shapes from the headers, the labels read whole.
ClassifierFiles read_classifier(const Item& it, const fs::path& dir, const WorkloadConfig& w) {
    if (!it.node().IsMap())
        it.fail("expected a map {w: FILE.npy, bias: FILE.npy, labels: FILE.npy}, got " + describe(it.node()));
    ClassifierFiles c;
    const Item wi = it["w"], bi = it["bias"], li = it["labels"];
    c.w = npy_path(wi, dir);
    c.bias = npy_path(bi, dir);
    c.labels = npy_path(li, dir);
    const std::size_t n = last_hidden_size(w);
    const std::string hidden = n ? std::to_string(n) : "hidden";
    const std::vector<std::size_t> w_shape = header_shape(wi, c.w);
    if (w_shape.size() != 2 || w_shape[0] == 0 || w_shape[0] > kMaxCount || (n && w_shape[1] != n))
        wi.fail(c.w + ": shape " + shape_text(w_shape) + " does not match the expected (classes, hidden) = (1.." +
                std::to_string(kMaxCount) + ", " + hidden + ") (the last layer's hidden size " + hidden + ")");
    const std::size_t classes = w_shape[0];
    const std::vector<std::size_t> b_shape = header_shape(bi, c.bias);
    if (b_shape != std::vector<std::size_t>{classes})
        bi.fail(c.bias + ": shape " + shape_text(b_shape) + " does not match the expected (classes,) = (" +
                std::to_string(classes) + ",) (classes from " + c.w + ")");
    NpyIntArray labels;
    try {
        labels = load_npy_int(c.labels);
    } catch (const Error& e) {
        li.fail(e.what());
    }
    if (labels.shape != std::vector<std::size_t>{w.spec.sequences})
        li.fail(c.labels + ": shape " + shape_text(labels.shape) + " does not match the expected (sequences,) = (" +
                std::to_string(w.spec.sequences) + ",) (workload.sequences)");
    for (std::size_t k = 0; k < labels.data.size(); ++k)
        if (labels.data[k] < 0 || static_cast<std::uint64_t>(labels.data[k]) >= classes)
            li.fail(c.labels + ": element " + std::to_string(k) + " = " + std::to_string(labels.data[k]) +
                    " is not a class in [0, " + std::to_string(classes) + ") (classes from " + c.w + ")");
    return c;
}

WorkloadConfig read_workload(const Item& it, const fs::path& dir) {
    if (is_none(it)) {
        WorkloadConfig none;
        none.none = true;
        none.spec.steps = none.spec.sequences = 0;
        return none;
    }
    const Item benchmark = it["benchmark"], layers = it["layers"], inputs = it["inputs"];
    check_conflict(benchmark, layers);
    WorkloadConfig w;
    if (benchmark.present()) {
        w.spec = read_benchmark(it, benchmark);
        if (!inputs.present()) read_uint(it["steps"], w.spec.steps, 1, kMaxCount);
    } else if (layers.present()) {
        read_layers(it, layers, dir, w);
        // Explicit layers have no default length: it comes from the key or the inputs.
        if (!inputs.present()) w.spec.steps = get_uint(it["steps"], 1, kMaxCount);
    } else {
        it.fail("required: give workload.benchmark or workload.layers");
    }
    if (inputs.present()) read_inputs(it, inputs, dir, w);
    else read_uint(it["sequences"], w.spec.sequences, 1, kMaxCount);
    read_uint(it["seed"], w.spec.seed, 0, kMaxU64);
    if (w.npy_layers.empty()) validate(it, w.spec);
    if (const Item classifier = it["classifier"]; classifier.present())
        w.classifier = read_classifier(classifier, dir, w);
    return w;
}

// The host, and for the RISC-V core its firmware by name (built with the platform) or as an ELF
// path; an external one only where the program reading the config can bind it.
HostConfig read_host(const Item& it, const fs::path& dir, const ConfigOptions& options) {
    HostConfig h;
    read_enum(it["kind"], h.kind, named_choices<HostKind>(std::size(kHostKindNames), host_kind_name));
    if (h.kind == HostKind::external && !options.external_host)
        it["kind"].fail("external needs a host of your own program bound to the Platform module in C++ (README "
                        "\"The platform as a module\"); this program has none: use core or driver");
    const Item firmware = it["firmware"];
    read_string(firmware, h.firmware);
    if (!is_builtin_firmware(h.firmware)) {
        const fs::path elf = dir / h.firmware;
        if (!fs::exists(elf))
            firmware.fail("'" + h.firmware + "' is neither a built-in firmware (elstm, classify, lstm_cpu) nor an " +
                          "existing ELF (looked for " + elf.string() + ")");
        check_regular_file(firmware, elf.string());
        h.firmware = elf.string();
    }
    read_uint(it["max_instructions"], h.core.max_instructions, 1, 10'000'000'000'000ull);
    read_uint(it["quantum"], h.core.quantum, 1, 1'000'000'000);
    read_uint(it["rocc_issue"], h.core.rocc_issue, 0, 1000);
    read_uint(it["gdb"], h.core.gdb_port, 0, 65535);
    read_double(it["golden_tolerance"], h.golden_tolerance, {0, kMaxGoldenTolerance, false, false});
    const Item root = it["semihosting"]["root"];
    read_string(root, h.core.semihosting_root);
    if (!h.core.semihosting_root.empty()) {
        const fs::path folder = dir / h.core.semihosting_root;
        std::error_code ec;
        if (!fs::is_directory(folder, ec))
            root.fail("'" + h.core.semihosting_root + "' is not a folder (looked for " + folder.string() + ")");
        h.core.semihosting_root = folder.string();
    }
    const Item cpi = it["cpi"];
    const char* classes[] = {"alu", "load", "store", "mul", "div", "branch_taken", "branch_not_taken", "jump", "csr",
                             "system"};
    for (std::size_t k = 0; k < std::size(classes); ++k) read_uint(cpi[classes[k]], h.core.cpi[k], 1, 1000);
    return h;
}

// A bare program has no layers for the test-bench driver or the built-in firmware to run.
void check_bare_host(const Item& root, const HostConfig& host) {
    if (host.kind == HostKind::external) return;  // the user's host runs what it likes
    const Item workload = root["workload"], kind = root["host"]["kind"], firmware = root["host"]["firmware"];
    const std::string none = "workload is none (" + workload.where() + ")";
    if (host.kind == HostKind::driver)
        kind.fail("driver runs the workload's layers, but " + none + "; run a program with host.kind: core");
    if (is_builtin_firmware(host.firmware)) {
        const std::string why = host.firmware + " runs the workload's layers, but " + none +
                                "; give host.firmware as the path of your program's ELF";
        if (firmware.present()) firmware.fail(why);
        workload.fail("none needs host.firmware: the path of your program's ELF (elstm, classify and lstm_cpu run "
                      "the workload's layers)");
    }
}

// The classifier runs on the core, in the classify firmware (or a program of the user's own);
// classify needs one.
void check_classifier_host(const Item& root, const PlatformConfig& c) {
    const Item classifier = root["workload"]["classifier"], firmware = root["host"]["firmware"];
    if (c.workload.classifier.present()) {
        if (c.host.kind != HostKind::core)
            classifier.fail(std::string("runs on the core, but host.kind is ") + host_kind_name(c.host.kind) +
                            "; use host.kind: core with host.firmware: classify");
        if (c.host.firmware == "elstm" || c.host.firmware == "lstm_cpu")
            classifier.fail("runs on the core in the classify firmware, but host.firmware is " + c.host.firmware +
                            "; set host.firmware: classify");
    } else if (c.host.kind == HostKind::core && c.host.firmware == "classify") {
        firmware.fail("classify needs workload.classifier: {w: FILE.npy, bias: FILE.npy, labels: FILE.npy}");
    }
}

PlatformConfig read_platform(const Item& root, const fs::path& dir, const ConfigOptions& options) {
    check_keys(root, is_none(root["workload"]) ? bare_schema() : schema());
    PlatformConfig c;
    read_clock(root["clock_mhz"], c.clock_mhz);
    read_max_cycles(root["max_cycles"], c.max_cycles, c.clock_mhz);
    c.dram = read_dram(root["dram"]);
    c.rocc = read_rocc(root["rocc"]);
    read_enum(root["timing"], c.rocc.timing,
              Choices<PortTiming>{{"fast", PortTiming::fast}, {"exact", PortTiming::exact}});
    c.rocc.memory_latency = c.dram.latency;
    c.accel = read_accel(root["accel"], c.auto_capacity);
    c.schedule = read_schedule(root["schedule"]);
    c.workload = read_workload(root["workload"], dir);
    const std::size_t layers =
        c.workload.npy_layers.empty() ? c.workload.spec.layers.size() : c.workload.npy_layers.size();
    check_layer_count(root["schedule"]["n_fuse"], layers);
    c.host = read_host(root["host"], dir, options);
    if (c.workload.none) check_bare_host(root, c.host);
    else check_classifier_host(root, c);
    // lstm_cpu computes the E-LSTM numerics from eSELL itself; it knows no other variant.
    if (c.host.kind == HostKind::core && c.host.firmware == "lstm_cpu" &&
        (c.accel.format != WeightFormat::esell || c.accel.datapath != Datapath::fp32 ||
         c.schedule.skip == SkipPolicy::delta))
        root["host"]["firmware"].fail(
            "lstm_cpu runs only the E-LSTM variant (accel.format esell, accel.datapath fp32, schedule.skip "
            "h_block_threshold or none)");
    for (const EnergyField& e : kEnergyKeys) read_double(root["energy"][e.name], c.energy.*e.pj, kNonNegative);
    const Item memory = root["limits"]["memory"];
    if (memory.present()) c.memory_limit = get_size(memory, 1ull << 20, kMaxU64);
    c.vcd = output_path(root["trace"]["vcd"], dir);
    read_enum(root["trace"]["port"], c.rocc.trace_port_cycles, Choices<bool>{{"burst", false}, {"cycle", true}});
    c.tlm = output_path(root["trace"]["tlm"], dir);
    c.stats = output_path(root["stats"], dir);
    c.h_out = h_output_path(root["outputs"]["h"], dir);
    return c;
}

// `workload: none` (in the file, or by the last --set workload=) has no keys: a --set of one is a
// conflict, not an override, whichever of the two comes first.
void check_bare_overrides(const YAML::Node& root, const std::vector<std::string>& overrides) {
    const YAML::Node workload = root.IsMap() ? root["workload"] : YAML::Node();
    std::string none_from;  // where the workload became none; empty while it is not
    if (workload.IsDefined() && workload.IsScalar() && workload.Scalar() == "none") none_from = "line " + std::to_string(workload.Mark().line + 1);
    const std::string* key_set = nullptr;
    for (const std::string& text : overrides) {
        const std::string key = text.substr(0, text.find('='));
        if (key == "workload")
            none_from = text == "workload=none" ? "--set " + text : "";
        else if (!key_set && (key.rfind("workload.", 0) == 0 || key.rfind("workload[", 0) == 0))
            key_set = &text;
    }
    if (key_set && !none_from.empty()) {
        const std::string key = key_set->substr(0, key_set->find('='));
        throw ConfigError("--set " + *key_set + ": workload is none (" + none_from + "): a run without a workload has no " +
                          key);
    }
}

}  // namespace

PlatformConfig load_platform_config(const std::string& path, const std::vector<std::string>& overrides,
                                    const ConfigOptions& options) {
    Context ctx(path);
    YAML::Node root = parse_file(path);
    check_bare_overrides(root, overrides);
    for (const std::string& text : overrides) apply_override(ctx, root, schema(), text);
    const Item top(ctx, root, "", root.IsDefined() ? root.Mark() : YAML::Mark::null_mark());
    PlatformConfig c = read_platform(top, fs::path(path).parent_path(), options);
    c.source = path;
    YAML::Emitter merged;
    merged << root;
    c.merged_yaml = merged.c_str();
    return c;
}

}  // namespace elstm
