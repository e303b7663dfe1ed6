#include <elstm_vp/platform/platform.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include <elstm_vp/platform/builtin_firmware.hpp>
#include <elstm_vp/core/elf_loader.hpp>
#include "elstm_desc.h"
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/hex.hpp>
#include <elstm_vp/numeric/npy.hpp>
#include <elstm_vp/numeric/workload.hpp>
#include <elstm_vp/platform/gtkwave_view.hpp>
#include <elstm_vp/platform/output_file.hpp>
#include <elstm_vp/platform/workload_inputs.hpp>
#include <elstm_vp/platform/workload_size.hpp>

namespace elstm {

namespace {

std::size_t padded(std::size_t n) { return (n + 1) / 2 * 2; }
std::uint64_t align64(std::uint64_t a) { return (a + 63) / 64 * 64; }

// A layer run has finished once its end is set (every run takes at least one cycle).
bool finished(const LayerRun& run) { return run.end > run.start; }

// Removes a file when it goes out of scope, however the scope is left.
struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() { std::remove(path.c_str()); }
};

}  // namespace

WorkloadImage build_workload(const PlatformConfig& config) {
    const std::vector<LayerShape> shapes = workload_shapes(config);
    check_memory(config, shapes);
    check_dram_size(config, shapes);
    WorkloadImage image;
    const WorkloadSpec& spec = config.workload.spec;
    image.steps = spec.steps;
    image.sequences = spec.sequences;
    if (config.workload.none) {
        // A bare program: no layers and no inputs; the descriptor says so.
    } else if (config.workload.npy_layers.empty()) {
        Workload w = generate_workload(spec);
        image.layers = std::move(w.layers);
        image.gains = std::move(w.gains);
        image.inputs = std::move(w.inputs);
    } else {
        for (const NpyLayerFiles& f : config.workload.npy_layers) {
            image.layers.push_back(load_layer_npy(f.w, f.u, f.bias));
            image.gains.push_back(1.0);
        }
        for (std::size_t k = 1; k < image.layers.size(); ++k)
            if (image.layers[k].input_size != image.layers[k - 1].hidden_size)
                throw Error("workload.layers[" + std::to_string(k) + "]: input size " +
                            std::to_string(image.layers[k].input_size) + " does not match layer " +
                            std::to_string(k - 1) + "'s hidden size " +
                            std::to_string(image.layers[k - 1].hidden_size));
        // Inputs from the generator's input stream, so .npy runs stay deterministic too.
        if (config.workload.inputs.empty()) {
            WorkloadSpec inputs_only = spec;
            inputs_only.layers = {LayerSpec{image.layers[0].input_size, 1, 0.0, 0.0, 0.0f, 1.0, std::nullopt}};
            image.inputs = generate_workload(inputs_only).inputs;
        }
    }
    if (!config.workload.inputs.empty())
        image.inputs = load_workload_inputs(config.workload.inputs, config.source + ": workload.inputs", spec.sequences,
                                            spec.steps, image.layers[0].input_size);

    image.format = config.accel.format;
    image.datapath = config.accel.datapath;
    image.descriptor = config.dram.base + kImageOffset;
    std::uint64_t at = image.descriptor + kDescriptorBytes;
    for (std::size_t k = 0; k < image.layers.size(); ++k) {
        const LstmLayerWeights& l = image.layers[k];
        LayerImage li;
        li.m = l.input_size;
        li.n = l.hidden_size;
        li.threshold = config.workload.npy_layers.empty() ? spec.layers[k].h_threshold
                                                          : config.workload.npy_layers[k].h_threshold;
        try {
            if (image.datapath == Datapath::fixed) {
                image.reference.push_back(image.layers[k]);
                image.layers[k] = quantize_layer(image.reference.back(), li.w_frac, li.u_frac);
            }
            const bool fixed12 = image.datapath == Datapath::fixed && image.format == WeightFormat::csc_ese;
            li.w = pack(l.w, image.format, {fixed12, li.w_frac});
            li.u = pack(l.u, image.format, {fixed12, li.u_frac});
            li.w_value_words = value_words(li.w);
        } catch (const Error& e) {
            throw Error(config.source + ": accel.format: layer " + std::to_string(k + 1) + " as " +
                        weight_format_name(image.format) + ": " + e.what());
        }
        li.w_addr = at = align64(at);
        at += 8 * li.w.words.size();
        li.u_addr = at = align64(at);
        at += 8 * li.u.words.size();
        li.table_addr = at = align64(at);
        at += 8 * esell::pack_word_table(li.u.segment_words).size();
        li.bias_addr = at = align64(at);
        at += 8 * esell::pack_bias(l.bias).size();
        for (std::size_t s = 0; s < image.sequences; ++s) {
            li.h_addr.push_back(at = align64(at));
            at += 4 * image.steps * padded(li.n);
        }
        image.placed.push_back(std::move(li));
    }
    for (std::size_t s = 0; s < image.sequences; ++s) {
        image.x_addr.push_back(at = align64(at));
        at += 4 * image.steps * padded(image.layers[0].input_size);
    }
    if (config.workload.classifier.present()) at = place_classifier(config.workload.classifier, at, image.classifier);
    image.layer_table = at = align64(at);
    at += sizeof(elstm_layer_desc) * image.layers.size();
    image.x_table = at = align64(at);
    at += 8 * image.sequences;
    image.h_table = at = align64(at);
    at += 8 * image.sequences * image.layers.size();
    image.end = at;
    // Measured from the base: a DRAM may end exactly at 2^64, where base + size wraps to 0.
    if (image.end - config.dram.base > config.dram.size) {
        std::ostringstream msg;
        msg << config.source << ": dram.size: the workload image needs " << (image.end - config.dram.base) << " bytes from "
            << hex(config.dram.base) << " but the DRAM has " << config.dram.size;
        throw Error(msg.str());
    }
    return image;
}

