// elstm-tune: the analytic cell-fusion model (docs/design.md §1) over a range of PE counts and
// group sizes, with the best group size per PE count and overall.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "elstm_version.hpp"
#include <elstm_vp/numeric/analytic.hpp>
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/workload.hpp>

namespace po = boost::program_options;
using elstm::Error;

namespace {

// "2..8", "1,2,4" or "3".
std::vector<unsigned> parse_range(const std::string& option, const std::string& text) {
    auto number = [&](const std::string& s) {
        std::size_t used = 0;
        unsigned long v = 0;
        try {
            v = std::stoul(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != s.size() || v == 0 || v > 1024)
            throw Error("--" + option + ": '" + s + "' is not a whole number in 1..1024");
        return static_cast<unsigned>(v);
    };
    std::vector<unsigned> values;
    const auto dots = text.find("..");
    if (dots != std::string::npos) {
        const unsigned lo = number(text.substr(0, dots));
        const unsigned hi = number(text.substr(dots + 2));
        if (lo > hi) throw Error("--" + option + ": empty range '" + text + "'");
        for (unsigned v = lo; v <= hi; ++v) values.push_back(v);
        return values;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        values.push_back(number(text.substr(start, comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return values;
}

void check_fraction(const char* option, double v) {
    if (!(v >= 0.0 && v <= 1.0)) throw Error(std::string("--") + option + " must be in [0, 1]");
}

elstm::AnalyticLayer layer_from_options(const po::variables_map& vm) {
    elstm::AnalyticLayer layer;
    if (vm.count("benchmark")) {
        const elstm::WorkloadSpec spec = elstm::benchmark_spec(vm["benchmark"].as<std::string>());
        const unsigned k = vm["layer"].as<unsigned>();
        if (k < 1 || k > spec.layers.size())
            throw Error("--layer " + std::to_string(k) + ": the benchmark has layers 1.." +
                        std::to_string(spec.layers.size()));
        const elstm::LayerSpec& l = spec.layers[k - 1];
        layer = {l.input_size, l.hidden_size, spec.steps, l.w_sparsity, l.u_sparsity, 0.0};
    } else {
        for (const char* key : {"m", "n", "steps"})
            if (!vm.count(key)) throw Error(std::string("give --benchmark, or all of --m, --n and --steps (--") + key + " is missing)");
        layer.input_size = vm["m"].as<std::size_t>();
        layer.hidden_size = vm["n"].as<std::size_t>();
        layer.steps = vm["steps"].as<std::size_t>();
        if (layer.input_size == 0 || layer.hidden_size == 0 || layer.steps == 0)
            throw Error("--m, --n and --steps must be at least 1");
    }
    if (vm.count("sp-w")) layer.w_sparsity = vm["sp-w"].as<double>();
    if (vm.count("sp-u")) layer.u_sparsity = vm["sp-u"].as<double>();
    layer.h_sparsity = vm["sp-h"].as<double>();
    check_fraction("sp-w", layer.w_sparsity);
    check_fraction("sp-u", layer.u_sparsity);
    check_fraction("sp-h", layer.h_sparsity);
    return layer;
}

int run(const po::variables_map& vm) {
    const elstm::AnalyticLayer layer = layer_from_options(vm);
    const std::vector<unsigned> pes = parse_range("n-pe", vm["n-pe"].as<std::string>());
    const std::vector<unsigned> groups = parse_range("n-fuse", vm["n-fuse"].as<std::string>());
    for (unsigned p : pes)
        if (p < 2) throw Error("--n-pe: cell fusion needs at least 2 PEs (got " + std::to_string(p) + ")");

    const double sequential = elstm::analytic_sequential(layer);
    std::printf("layer: m=%zu n=%zu steps=%zu sp_w=%.3f sp_u=%.3f sp_h=%.3f\n", layer.input_size,
                layer.hidden_size, layer.steps, layer.w_sparsity, layer.u_sparsity, layer.h_sparsity);
    std::printf("t_wx=%.0f t_uh=%.0f cycles per step; sequential (1 PE): %.0f cycles\n\n",
                elstm::analytic_wx_cycles(layer), elstm::analytic_uh_cycles(layer), sequential);
    std::printf("%6s %6s %14s %14s %14s %14s %8s\n", "n_pe", "n_fuse", "prolog", "main", "epilog",
                "total", "speedup");

    unsigned best_p = 0, best_g = 0;
    double best_total = 0;
    for (unsigned p : pes) {
        unsigned row_best_g = 0;
        double row_best = 0;
        for (unsigned g : groups) {
            const elstm::AnalyticCycles c = elstm::analytic_cell_fusion(layer, p, g);
            std::printf("%6u %6u %14.0f %14.0f %14.0f %14.0f %8.3f\n", p, g, c.prolog, c.main,
                        c.epilog, c.total(), sequential / c.total());
            if (row_best_g == 0 || c.total() < row_best) row_best = c.total(), row_best_g = g;
        }
        std::printf("best for n_pe=%u: n_fuse=%u, %.0f cycles, %.3fx over sequential\n\n", p,
                    row_best_g, row_best, sequential / row_best);
        if (best_p == 0 || row_best < best_total) best_total = row_best, best_p = p, best_g = row_best_g;
    }
    std::printf("best overall: n_pe=%u n_fuse=%u, %.0f cycles, %.3fx over sequential\n", best_p,
                best_g, best_total, sequential / best_total);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description opts(
        "elstm-tune: analytic cell-fusion cycles (docs/design.md §1) for a layer\n"
        "Usage: elstm-tune --benchmark ptb --layer 1 --sp-h 0.5 [--n-pe 2..8] [--n-fuse 1..10]\n"
        "       elstm-tune --m 800 --n 800 --steps 35 --sp-w 0.2 --sp-u 0.5\nOptions");
    opts.add_options()
        ("help,h", "print this help")
        ("version", "print the program name and version")
        ("benchmark", po::value<std::string>(), "mnist, ptb or wikitext: shape and weight sparsities")
        ("layer", po::value<unsigned>()->default_value(1), "benchmark layer, 1-based")
        ("m", po::value<std::size_t>(), "input size (without --benchmark)")
        ("n", po::value<std::size_t>(), "hidden size (without --benchmark)")
        ("steps", po::value<std::size_t>(), "time steps per sequence (without --benchmark)")
        ("sp-w", po::value<double>(), "fraction of zeros in W (overrides the benchmark's)")
        ("sp-u", po::value<double>(), "fraction of zeros in U (overrides the benchmark's)")
        ("sp-h", po::value<double>()->default_value(0.0), "fraction of h blocks pruned")
        ("n-pe", po::value<std::string>()->default_value("3"), "PE counts: 2..8, 2,3,5 or 3")
        ("n-fuse", po::value<std::string>()->default_value("1..10"), "group sizes: 1..10, 1,2,4 or 3");
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, opts), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << opts << '\n';
            return 0;
        }
        if (vm.count("version")) {
            std::cout << "elstm-tune " << elstm::kProjectVersion << '\n';
            return 0;
        }
        return run(vm);
    } catch (const po::error& e) {
        std::cerr << "elstm-tune: " << e.what() << " (see --help)\n";
    } catch (const Error& e) {
        std::cerr << "elstm-tune: " << e.what() << '\n';
    }
    return 2;
}
