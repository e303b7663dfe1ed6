// elstm-vp: run the E-LSTM virtual platform described by a YAML config.
#include <boost/program_options.hpp>
#include <systemc>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include <signal.h>  // sigaction
#include <unistd.h>  // isatty

#include "elstm_version.hpp"
#include <elstm_vp/platform/gtkwave_view.hpp>
#include <elstm_vp/platform/h_outputs.hpp>
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/platform/output_file.hpp>
#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/stats.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

namespace po = boost::program_options;

namespace {

// Progress on stderr: the layer run and step, at most once per percent, rewritten in place
// with \r, so only for a terminal (a log file or pipe would collect every line).
class Progress {
public:
    Progress(std::size_t runs, std::size_t steps) : total_(runs * steps), steps_(steps) {}
    void operator()(std::size_t run, std::size_t step) {
        const std::size_t done = run * steps_ + step + 1;
        const int percent = static_cast<int>(100 * done / total_);
        if (percent == last_) return;
        last_ = percent;
        std::fprintf(stderr, "\relstm-vp: run %zu step %zu/%zu (%d%%)", run, step + 1, steps_, percent);
        open_ = done != total_;
        if (!open_) std::fputc('\n', stderr);
    }
    // Ends a progress line the run left unfinished, so a message after it gets its own line.
    void end_line() {
        if (open_) std::fputc('\n', stderr);
        open_ = false;
    }

private:
    std::size_t total_, steps_;
    int last_ = -1;
    bool open_ = false;
};

// The signal that asked the simulation to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT), 0 while none has.
volatile std::sig_atomic_t stop_signal = 0;

void on_stop_signal(int signo) { stop_signal = signo; }

// While it lives, Ctrl-C, SIGTERM, SIGHUP (the terminal closed) or SIGQUIT (Ctrl-\) stops the
// simulation at the platform's next poll.
// SA_RESETHAND restores the default action at once, so a second signal ends the process
// immediately. A signal ignored on entry (nohup, a script's background job) stays ignored.
class StopSignals {
public:
    StopSignals() {
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        action.sa_flags = SA_RESETHAND;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < std::size(kSignals); ++i) {
            sigaction(kSignals[i], nullptr, &old_[i]);
            if (old_[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &action, nullptr);
        }
    }
    ~StopSignals() {
        for (std::size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &old_[i], nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction old_[std::size(kSignals)];
};

// Exit code 2: an output could not be written (after the run, so not thrown: OutputFile).
int output_failed(const std::string& error) {
    std::cerr << "elstm-vp: " << error << '\n';
    return 2;
}

// An interrupted run keeps what it simulated, under names that say so (README "Bad input and
// failures"): the VCD and the stats so far, then the message; exit 128 + the signal number.
int finish_interrupted(elstm::Platform& platform, const std::string& message, const char* stats_key) {
    std::string error;
    if (!platform.finish_trace(&error)) return output_failed(error);
    const std::string& stats = platform.config().stats;
    if (!stats.empty() && !elstm::write_output(elstm::interrupted_path(stats, ".json"),
                                               elstm::interrupted_stats_json(platform), stats_key, &error))
        return output_failed(error);
    std::cerr << "elstm-vp: " << message << '\n';
    return 128 + stop_signal;
}

// The files a run reads, which no output may overwrite.
std::vector<elstm::NamedPath> input_files(const elstm::PlatformConfig& config, const std::string& config_path) {
    std::vector<elstm::NamedPath> inputs{{"the config", config_path}};
    for (std::size_t k = 0; k < config.workload.npy_layers.size(); ++k) {
        const elstm::NpyLayerFiles& f = config.workload.npy_layers[k];
        const std::string key = "workload.layers[" + std::to_string(k) + "].npy.";
        inputs.push_back({key + "w", f.w});
        inputs.push_back({key + "u", f.u});
        inputs.push_back({key + "bias", f.bias});
    }
    if (!config.workload.inputs.empty()) inputs.push_back({"workload.inputs", config.workload.inputs});
    if (config.workload.classifier.present()) {
        inputs.push_back({"workload.classifier.w", config.workload.classifier.w});
        inputs.push_back({"workload.classifier.bias", config.workload.classifier.bias});
        inputs.push_back({"workload.classifier.labels", config.workload.classifier.labels});
    }
    if (config.host.kind == elstm::HostKind::core)
        inputs.push_back({"host.firmware", elstm::firmware_path(config.host.firmware)});
    return inputs;
}

// A process exit status holds 1 .. 255; any other non-zero firmware exit code (negative, or
// 256 and above, which the status would truncate, 256 to 0) becomes 255.
int exit_status(std::int64_t code) { return code >= 1 && code <= 255 ? static_cast<int>(code) : 255; }

int run(const po::variables_map& vm) {
    std::vector<std::string> sets;
    if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
    if (vm.count("timing")) {
        const std::string timing = vm["timing"].as<std::string>();
        if (timing != "fast" && timing != "exact")
            throw po::error("--timing: '" + timing + "' is not one of fast, exact");
        sets.push_back("timing=" + timing);
    }
    if (vm.count("gdb")) sets.push_back("host.gdb=" + vm["gdb"].as<std::string>());
    const std::string config_path = vm["config"].as<std::string>();
    elstm::ConfigOptions options;
    options.external_host = false;  // nothing here to bind one to the platform
    elstm::PlatformConfig config = elstm::load_platform_config(config_path, sets, options);
    if (vm.count("vcd")) config.vcd = vm["vcd"].as<std::string>();
    const char* stats_key = "stats";
    if (vm.count("stats")) config.stats = vm["stats"].as<std::string>(), stats_key = "--stats";
    const char* h_key = "outputs.h";
    if (vm.count("h-out")) {
        config.h_out = vm["h-out"].as<std::string>(), h_key = "--h-out";
        if (config.h_out == "-")
            throw elstm::Error("--h-out: '-' is not possible: the h outputs are .npy files, one per layer; give a file name");
    }
    if (vm.count("dump-config")) {
        std::cout << elstm::effective_config_yaml(config);
        return 0;
    }
    if (vm.count("list-inputs")) {
        for (const elstm::NamedPath& in : input_files(config, config_path))
            std::cout << in.key << '\t' << std::filesystem::absolute(in.path).lexically_normal().string() << '\n';
        return 0;
    }
    const bool quiet = vm.count("quiet") > 0;
    const std::size_t layers = config.workload.npy_layers.empty() ? config.workload.spec.layers.size()
                                                                   : config.workload.npy_layers.size();
    std::vector<elstm::NamedPath> outputs{{"trace.vcd", config.vcd}, {stats_key, config.stats}, {"trace.tlm", config.tlm}};
    for (const std::string& view : elstm::gtkwave_view_files(config.vcd)) outputs.push_back({"trace.vcd (GTKWave view)", view});
    for (const elstm::NamedPath& h : elstm::h_output_paths(config.h_out, h_key, layers)) outputs.push_back(h);
    // Before the workload is built (that may take a while): the Platform checks the VCD again.
    for (const elstm::NamedPath& out : outputs)
        if (!out.path.empty()) elstm::check_writable(out.path, out.key);
    elstm::check_distinct(outputs, input_files(config, config_path));

    // SystemC announces the VCD time unit as an info report; the README documents it instead.
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    elstm::Platform platform(config);
    Progress progress(platform.image().layers.size() * platform.image().sequences, platform.image().steps);
    if (!quiet && (vm.count("progress") || isatty(STDERR_FILENO))) platform.set_progress(std::ref(progress));
    platform.set_stop_request([] { return stop_signal != 0; });
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    bool finished = false;
    {
        const StopSignals stop_signals;  // while simulating; later a signal ends the process at once
        finished = platform.run(&error);
    }
    progress.end_line();
    if (platform.interrupted()) return finish_interrupted(platform, error, stats_key);
    if (!finished) {
        // The input was fine; the simulated program failed (a trap, a budget, ...).
        std::cerr << "elstm-vp: " << error << '\n';
        return 1;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!platform.finish_trace(&error)) return output_failed(error);
    if (const std::int64_t code = platform.exit_code()) {
        std::cerr << "elstm-vp: the firmware exited with code " << code << '\n';
        return exit_status(code);
    }

    const elstm::GoldenCheck golden = platform.check_golden();
    // The platform's result, written whether or not it passed the golden check.
    if (!config.h_out.empty() && !elstm::write_h_outputs(platform, config.h_out, h_key, &error))
        return output_failed(error);
    if (!config.stats.empty() && !elstm::write_output(config.stats, elstm::stats_json(platform, golden), stats_key, &error))
        return output_failed(error);
    elstm::print_summary(std::cout, platform, golden, wall);
    if (!golden.passed) {
        std::cerr << "elstm-vp: golden check failed: " << golden.first_mismatch << '\n';
        return 1;
    }
    if (elstm::has_classifier(platform)) {
        const std::string why = elstm::classifier_result(platform, golden).failure;
        if (!why.empty()) {
            std::cerr << "elstm-vp: classifier check failed: " << why << '\n';
            return 1;
        }
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
        ("version", "print the program name and version")
        ("config,c", po::value<std::string>(), "platform YAML (see README for every key)")
        ("set,s", po::value<std::vector<std::string>>()->composing(),
         "override a YAML key, e.g. --set accel.n_pe=5 --set schedule.n_fuse=7 (repeatable)")
        ("vcd", po::value<std::string>(), "VCD trace path (overrides trace.vcd; empty string: none; -: stdout)")
        ("stats", po::value<std::string>(), "write the statistics as JSON to this path (-: stdout)")
        ("h-out", po::value<std::string>(),
         "write every layer's h as .npy, one file per layer: F.npy gives F.layer1.npy, ... (overrides outputs.h)")
        ("dump-config", "print the effective configuration (file, --set overrides, absolute paths) as YAML and exit")
        ("list-inputs", "print every file the run reads (the config, .npy files, firmware), one 'key<TAB>absolute path' per line, and exit")
        ("timing", po::value<std::string>(), "fast (default) or exact: the per-word port yardstick")
        ("quiet,q", "no progress on stderr (shown only when stderr is a terminal)")
        ("progress", "progress on stderr even when it is not a terminal")
        ("gdb", po::value<std::string>(), "wait for GDB on 127.0.0.1:PORT before the first instruction (host.gdb)");
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << opts << '\n';
            return 0;
        }
        if (vm.count("version")) {
            std::cout << "elstm-vp " << elstm::kProjectVersion << '\n';
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
    } catch (const std::bad_alloc&) {
        // What limits.memory's estimate let through, or a machine with less memory free.
        std::cerr << "elstm-vp: out of memory: the machine refused an allocation (limits.memory bounds the estimate)\n";
        return 1;
    }
}