AcceleratorBuffers fit_buffers(const PlatformConfig& config, const WorkloadImage& image) {
    AcceleratorBuffers need = config.accel.buffers;
    struct Want {
        const char* key;
        BufferConfig* buffer;
        bool automatic;
        std::size_t entries = 0;
    };
    Want wants[] = {{"x", &need.x, config.auto_capacity.x},       {"wx", &need.wx, config.auto_capacity.wx},
                    {"uh", &need.uh, config.auto_capacity.uh},    {"h", &need.h, config.auto_capacity.h},
                    {"c", &need.c, config.auto_capacity.c},       {"bias", &need.bias, config.auto_capacity.bias},
                    {"table", &need.table, config.auto_capacity.table}};
    std::size_t worst_layer[kBufferCount] = {};
    for (std::size_t k = 0; k < image.layers.size(); ++k) {
        const LayerShape shape{image.layers[k].input_size, image.layers[k].hidden_size};
        const std::array<std::size_t, kBufferCount> entries = buffer_needs(config, k, shape, image.steps);
        for (std::size_t i = 0; i < kBufferCount; ++i)
            if (entries[i] > wants[i].entries) wants[i].entries = entries[i], worst_layer[i] = k;
    }
    for (std::size_t i = 0; i < kBufferCount; ++i) {
        Want& w = wants[i];
        if (w.automatic) {
            // At least one entry: without a workload (workload: none) no layer needs any.
            w.buffer->capacity = std::max<std::size_t>(w.entries, 1);
        } else if (w.buffer->capacity < w.entries) {
            std::ostringstream msg;
            msg << config.source << ": accel.buffers." << w.key << ".capacity: layer " << worst_layer[i] + 1
                << " needs " << w.entries << " entries, the buffer has " << w.buffer->capacity;
            throw Error(msg.str());
        }
    }
    return need;
}

std::vector<float> sequence_inputs(const WorkloadImage& image, std::size_t sequence) {
    const std::size_t m0 = image.layers[0].input_size;
    return std::vector<float>(image.inputs.begin() + static_cast<std::ptrdiff_t>(sequence * image.steps * m0),
                              image.inputs.begin() + static_cast<std::ptrdiff_t>((sequence + 1) * image.steps * m0));
}

std::vector<std::vector<float>> golden_outputs(const WorkloadImage& image, std::vector<float> xs,
                                               const ScheduleConfig& schedule, std::vector<VariantStats>* stats) {
    std::vector<std::vector<float>> out;
    for (std::size_t k = 0; k < image.layers.size(); ++k) {
        VariantOptions options;
        options.skip = schedule.skip;
        options.h_threshold = image.placed[k].threshold;
        options.block = kSegmentSpan;
        options.theta_x = schedule.theta_x;
        options.theta_h = schedule.theta_h;
        options.datapath = image.datapath;
        VariantStats s;
        out.push_back(golden_variant_layer(image.layers[k], xs, image.steps, options, &s));
        if (stats) stats->push_back(s);
        xs = out.back();
    }
    return out;
}

