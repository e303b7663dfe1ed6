#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/core/riscv_core.hpp>
#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>
#include <elstm_vp/numeric/energy.hpp>
#include <elstm_vp/numeric/workload.hpp>

namespace elstm {

// One layer's weights from NumPy files instead of the generator.
struct NpyLayerFiles {
    std::string w, u, bias;
    float h_threshold = 0.0f;
};

// workload.classifier's files: W (classes × hidden), bias (classes), labels (sequences).
struct ClassifierFiles {
    std::string w, bias, labels;
    bool present() const { return !w.empty(); }
};

struct WorkloadConfig {
    // Generated layers (benchmark or explicit shapes); steps, sequences and seed live here.
    WorkloadSpec spec;
    // When not empty, the layers come from these files (spec.layers is then empty) and
    // spec.steps / sequences / seed still apply (inputs are generated).
    std::vector<NpyLayerFiles> npy_layers;
    // `workload: none`: a program of the user's own runs without layers or golden check (the
    // descriptor says no layers; spec has none, steps and sequences are 0).
    bool none = false;
    // workload.inputs: the first layer's x of every sequence from this .npy (resolved path),
    // instead of the generator's; spec.steps and spec.sequences then come from its shape.
    std::string inputs;
    // workload.classifier: a linear layer on the last layer's h at the last step, and each
    // sequence's label (resolved paths; all empty: none). Shapes are checked when the workload
    // is built (classifier.hpp).
    ClassifierFiles classifier;
};

struct ScheduleConfig {
    Schedule kind = Schedule::cell_fusion;
    std::vector<unsigned> n_fuse{3};  // per layer; one value applies to every layer
    SkipPolicy skip = SkipPolicy::h_block_threshold;  // schedule.skip (schedule.pruning: false is none)
    float theta_x = 0.0f, theta_h = 0.0f;             // schedule.delta, for skip: delta
    unsigned n_fuse_for(std::size_t layer) const { return n_fuse.size() == 1 ? n_fuse[0] : n_fuse.at(layer); }
};

// Which buffers were given as `capacity: auto` (sized by the platform to fit the workload).
struct AutoCapacity {
    bool x = true, wx = true, uh = true, h = true, c = true, bias = true, table = true;
};

// The firmware built with the platform, by its host.firmware name: elstm runs the workload's
// layers on the accelerator, classify does the same and then the classifier on the core
// (workload.classifier), lstm_cpu computes the layers on the core alone.
inline bool is_builtin_firmware(const std::string& name) {
    return name == "elstm" || name == "classify" || name == "lstm_cpu";
}

// Who drives the accelerator: the RISC-V core running firmware, the test-bench driver (the
// accelerator-only mode for co-simulation), or a host of the user's own bound to the Platform
// (README "The platform as a module").
enum class HostKind { core, driver, external };
constexpr const char* kHostKindNames[] = {"core", "driver", "external"};
inline const char* host_kind_name(HostKind kind) { return kHostKindNames[static_cast<int>(kind)]; }

struct HostConfig {
    HostKind kind = HostKind::core;
    // A built-in name (is_builtin_firmware: built with the platform, found next to the
    // executable), or a path to an ELF (resolved relative to the YAML file).
    std::string firmware = "elstm";
    CoreConfig core;
    double golden_tolerance = 0.0;  // largest |h − golden| accepted; 0 means bit-exact
};

struct PlatformConfig {
    std::string source;                  // the YAML file, for messages
    double clock_mhz = 1000.0;
    sim::Cycles max_cycles = 0;          // simulated-time budget; 0: none
    DramConfig dram;
    RoccChannelConfig rocc;              // rocc.timing holds fast/exact; memory_latency = dram.latency
    AcceleratorConfig accel;
    AutoCapacity auto_capacity;
    ScheduleConfig schedule;
    WorkloadConfig workload;
    HostConfig host;
    EnergyTable energy;                  // pJ per event, for the stats' energy figures
    std::uint64_t memory_limit = 0;      // limits.memory in bytes; 0: half the physical memory
    std::string vcd;                     // empty: no VCD
    std::string tlm;                     // trace.tlm: the transaction log (JSON lines); empty: none
    std::string stats;                   // empty: no JSON stats file
    std::string h_out;                   // outputs.h: every layer's h as .npy (h_outputs.hpp); empty: none
    // The YAML file with the --set overrides applied, as text (effective_config_yaml() makes it
    // the effective configuration).
    std::string merged_yaml;
};

}  // namespace elstm
