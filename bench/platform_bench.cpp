// Simulation speed of the platform against the bare functional computation: one benchmark
// layer simulated in fast timing by the test-bench host (run only: the workload is built
// first), then the golden LSTM computing the same layer from the same weights and inputs.
// Prints simulated cycles per CPU second, the time ratio simulation / golden and the minor
// page faults of each.
#include <boost/program_options.hpp>
#include <systemc>

#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <sys/resource.h>

#include "elstm_version.hpp"
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/lstm.hpp>
#include <elstm_vp/numeric/workload.hpp>
#include <elstm_vp/platform/platform.hpp>

namespace po = boost::program_options;

namespace {

// Process CPU time, so the ratio holds on a machine busy with other work.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// First touches of fresh memory: buffers allocated per burst or per layer cost their pages again.
long minor_faults() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

elstm::PlatformConfig one_layer(const std::string& benchmark, unsigned layer, unsigned n_fuse, bool exact) {
    elstm::PlatformConfig c;
    c.source = "platform_bench";
    c.dram.size = 1ull << 30;
    c.rocc.timing = exact ? elstm::PortTiming::exact : elstm::PortTiming::fast;
    c.accel.pes = {{"pe0", elstm::PeRole::spmv, 4}, {"pe1", elstm::PeRole::spmv, 4}, {"pe2", elstm::PeRole::spmspv, 4}};
    c.schedule.n_fuse = {n_fuse};
    c.host.kind = elstm::HostKind::driver;
    elstm::WorkloadSpec spec = elstm::benchmark_spec(benchmark);
    if (layer < 1 || layer > spec.layers.size()) throw elstm::Error("--layer: the benchmark has 2 layers");
    elstm::LayerSpec l = spec.layers[layer - 1];
    l.target_h_sparsity = 0.5;
    spec.layers = {l};
    c.workload.spec = spec;
    return c;
}

int run(const po::variables_map& vm) {
    const elstm::PlatformConfig config =
        one_layer(vm["benchmark"].as<std::string>(), vm["layer"].as<unsigned>(), vm["n-fuse"].as<unsigned>(),
                  vm["timing"].as<std::string>() == "exact");
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    elstm::Platform platform(config);
    const elstm::WorkloadImage& image = platform.image();
    const elstm::LayerImage& placed = image.placed[0];
    std::printf("layer: %zu -> %zu, %zu steps, W %zu words, U %zu words\n", placed.m, placed.n, image.steps,
                placed.w.words.size(), placed.u.words.size());

    double t0 = cpu_seconds();
    long f0 = minor_faults();
    std::string error;
    if (!platform.run(&error)) throw elstm::Error(error);
    const double sim_cpu = cpu_seconds() - t0;
    const long sim_faults = minor_faults() - f0;
    const elstm::LayerRun& run = platform.accelerator().runs().at(0);

    t0 = cpu_seconds();
    f0 = minor_faults();
    const auto golden = elstm::golden_outputs(image, elstm::sequence_inputs(image, 0), config.schedule);
    const double golden_cpu = cpu_seconds() - t0;
    const long golden_faults = minor_faults() - f0;

    const elstm::GoldenCheck check = platform.check_golden();
    std::printf("simulated: %llu cycles (h blocks skipped %.1f %%) in %.3f s CPU: %.3g cycles/s\n",
                static_cast<unsigned long long>(run.cycles()),
                100.0 * run.h_blocks_skipped / static_cast<double>(run.h_blocks_total), sim_cpu,
                run.cycles() / sim_cpu);
    std::printf("golden LSTM, same layer and weights: %.3f s CPU\n", golden_cpu);
    std::printf("simulation / golden time: %.2f\n", sim_cpu / golden_cpu);
    std::printf("minor page faults: simulation %ld, golden %ld\n", sim_faults, golden_faults);
    std::printf("golden check: %s\n", check.passed ? "passed (bit-exact)" : check.first_mismatch.c_str());
    return check.passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
    po::options_description opts("platform_bench: simulation speed vs the golden LSTM\nOptions");
    opts.add_options()
        ("help,h", "print this help")
        ("version", "print the program name and version")
        ("benchmark", po::value<std::string>()->default_value("wikitext"), "mnist, ptb or wikitext")
        ("layer", po::value<unsigned>()->default_value(1), "layer 1 or 2")
        ("n-fuse", po::value<unsigned>()->default_value(4), "group size")
        ("timing", po::value<std::string>()->default_value("fast"), "fast or exact");
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << opts << '\n';
            return 0;
        }
        if (vm.count("version")) {
            std::cout << "platform_bench " << elstm::kProjectVersion << '\n';
            return 0;
        }
        return run(vm);
    } catch (const po::error& e) {
        std::cerr << "platform_bench: " << e.what() << '\n';
    } catch (const elstm::Error& e) {
        std::cerr << "platform_bench: " << e.what() << '\n';
    } catch (const sc_core::sc_report& r) {
        std::cerr << "platform_bench: " << r.get_msg() << '\n';
    }
    return 2;
}