std::vector<std::vector<float>> fp32_reference_outputs(const WorkloadImage& image, std::vector<float> xs) {
    const std::vector<LstmLayerWeights>& layers = image.reference.empty() ? image.layers : image.reference;
    std::vector<std::vector<float>> out;
    for (const LstmLayerWeights& layer : layers) {
        out.push_back(golden_lstm_layer(layer, xs, image.steps, HPruning{}));
        xs = out.back();
    }
    return out;
}

bool Platform::finish_trace(std::string* error) {
    if (!config_.tlm.empty() &&
        !write_output(interrupted() ? interrupted_path(config_.tlm, ".jsonl") : config_.tlm, tlm_text_, "trace.tlm", error))
        return false;
    if (!trace_) return true;
    sc_core::sc_close_vcd_trace_file(trace_);
    trace_ = nullptr;
    const RemoveOnExit partial{partial_vcd_};
    const std::string path = interrupted() ? interrupted_path(config_.vcd, ".vcd") : config_.vcd;
    const std::string why = copy_trace(path);
    if (!why.empty()) {
        if (error) *error = why;
        return false;
    }
    std::ifstream vcd(partial_vcd_);
    return write_gtkwave_view(path, vcd_vars(vcd), error);
}

// Copies the closed partial VCD to `path`; returns why it could not, or "". SystemC does not
// report its own write errors; a partial VCD cut short by a full disk shows here, as the copy
// needs that space again.
std::string Platform::copy_trace(const std::string& path) const {
    std::ifstream in(partial_vcd_);
    OutputFile out(path, "trace.vcd");
    std::string line;
    bool in_date = false;
    while (std::getline(in, line)) {
        // SystemC stamps the wall-clock date into the header; a fixed one keeps the VCD
        // byte-identical from run to run.
        if (line.rfind("$date", 0) == 0) {
            in_date = true;
            out.write("$date\n     elstm-vp " + config_.source + "\n$end\n");
            if (interrupted())
                out.write("$comment\n     interrupted at cycle " + std::to_string(end_cycle_) + ": the trace ends there\n$end\n");
            continue;
        }
        if (in_date) {
            in_date = line.rfind("$end", 0) != 0;
            continue;
        }
        out.write(line);
        out.write("\n");
    }
    if (!in.eof()) return "trace.vcd: cannot read " + partial_vcd_;
    return out.commit() ? "" : out.error();
}

void Platform::load_image() {
    for (std::size_t k = 0; k < image_.layers.size(); ++k) {
        const LayerImage& li = image_.placed[k];
        const std::vector<std::uint64_t> table = esell::pack_word_table(li.u.segment_words);
        const std::vector<std::uint64_t> bias = esell::pack_bias(image_.layers[k].bias);
        dram_->write_backdoor(li.w_addr, li.w.words.data(), 8 * li.w.words.size());
        dram_->write_backdoor(li.u_addr, li.u.words.data(), 8 * li.u.words.size());
        dram_->write_backdoor(li.table_addr, table.data(), 8 * table.size());
        dram_->write_backdoor(li.bias_addr, bias.data(), 8 * bias.size());
    }
    write_classifier(*dram_, image_.classifier);
    if (image_.layers.empty()) return;  // workload: none
    const std::size_t m = image_.layers[0].input_size;
    std::vector<float> row(padded(m), 0.0f);
    for (std::size_t s = 0; s < image_.sequences; ++s)
        for (std::size_t t = 0; t < image_.steps; ++t) {
            std::copy_n(&image_.inputs[(s * image_.steps + t) * m], m, row.begin());
            dram_->write_backdoor(image_.x_addr[s] + 4 * padded(m) * t, row.data(), 4 * row.size());
        }
}

