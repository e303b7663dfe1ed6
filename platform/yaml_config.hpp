#pragma once
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/platform/platform_config.hpp>

namespace elstm {

// A bad configuration. The message names where and what, in one line:
// `FILE:LINE:COL: KEY: what is wrong`, or `--set KEY=VALUE: what is wrong` for an override.
class ConfigError : public Error {
public:
    explicit ConfigError(const std::string& what) : Error(what) {}
};

// What the program reading a configuration can run.
struct ConfigOptions {
    // host.kind: external, a host of the program's own bound to the Platform (elstm-vp has none).
    bool external_host = true;
};

// Reads the platform YAML at `path` (YAML is parsed only here, through yaml_document.hpp; the
// schema is in README). `overrides` are `key.path=value` strings from `--set`, applied to the YAML
// tree before it is checked; a value is parsed as YAML, so `schedule.n_fuse=[3,2]` is a list.
// npy paths come back resolved relative to the YAML file's directory. `options` says what the
// reading program can run. Throws ConfigError.
PlatformConfig load_platform_config(const std::string& path, const std::vector<std::string>& overrides,
                                    const ConfigOptions& options = {});

// The effective configuration of `config` (from load_platform_config, its output paths perhaps
// replaced since) as YAML that runs as it is: the file with its --set overrides applied, every
// path in it absolute (inputs, firmware, semihosting root, outputs). Keys the file leaves out
// stay out: their defaults are this version's (README "Keys"). Without `with_outputs` the output
// keys (trace, stats, outputs) are left out: the run's computation alone, whatever it writes where.
std::string effective_config_yaml(const PlatformConfig& config, bool with_outputs = true);

}  // namespace elstm
