// elstm-esell: storage and buffer-area comparison of eSELL against CSR, CSC, COO, ESE's
// interleaved CSC and BBS's CBS for one weight matrix (a benchmark layer or a .npy file), the
// words each streaming format moves through the RoCC port, and a dump of the packed words.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "elstm_version.hpp"
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/formats.hpp>
#include <elstm_vp/numeric/lstm_variant.hpp>
#include <elstm_vp/numeric/npy.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>
#include <elstm_vp/numeric/workload.hpp>

namespace po = boost::program_options;

namespace elstm {
namespace {

constexpr int kBadInput = 2;

struct Matrix {
    DenseMatrix m;
    std::string label;
};

po::options_description option_list() {
    po::options_description d("Options");
    d.add_options()
        ("help,h", "show this help and exit")
        ("version", "print the program name and version")
        ("benchmark", po::value<std::string>(), "benchmark layer matrix: mnist | ptb | wikitext")
        ("layer", po::value<unsigned>()->default_value(1), "benchmark layer, 1 or 2")
        ("matrix", po::value<std::string>()->default_value("W"), "benchmark matrix: W (4n x m) or U (4n x n)")
        ("seed", po::value<std::uint64_t>()->default_value(1), "seed of the generated weights")
        ("gain", po::value<double>(), "weight gain (default: the benchmark's)")
        ("pruning", po::value<std::string>()->default_value("unstructured"),
         "benchmark zeros: unstructured | load_balanced | bank_balanced")
        ("npy", po::value<std::string>(), "a 2-D float32/float16 .npy matrix instead of a benchmark")
        ("dump", po::value<std::string>(), "write the packed words of --format (hex, one 64-bit word per line) to FILE")
        ("format", po::value<std::string>()->default_value("esell"), "format of --dump: esell | csc_ese | cbs_bbs | csr")
        ("fixed", "--dump: weights quantized to 12-bit fixed point (csc_ese packs ESE's 16-bit entries)")
        ("esell-dump", po::value<std::string>(), "the same as --dump FILE --format esell");
    return d;
}

void print_help(const po::options_description& d) {
    std::cout << "Usage: elstm-esell --benchmark NAME [--layer 1|2] [--matrix W|U] [--seed S] [--gain G]\n"
                 "       elstm-esell --npy FILE\n"
                 "Compares the storage and the SpMV buffer area of eSELL, CSR, CSC, COO, ESE-CSC and\n"
                 "BBS-CBS for one weight matrix (values rounded to fp16; SRAM area ~ bits^0.9 x ports^0.7).\n\n"
              << d;
}

bool given(const po::variables_map& vm, const char* name) { return vm.count(name) && !vm[name].defaulted(); }

Matrix benchmark_matrix(const po::variables_map& vm) {
    const std::string name = vm["benchmark"].as<std::string>();
    const std::vector<std::string> names = benchmark_names();
    if (std::find(names.begin(), names.end(), name) == names.end())
        throw Error("unknown benchmark '" + name + "' (use mnist, ptb or wikitext)");
    const WorkloadSpec spec = benchmark_spec(name);

    const unsigned layer = vm["layer"].as<unsigned>();
    if (layer < 1 || layer > spec.layers.size())
        throw Error("--layer " + std::to_string(layer) + " is out of range: " + name + " has layers 1.." +
                    std::to_string(spec.layers.size()));
    const std::string which = vm["matrix"].as<std::string>();
    if (which != "W" && which != "U") throw Error("--matrix '" + which + "' is neither W nor U");
    const LayerSpec& ls = spec.layers[layer - 1];
    const double gain = vm.count("gain") ? vm["gain"].as<double>() : ls.gain;
    if (!(gain > 0.0) || !std::isfinite(gain)) throw Error("--gain must be a positive number");

    LayerSpec pruned = ls;
    const std::string pruning = vm["pruning"].as<std::string>();
    if (!parse_pruning_kind(pruning, pruned.pruning))
        throw Error("--pruning '" + pruning + "' is none of unstructured, load_balanced, bank_balanced");
    const std::uint64_t seed = vm["seed"].as<std::uint64_t>();
    LstmLayerWeights w = generate_layer(pruned, gain, seed);
    std::ostringstream label;
    label << name << " layer " << layer << ' ' << which << " (seed " << seed << ", gain " << gain << ", " << pruning
          << ')';
    return {which == "W" ? std::move(w.w) : std::move(w.u), label.str()};
}

Matrix npy_matrix(const po::variables_map& vm) {
    for (const char* other : {"benchmark", "layer", "matrix", "seed", "gain", "pruning"})
        if (given(vm, other)) throw Error(std::string("--npy cannot be combined with --") + other);
    const std::string path = vm["npy"].as<std::string>();
    return {npy_fp16_matrix(load_npy(path), path), path};
}

Matrix input_matrix(const po::variables_map& vm) {
    if (vm.count("npy")) return npy_matrix(vm);
    if (vm.count("benchmark")) return benchmark_matrix(vm);
    throw Error("give --benchmark NAME or --npy FILE (see --help)");
}

// The matrix packed in `f`; with `fixed`, quantized to 12-bit fixed point first.
PackedMatrix packed(const DenseMatrix& m, WeightFormat f, bool fixed) {
    if (!fixed) return pack(m, f);
    int frac_bits = 0;
    const DenseMatrix q = quantize_weights(m, frac_bits);
    return pack(q, f, {f == WeightFormat::csc_ese, frac_bits});
}

// Hex words in $readmemh style: "//" comments, 16 digits per 64-bit word.
void dump_packed(const DenseMatrix& m, WeightFormat f, bool fixed, const std::string& path) {
    const PackedMatrix p = packed(m, f, fixed);
    const std::vector<std::uint64_t> table = esell::pack_word_table(p.segment_words);
    std::ofstream out(path);
    if (!out) throw Error("cannot open '" + path + "' for writing");
    out << "// " << weight_format_name(f) << (p.options.fixed12 ? " (12-bit entries, fraction bits " +
                                                                       std::to_string(p.options.frac_bits) + ")"
                                                                 : "")
        << ' ' << p.rows << " x " << p.cols << ": " << p.words.size() << " stream words, then " << table.size()
        << " table words (" << p.segment_words.size() << " 16-bit segment word counts, 4 per word)\n"
        << "// stream\n" << std::hex << std::setfill('0');
    for (std::uint64_t w : p.words) out << std::setw(16) << w << '\n';
    out << "// segment table\n";
    for (std::uint64_t w : table) out << std::setw(16) << w << '\n';
    if (!out.flush()) throw Error("cannot write '" + path + "'");
    std::cout << weight_format_name(f) << " words written to " << path << " (" << p.words.size() << " stream + "
              << table.size() << " table words)\n";
}

// What each format streams through the 64-bit port: words that steer the decoder (heads,
// indices) and words of 4 weights, and the words per 4 non-zeros.
void print_streams(const DenseMatrix& m) {
    std::printf("\n%-16s %12s %12s %12s %12s\n", "port stream", "words", "steering", "values", "words/4 nnz");
    const double quads = static_cast<double>(m.nonzeros()) / 4.0;
    for (std::size_t k = 0; k < kWeightFormats; ++k) {
        const WeightFormat f = static_cast<WeightFormat>(k);
        for (bool fixed : {false, true}) {
            if (fixed && f != WeightFormat::csc_ese) continue;  // only ESE packs 12-bit entries
            const PackedMatrix p = packed(m, f, fixed);
            const std::size_t values = value_words(p);
            const std::string name = std::string(weight_format_name(f)) + (fixed ? " fixed12" : "");
            std::printf("%-16s %12zu %12zu %12zu %12.2f\n", name.c_str(), p.words.size(), p.words.size() - values,
                        values, quads > 0 ? static_cast<double>(p.words.size()) / quads : 0.0);
        }
    }
}

std::string ports_text(unsigned banks, unsigned ports) {
    return banks > 1 ? std::to_string(banks) + "x" + std::to_string(ports) : std::to_string(ports);
}

double kib(std::uint64_t bits) { return static_cast<double>(bits) / 8.0 / 1024.0; }

void print_table(const std::vector<FormatCost>& rows) {
    std::printf("%-8s %12s %12s %10s %11s  %6s %11s  %6s %11s\n", "format", "value bits", "index bits",
                "meta bits", "total KiB", "RB port", "RB area", "VB port", "VB area");
    for (const FormatCost& c : rows)
        std::printf("%-8s %12llu %12llu %10llu %11.1f  %6s %11.0f  %6s %11.0f\n", c.name.c_str(),
                    static_cast<unsigned long long>(c.value_bits), static_cast<unsigned long long>(c.index_bits),
                    static_cast<unsigned long long>(c.meta_bits), kib(c.total_bits()),
                    ports_text(c.result_banks, c.result_ports).c_str(), c.result_buffer_area,
                    ports_text(c.vector_banks, c.vector_ports).c_str(), c.vector_buffer_area);
    std::printf("RB/VB: result / input-vector buffer; port: ports, or banks x ports per bank;\n"
                "area: bits^0.9 x ports^0.7 summed over banks (relative units).\n");
}

const FormatCost& format_row(const std::vector<FormatCost>& rows, const std::string& name) {
    for (const FormatCost& c : rows)
        if (c.name == name) return c;
    throw Error("internal: no " + name + " row");
}

void print_summary(const std::vector<FormatCost>& rows) {
    const FormatCost& es = format_row(rows, "eSELL");
    const FormatCost& csc = format_row(rows, "CSC");
    const double saving = 1.0 - es.result_buffer_area / csc.result_buffer_area;
    std::printf("eSELL result-buffer area saving vs CSC: %.1f %% (paper: 63 %%)\n", 100.0 * saving);
    const double ratio = static_cast<double>(es.total_bits()) / static_cast<double>(csc.total_bits());
    std::printf("eSELL storage vs CSC: %.1f KiB vs %.1f KiB (%.1f %% %s)\n", kib(es.total_bits()),
                kib(csc.total_bits()), 100.0 * std::abs(1.0 - ratio), ratio <= 1.0 ? "smaller" : "larger");
}

int run(int argc, char** argv) {
    const po::options_description options = option_list();
    // Stray words are collected so the error can name them (Boost would only count them).
    po::options_description all;
    all.add(options).add_options()("stray", po::value<std::vector<std::string>>());
    po::positional_options_description stray;
    stray.add("stray", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(stray).run(), vm);
    po::notify(vm);
    if (vm.count("stray")) throw Error("unexpected argument '" + vm["stray"].as<std::vector<std::string>>()[0] + "'");
    if (vm.count("help")) {
        print_help(options);
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "elstm-esell " << kProjectVersion << '\n';
        return 0;
    }
    const Matrix input = input_matrix(vm);
    const DenseMatrix& m = input.m;
    std::printf("matrix: %s: %zu x %zu, %zu non-zeros (%.1f %% zeros)\n", input.label.c_str(), m.rows, m.cols,
                m.nonzeros(), 100.0 * m.zero_fraction());
    const std::vector<FormatCost> rows = compare_formats(m);
    print_table(rows);
    print_summary(rows);
    print_streams(m);
    if (vm.count("dump") && vm.count("esell-dump")) throw Error("give --dump or --esell-dump, not both");
    WeightFormat format = WeightFormat::esell;
    const std::string format_name = vm["format"].as<std::string>();
    if (!parse_weight_format(format_name, format))
        throw Error("--format '" + format_name + "' is none of esell, csc_ese, cbs_bbs, csr");
    if (vm.count("esell-dump") && (given(vm, "format") || vm.count("fixed")))
        throw Error("--esell-dump writes eSELL; use --dump with --format and --fixed");
    if (vm.count("dump")) dump_packed(m, format, vm.count("fixed") > 0, vm["dump"].as<std::string>());
    if (vm.count("esell-dump")) dump_packed(m, WeightFormat::esell, false, vm["esell-dump"].as<std::string>());
    return 0;
}

}  // namespace
}  // namespace elstm

int main(int argc, char** argv) {
    try {
        return elstm::run(argc, argv);
    } catch (const elstm::Error& e) {
        std::cerr << "elstm-esell: " << e.what() << '\n';
    } catch (const po::error& e) {
        std::cerr << "elstm-esell: " << e.what() << " (see --help)\n";
    } catch (const std::exception& e) {
        std::cerr << "elstm-esell: " << e.what() << '\n';
    }
    return elstm::kBadInput;
}