void Platform::load_descriptor() {
    elstm_desc d{};
    d.magic = ELSTM_DESC_MAGIC;
    d.version = ELSTM_DESC_VERSION;
    d.layers = image_.layers.size();
    d.sequences = image_.sequences;
    d.steps = image_.steps;
    const std::vector<LayerCommands> program = host_program();
    if (!program.empty()) {  // workload: none has no commands, its flags and features stay 0
        const LayerCommands& first = program.front();
        d.flags = first.flags;
        d.features = (first.delta ? ELSTM_FEATURE_DELTA : 0) | (first.weight_scale ? ELSTM_FEATURE_WEIGHT_SCALE : 0);
    }
    d.layer_table = image_.layer_table;
    d.x_table = image_.x_table;
    d.h_table = image_.h_table;
    d.classes = image_.classifier.classes;
    d.classifier_w = image_.classifier.w_addr;
    d.classifier_bias = image_.classifier.bias_addr;
    d.labels = image_.classifier.labels_addr;
    dram_->write_backdoor(image_.descriptor, &d, sizeof d);
    for (std::size_t k = 0; k < image_.placed.size(); ++k) {
        const LayerImage& li = image_.placed[k];
        elstm_layer_desc l{};
        l.m = li.m;
        l.n = li.n;
        std::uint32_t th;
        std::memcpy(&th, &li.threshold, sizeof th);
        l.threshold_bits = th;
        l.w = li.w_addr;
        l.bias = li.bias_addr;
        l.table = li.table_addr;
        l.u = li.u_addr;
        l.n_fuse = config_.schedule.n_fuse_for(k);
        std::memcpy(&th, &config_.schedule.theta_x, sizeof th);
        l.theta_x_bits = th;
        std::memcpy(&th, &config_.schedule.theta_h, sizeof th);
        l.theta_h_bits = th;
        l.w_frac = li.w_frac;
        l.u_frac = li.u_frac;
        dram_->write_backdoor(image_.layer_table + sizeof l * k, &l, sizeof l);
        for (std::size_t s = 0; s < image_.sequences; ++s)
            dram_->write_backdoor(image_.h_table + 8 * (k * image_.sequences + s), &li.h_addr[s], 8);
    }
    for (std::size_t s = 0; s < image_.sequences; ++s)
        dram_->write_backdoor(image_.x_table + 8 * s, &image_.x_addr[s], 8);
}

// Built-in firmware: next to the running executable (build/firmware, or bin/firmware of an
// installation), else where this library was built; load_firmware falls back on the copy
// compiled into the library.
std::string firmware_path(const std::string& name) {
    if (!is_builtin_firmware(name)) return name;
    std::vector<std::string> dirs;
    char exe[4096];
    const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        const std::string path(exe, static_cast<std::size_t>(len));
        dirs.push_back(path.substr(0, path.rfind('/')) + "/firmware");
    }
    dirs.push_back(ELSTM_BUILD_FIRMWARE_DIR);
    for (const std::string& dir : dirs) {
        const std::string elf = dir + "/" + name + ".elf";
        if (std::filesystem::exists(elf)) return elf;
    }
    return dirs.front() + "/" + name + ".elf";  // load_elf then says it cannot open it
}

std::uint64_t Platform::load_firmware() {
    const std::string path = firmware_path(config_.host.firmware);
    const std::vector<std::uint8_t> builtin = builtin_firmware(config_.host.firmware);
    const ElfImage elf = !builtin.empty() && !std::filesystem::exists(path)
                             ? load_elf_bytes(builtin, "built-in " + config_.host.firmware + ".elf")
                             : load_elf(path);
    for (const ElfSegment& seg : elf.segments) {
        // The firmware owns everything below the descriptor; a segment elsewhere would overwrite
        // the workload (or miss the DRAM altogether).
        if (seg.addr < config_.dram.base || seg.addr + seg.mem_size > image_.descriptor) {
            std::ostringstream msg;
            msg << path << ": segment at " << hex(seg.addr) << " (" << seg.mem_size << " bytes) is outside the firmware region ["
                << hex(config_.dram.base) << ", " << hex(image_.descriptor) << ")";
            throw Error(msg.str());
        }
        dram_->write_backdoor(seg.addr, seg.bytes.data(), seg.bytes.size());
        const std::vector<std::uint8_t> zeros(seg.mem_size - seg.bytes.size(), 0);
        if (!zeros.empty()) dram_->write_backdoor(seg.addr + seg.bytes.size(), zeros.data(), zeros.size());
    }
    if (image_.descriptor != ELSTM_DESC_ADDR)
        throw Error("dram.base: the firmware expects its descriptor at " + hex(ELSTM_DESC_ADDR) +
                    ", i.e. dram.base " + hex(ELSTM_DESC_ADDR - kImageOffset));
    return elf.entry;
}

