// Platform example: the whole E-LSTM system of a YAML config from a user's own sc_main, with
// the config's host (host.kind: core runs the built-in firmware, which the program finds in
// the installed package it was built against). Checks h against the golden LSTM.
//
//   platform CONFIG.yaml [KEY=VALUE ...]
#include <iostream>
#include <string>
#include <vector>

#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/stats.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

int sc_main(int argc, char* argv[]) {
    if (argc < 2) {
        std::cerr << "usage: platform CONFIG.yaml [KEY=VALUE ...]\n";
        return 2;
    }
    const std::vector<std::string> overrides(argv + 2, argv + argc);
    elstm::PlatformConfig config;
    try {
        config = elstm::load_platform_config(argv[1], overrides);
    } catch (const elstm::ConfigError& e) {
        std::cerr << e.what() << "\n";  // the file, line and key
        return 2;
    }
    elstm::Platform platform(config);
    std::string error;
    if (!platform.run(&error) || !platform.finish_trace(&error)) {
        std::cerr << error << "\n";
        return 1;
    }
    const elstm::GoldenCheck check = platform.check_golden();
    elstm::print_summary(std::cout, platform, check, 0.0);
    return check.passed ? 0 : 1;
}
