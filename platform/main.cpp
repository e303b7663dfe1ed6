// elstm-vp: run the E-LSTM virtual platform described by a YAML config.
#include <boost/program_options.hpp>
#include <systemc>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "numeric/error.hpp"
#include "platform.hpp"
#include "stats.hpp"
#include "yaml_config.hpp"

namespace po = boost::program_options;

namespace {

// Progress on stderr: the layer run and step, at most once per percent.
class Progress {
public:
    Progress(std::size_t runs, std::size_t steps) : total_(runs * steps), steps_(steps) {}
    void operator()(std::size_t run, std::size_t step) {
        const std::size_t done = run * steps_ + step + 1;
        const int percent = static_cast<int>(100 * done / total_);
        if (percent == last_) return;
        last_ = percent;
        std::fprintf(stderr, "\relstm-vp: run %zu step %zu/%zu (%d%%)", run, step + 1, steps_, percent);
        if (done == total_) std::fputc('\n', stderr);
    }

private:
    std::size_t total_, steps_;
    int last_ = -1;
};

void write_file(const std::string& path, const std::string& text, const char* key) {
    // Write to a temporary name and rename, so a failed run never leaves a complete-looking file.
    const std::string tmp = path + ".tmp";
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.close();
    if (!out || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw elstm::Error(std::string(key) + ": cannot write " + path);
    }
}

int run(const po::variables_map& vm) {
    std::vector<std::string> sets;
    if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
    if (vm.count("timing")) {
        const std::string timing = vm["timing"].as<std::string>();
        if (timing != "fast" && timing != "exact")
            throw po::error("--timing: '" + timing + "' is not one of fast, exact");
        sets.push_back("timing=" + timing);
    }
    elstm::PlatformConfig config = elstm::load_platform_config(vm["config"].as<std::string>(), sets);
    if (vm.count("vcd")) config.vcd = vm["vcd"].as<std::string>();
    const char* stats_key = "stats";
    if (vm.count("stats")) config.stats = vm["stats"].as<std::string>(), stats_key = "--stats";
    const bool quiet = vm.count("quiet") > 0;
    if (!config.stats.empty()) elstm::check_writable(config.stats, stats_key);

    // SystemC announces the VCD time unit as an info report; the README documents it instead.
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    elstm::Platform platform(config);
    Progress progress(platform.image().layers.size() * platform.image().sequences, platform.image().steps);
    if (!quiet) platform.set_progress(std::ref(progress));
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    if (!platform.run(&error)) {
        // The input was fine; the simulated program failed (a trap, the budget, ...).
        std::cerr << "elstm-vp: " << error << '\n';
        return 1;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    platform.finish_trace();
    if (const int code = platform.exit_code()) {
        std::cerr << "elstm-vp: the firmware exited with code " << code << '\n';
        return code;
    }

    const elstm::GoldenCheck golden = platform.check_golden();
    if (!config.stats.empty()) write_file(config.stats, elstm::stats_json(platform, golden), stats_key);
    elstm::print_summary(std::cout, platform, golden, wall);
    if (!golden.passed) {
        std::cerr << "elstm-vp: golden check failed: " << golden.first_mismatch << '\n';
        return 1;
    }
    return 0;
}

}  // namespace

// Our own main replaces libsystemc's so its banner is off before SystemC would print it.
int main(int argc, char** argv) {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
    po::options_description opts(
        "elstm-vp: SystemC/TLM-2.0 virtual platform of the E-LSTM system\n"
        "Usage: elstm-vp --config configs/ptb.yaml [--set key.path=value]... [--vcd F] [--stats F]\nOptions");
    opts.add_options()
        ("help,h", "print this help")
        ("config,c", po::value<std::string>(), "platform YAML (see README for every key)")
        ("set,s", po::value<std::vector<std::string>>()->composing(),
         "override a YAML key, e.g. --set accel.n_pe=5 --set schedule.n_fuse=7 (repeatable)")
        ("vcd", po::value<std::string>(), "VCD trace path (overrides trace.vcd; empty string: none)")
        ("stats", po::value<std::string>(), "write the statistics as JSON to this path")
        ("timing", po::value<std::string>(), "fast (default) or exact: the per-word port yardstick")
        ("quiet,q", "no progress on stderr");
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << opts << '\n';
            return 0;
        }
        if (!vm.count("config")) throw po::error("--config is required");
        return run(vm);
    } catch (const po::error& e) {
        std::cerr << "elstm-vp: " << e.what() << " (see --help)\n";
        return 2;
    } catch (const elstm::Error& e) {
        std::cerr << "elstm-vp: " << e.what() << '\n';
        return 2;
    } catch (const sc_core::sc_report& r) {
        std::cerr << "elstm-vp: " << r.get_msg_type() << ": " << r.get_msg() << '\n';
        return 1;
    }
}