std::vector<LayerCommands> Platform::host_program() const {
    std::vector<LayerCommands> program;
    std::uint64_t flags = 0;
    if (config_.schedule.kind == Schedule::sequential) flags |= rocc_cmd::kFlagSequential;
    if (config_.schedule.skip == SkipPolicy::none) flags |= rocc_cmd::kFlagNoPruning;
    if (config_.schedule.skip == SkipPolicy::delta) flags |= rocc_cmd::kFlagDelta;
    for (std::size_t s = 0; s < image_.sequences; ++s) {
        for (std::size_t k = 0; k < image_.placed.size(); ++k) {
            const LayerImage& li = image_.placed[k];
            LayerCommands c;
            c.m = li.m;
            c.n = li.n;
            c.threshold = li.threshold;
            c.steps = image_.steps;
            c.w_addr = li.w_addr;
            c.bias_addr = li.bias_addr;
            c.table_addr = li.table_addr;
            c.n_fuse = config_.schedule.n_fuse_for(k);
            c.x_addr = k == 0 ? image_.x_addr[s] : image_.placed[k - 1].h_addr[s];
            c.h_addr = li.h_addr[s];
            c.u_addr = li.u_addr;
            c.flags = flags;
            c.delta = config_.schedule.skip == SkipPolicy::delta;
            c.theta_x = config_.schedule.theta_x;
            c.theta_h = config_.schedule.theta_h;
            c.weight_scale = image_.datapath == Datapath::fixed && image_.format == WeightFormat::csc_ese;
            c.w_frac = li.w_frac;
            c.u_frac = li.u_frac;
            program.push_back(c);
        }
    }
    return program;
}

void Platform::open_trace() {
    if (config_.vcd.empty()) return;
    check_writable(config_.vcd, "trace.vcd");
    // SystemC writes the trace to a file of this run's own, which finish_trace() copies to the
    // final name: a failed run leaves no complete-looking VCD, and two runs at once never write
    // into one file. It sits beside the final file (links followed); for a device or a stream,
    // in the temporary folder. SystemC appends ".vcd" to the name it is given.
    const OutputTarget target = resolve_output(config_.vcd);
    std::string stem = target.path;
    if (target.kind != OutputTarget::Kind::file) {
        std::error_code ec;
        const std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
        stem = (ec ? std::filesystem::path("/tmp") : tmp) / "elstm-vp";
    }
    if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".vcd") == 0) stem.resize(stem.size() - 4);
    stem += ".partial";
    const int fd = create_unique(stem, "vcd", &partial_vcd_);
    if (fd < 0) throw Error("trace.vcd: cannot write " + config_.vcd + ": " + std::strerror(errno));
    close(fd);
    if (target.kind == OutputTarget::Kind::file) failed_vcd_ = stem + ".vcd";
    trace_ = sc_core::sc_create_vcd_trace_file(partial_vcd_.substr(0, partial_vcd_.size() - 4).c_str());
    if (!trace_) throw Error("trace.vcd: cannot create " + config_.vcd);
    // VCD time units are powers of ten: the largest one that divides the clock period.
    std::uint64_t unit_ps = 1;
    while (clock_.period().value() % (unit_ps * 10) == 0) unit_ps *= 10;
    trace_->set_time_unit(static_cast<double>(unit_ps), sc_core::SC_PS);
    trace(trace_);
}

void Platform::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    // Whoever the host is, its state is core.state (README "VCD signals").
    if (core_) core_->trace(file, prefix + "core");
    else if (driver_) driver_->trace(file, prefix + "core");
    else sc_core::sc_trace(file, external_state_->signal, prefix + "core.state");
    channel_->trace(file, prefix + "rocc");
    dram_->trace(file, prefix + "dram");
    accel_->trace(file, prefix + "accel");
}

std::size_t Platform::completed_runs() const {
    const std::vector<LayerRun>& runs = accel_->runs();
    return runs.empty() || finished(runs.back()) ? runs.size() : runs.size() - 1;
}

std::string Platform::position() const {
    std::ostringstream s;
    const std::size_t done = completed_runs();
    if (done < accel_->runs().size())
        s << "layer run " << done << ", step " << (last_step_.run == done ? last_step_.steps : 0) << '/'
          << accel_->runs()[done].steps;
    else
        s << "accelerator idle after " << done << (done == 1 ? " layer run" : " layer runs");
    if (core_) s << ", core pc " << hex(core_->pc());
    return s.str();
}

