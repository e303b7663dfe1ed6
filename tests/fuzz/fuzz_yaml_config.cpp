// libFuzzer target: the platform's YAML configuration (elstm::load_platform_config) on an
// arbitrary document. The loader reads a path, so each input is written to one file in a
// per-process temporary directory (created once, overwritten for every input, removed at exit).
// Leading lines `#set KEY=VALUE` (YAML comments) are also passed as --set overrides.
//
// ConfigError (an elstm::Error) is the expected answer to a bad document; any other exception
// (a yaml-cpp one escaping the loader, std::out_of_range, ...) or a sanitizer report is a
// finding. The platform itself is not built: SystemC elaborates once per process. When the
// config loads and its workload is small (generated layers of at most 64 units, at most 4
// layers, 8 steps and 2 sequences), the workload is generated as the platform would, and its
// shape checked against the spec; larger workloads (the benchmarks) are skipped.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/workload.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxUnits = 64, kMaxLayers = 4, kMaxSteps = 8, kMaxSequences = 2;

const std::string& config_path() {
    static const std::string path = [] {
        std::string dir = (fs::temp_directory_path() / "elstm_fuzz_yaml.XXXXXX").string();
        if (!mkdtemp(dir.data())) {
            std::perror("fuzz_yaml_config: mkdtemp");
            std::abort();
        }
        static const std::string to_remove = dir;
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(to_remove, ec);
        });
        return dir + "/config.yaml";
    }();
    return path;
}

[[noreturn]] void finding(const char* what) {
    std::fprintf(stderr, "fuzz_yaml_config: %s\n", what);
    std::abort();
}

bool small(const elstm::WorkloadSpec& spec) {
    if (spec.layers.empty() || spec.layers.size() > kMaxLayers) return false;
    if (spec.steps > kMaxSteps || spec.sequences > kMaxSequences) return false;
    for (const elstm::LayerSpec& l : spec.layers)
        if (l.input_size > kMaxUnits || l.hidden_size > kMaxUnits) return false;
    return true;
}

void check_workload(const elstm::PlatformConfig& c) {
    const elstm::WorkloadSpec& spec = c.workload.spec;
    if (!c.workload.npy_layers.empty()) {
        if (!spec.layers.empty()) finding("a config with npy layers also has generated ones");
        return;
    }
    if (spec.layers.empty()) finding("a config loaded without any layer");
    spec.validate();  // load_platform_config validated it: this must not throw
    if (c.schedule.n_fuse.size() != 1 && c.schedule.n_fuse.size() != spec.layers.size())
        finding("schedule.n_fuse has neither one value nor one per layer");
    if (!small(spec)) return;
    const elstm::Workload w = elstm::generate_workload(spec);
    if (w.layers.size() != spec.layers.size()) finding("generated workload has the wrong number of layers");
    if (w.inputs.size() != spec.sequences * spec.steps * spec.layers[0].input_size)
        finding("generated inputs have the wrong size");
    for (std::size_t k = 0; k < w.layers.size(); ++k) {
        const elstm::LstmLayerWeights& l = w.layers[k];
        const std::size_t m = spec.layers[k].input_size, n = spec.layers[k].hidden_size;
        if (l.w.rows != 4 * n || l.w.cols != m || l.u.rows != 4 * n || l.u.cols != n || l.bias.size() != 4 * n)
            finding("generated layer has the wrong shape");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> overrides;
    for (std::size_t pos = 0; text.compare(pos, 5, "#set ") == 0 && overrides.size() < 8;) {
        const std::size_t end = std::min(text.find('\n', pos), text.size());
        overrides.push_back(text.substr(pos + 5, end - pos - 5));
        pos = end + 1;
        if (pos >= text.size()) break;
    }
    {
        std::ofstream out(config_path(), std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!out) finding("cannot write the temporary config");
    }
    elstm::PlatformConfig config;
    try {
        config = elstm::load_platform_config(config_path(), overrides);
    } catch (const elstm::Error&) {
        return 0;
    }
    try {  // what the loader accepted, the numeric core must accept too
        check_workload(config);
    } catch (const elstm::Error& e) {
        std::fprintf(stderr, "fuzz_yaml_config: a loaded config's workload throws: %s\n", e.what());
        std::abort();
    }
    return 0;
}
