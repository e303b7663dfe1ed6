// --dump-config and the stats' effective_config: the merged configuration as YAML that runs as is.
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>

#include <elstm_vp/platform/yaml_config.hpp>

namespace fs = std::filesystem;

namespace elstm {

namespace {

// A path of the run as an absolute one, so the configuration runs from any folder; "" (none)
// and "-" (stdout) stay.
std::string absolute_path(const std::string& p) {
    if (p.empty() || p == "-") return p;
    return fs::absolute(p).lexically_normal().string();
}

}  // namespace

std::string effective_config_yaml(const PlatformConfig& c, bool with_outputs) {
    // Our own emitted text: nothing hostile to guard against when it is read back.
    YAML::Node root = YAML::Load(c.merged_yaml);
    if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
    YAML::Node workload = root["workload"];
    for (std::size_t k = 0; k < c.workload.npy_layers.size(); ++k) {
        YAML::Node npy = workload["layers"][k]["npy"];
        npy["w"] = absolute_path(c.workload.npy_layers[k].w);
        npy["u"] = absolute_path(c.workload.npy_layers[k].u);
        npy["bias"] = absolute_path(c.workload.npy_layers[k].bias);
    }
    if (!c.workload.inputs.empty()) workload["inputs"] = absolute_path(c.workload.inputs);
    if (c.workload.classifier.present()) {
        workload["classifier"]["w"] = absolute_path(c.workload.classifier.w);
        workload["classifier"]["bias"] = absolute_path(c.workload.classifier.bias);
        workload["classifier"]["labels"] = absolute_path(c.workload.classifier.labels);
    }
    if (!is_builtin_firmware(c.host.firmware))
        root["host"]["firmware"] = absolute_path(c.host.firmware);
    if (!c.host.core.semihosting_root.empty())
        root["host"]["semihosting"]["root"] = absolute_path(c.host.core.semihosting_root);
    if (with_outputs) {
        root["trace"]["vcd"] = absolute_path(c.vcd);
        root["stats"] = absolute_path(c.stats);
        if (!c.tlm.empty() || root["trace"]["tlm"]) root["trace"]["tlm"] = absolute_path(c.tlm);
        if (!c.h_out.empty() || root["outputs"]) root["outputs"]["h"] = absolute_path(c.h_out);
    } else {
        for (const char* key : {"trace", "stats", "outputs"}) root.remove(key);
    }
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
}

}  // namespace elstm