// Runs are numbered as in the summary: run r is layer r mod layers of sequence r / layers.
// A first-layer run of the workload's shape keeps the x it is about to read (padded rows in DRAM).
void Platform::capture_inputs(const LayerRun& run) {
    const std::size_t r = accel_->runs().size() - 1, layers = image_.layers.size();
    const std::size_t m = image_.layers[0].input_size, s = r / layers;
    if (r % layers != 0 || s >= image_.sequences || run.m != m || run.steps != image_.steps) return;
    const std::uint64_t bytes = 4 * padded(m) * image_.steps;
    const DramConfig& d = config_.dram;
    // A bad x address is the accelerator's to report (a bus error), not this copy's.
    if (run.x_addr < d.base || run.x_addr - d.base > d.size || bytes > d.size - (run.x_addr - d.base)) return;
    std::vector<float> xs(image_.steps * m), row(padded(m));
    for (std::size_t t = 0; t < image_.steps; ++t) {
        dram_->read_backdoor(run.x_addr + 4 * padded(m) * t, row.data(), 4 * row.size());
        std::copy_n(row.begin(), m, xs.begin() + static_cast<std::ptrdiff_t>(t * m));
    }
    started_x_.resize(image_.sequences);
    started_x_[s] = std::move(xs);
}

std::vector<float> Platform::run_inputs(std::size_t sequence) const {
    if (sequence < started_x_.size() && !started_x_[sequence].empty()) return started_x_[sequence];
    return sequence_inputs(image_, sequence);
}

std::vector<float> Platform::simulated_h(std::size_t layer, std::size_t sequence) const {
    const std::size_t n = image_.layers[layer].hidden_size;
    std::vector<float> h(image_.steps * n), row(padded(n));
    for (std::size_t t = 0; t < image_.steps; ++t) {
        dram_->read_backdoor(image_.placed[layer].h_addr[sequence] + 4 * padded(n) * t, row.data(), 4 * row.size());
        std::copy_n(row.begin(), n, h.begin() + static_cast<std::ptrdiff_t>(t * n));
    }
    return h;
}

GoldenCheck Platform::check_golden() const {
    GoldenCheck check;
    check.tolerance = config_.host.golden_tolerance;
    const std::size_t layers = image_.layers.size();
    check.fp32_max_error.assign(layers, 0.0);
    check.fp32_mean_error.assign(layers, 0.0);
    // Without quantized weights and with nothing skipped, the golden model is the fp32 reference.
    const bool golden_is_reference = image_.reference.empty() && config_.schedule.skip == SkipPolicy::none;
    for (std::size_t s = 0; s < image_.sequences; ++s) {
        std::vector<std::vector<float>> golden;
        const std::vector<float> xs = run_inputs(s);
        if (check.passed || golden_is_reference) golden = golden_outputs(image_, xs, config_.schedule);
        if (image_.classifier.classes && check.passed) {
            const auto n = static_cast<std::ptrdiff_t>(image_.layers.back().hidden_size);
            check.last_h.emplace_back(golden.back().end() - n, golden.back().end());
        }
        const std::vector<std::vector<float>> reference =
            golden_is_reference ? golden : fp32_reference_outputs(image_, xs);
        for (std::size_t k = 0; k < layers; ++k) {
            const std::size_t n = image_.layers[k].hidden_size;
            const std::vector<float> h = simulated_h(k, s);
            for (std::size_t i = 0; i < h.size(); ++i) {
                const double e = std::fabs(double(h[i]) - double(reference[k][i]));
                check.fp32_max_error[k] = std::max(check.fp32_max_error[k], e);
                check.fp32_mean_error[k] += e / double(h.size() * image_.sequences);
            }
            for (std::size_t i = 0; i < h.size() && check.passed; ++i) {
                ++check.values;
                const float want = golden[k][i];
                // The accelerator adds in the golden model's order, so by default its results
                // must agree bit for bit; a CPU-only firmware with its own libm gets a tolerance.
                const double diff = std::fabs(static_cast<double>(h[i]) - static_cast<double>(want));
                const bool same = check.tolerance == 0.0 ? std::memcmp(&h[i], &want, sizeof want) == 0
                                                         : diff <= check.tolerance;
                if (diff > check.max_abs_diff || std::isnan(diff)) check.max_abs_diff = diff;
                if (same) continue;
                char buf[200];
                std::snprintf(buf, sizeof buf,
                              "layer %zu, sequence %zu, step %zu, h[%zu]: %.9g (simulated) vs %.9g (golden)", k + 1,
                              s, i / n, i % n, static_cast<double>(h[i]), static_cast<double>(want));
                check.first_mismatch = buf;
                check.passed = false;
            }
        }
    }
    return check;
}

}  // namespace elstm
