#include <elstm_vp/platform/stats.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "elstm_version.hpp"
#include <elstm_vp/numeric/analytic.hpp>
#include <elstm_vp/numeric/formats.hpp>
#include <elstm_vp/platform/energy.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

namespace elstm {

std::uint64_t accelerator_cycles(const Platform& p) {
    std::uint64_t c = 0;
    for (std::size_t i = 0; i < p.completed_runs(); ++i) c += p.accelerator().runs()[i].cycles();
    return c;
}

namespace {

// A minimal JSON writer: fixed formatting so the output is byte-stable.
class Json {
public:
    explicit Json(std::ostringstream& os) : os_(os) {}
    void open(const char* key, char bracket) {
        comma();
        if (key) os_ << '"' << key << "\": ";
        os_ << bracket;
        first_ = true;
    }
    void close(char bracket) {
        os_ << bracket;
        first_ = false;
    }
    void num(const char* key, double v) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        field(key) << buf;
    }
    void uint(const char* key, std::uint64_t v) { field(key) << v; }
    void str(const char* key, const std::string& v) {
        std::ostream& o = field(key);
        o << '"';
        for (char c : v) {
            if (c == '"' || c == '\\') {
                o << '\\' << c;
            } else if (c == '\n') {
                o << "\\n";
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char esc[8];
                std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(c));
                o << esc;
            } else {
                o << c;
            }
        }
        o << '"';
    }
    void boolean(const char* key, bool v) { field(key) << (v ? "true" : "false"); }
    void null(const char* key) { field(key) << "null"; }

private:
    void comma() {
        if (!first_) os_ << ", ";
        first_ = false;
    }
    std::ostream& field(const char* key) {
        comma();
        if (key) os_ << '"' << key << "\": ";
        return os_;
    }
    std::ostringstream& os_;
    bool first_ = true;
};

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

// compare_formats' name of a weight format.
const char* cost_name(WeightFormat f) {
    switch (f) {
        case WeightFormat::esell: return "eSELL";
        case WeightFormat::csc_ese: return "ESE-CSC";
        case WeightFormat::cbs_bbs: return "BBS-CBS";
        case WeightFormat::csr: return "CSR";
    }
    return "";
}

// The storage and SpMV buffer cost of one matrix in the platform's format (docs/design.md §1 area model).
void format_cost(Json& j, const char* key, const DenseMatrix& m, WeightFormat f, std::uint64_t stream_words) {
    j.open(key, '{');
    j.uint("stream_words", stream_words);
    for (const FormatCost& c : compare_formats(m)) {
        if (c.name != cost_name(f)) continue;
        j.uint("storage_bits", c.total_bits());
        j.num("result_buffer_area", c.result_buffer_area);
        j.num("vector_buffer_area", c.vector_buffer_area);
    }
    j.close('}');
}

const char* schedule_name(Schedule s) { return s == Schedule::cell_fusion ? "cell_fusion" : "sequential"; }

// A PE never fuses more steps than the sequence has: that is the group the model must see.
unsigned fused_group(const LayerRun& run) {
    return static_cast<unsigned>(std::min<std::size_t>(run.n_fuse, run.steps));
}

// The paper's model for one run, fed with the run's own sparsities (h: the fraction it skipped).
double analytic_cycles(const Platform& p, const LayerRun& run, std::size_t layer) {
    const LstmLayerWeights& l = p.image().layers[layer];
    AnalyticLayer a{run.m, run.n, run.steps, l.w.zero_fraction(), l.u.zero_fraction(),
                    ratio(static_cast<double>(run.h_blocks_skipped), static_cast<double>(run.h_blocks_total))};
    if (run.schedule == Schedule::sequential) return analytic_sequential(a);
    const std::size_t spmv = count_role(p.config().accel.pes, PeRole::spmv);
    return analytic_cell_fusion(a, static_cast<unsigned>(spmv + 1), fused_group(run)).total();
}

// The same model fed with what the port really moves: the steering (head, index) and value words
// of W (a steering word takes one cycle, a value word one per fused step) and the U words the
// run streamed.
double analytic_stream_cycles(const Platform& p, const LayerRun& run, std::size_t layer) {
    const LayerImage& li = p.image().placed[layer];
    const double values = static_cast<double>(li.w_value_words);
    const double heads = static_cast<double>(li.w.words.size()) - values;
    const double t_uh = static_cast<double>(run.words[static_cast<int>(PortUser::u)]) / static_cast<double>(run.steps);
    if (run.schedule == Schedule::sequential) return static_cast<double>(run.steps) * (heads + values + t_uh);
    const std::size_t spmv = count_role(p.config().accel.pes, PeRole::spmv);
    const unsigned g = fused_group(run);
    return analytic_cell_fusion(values + heads / g, t_uh, run.steps, static_cast<unsigned>(spmv + 1), g).total();
}

// ---- Energy (platform/energy.hpp): pJ per component, and the events priced.

void energy_components(Json& j, const EnergyBreakdown& b, double scale, bool core) {
    j.num("dram", b.dram * scale), j.num("buffers", b.buffers * scale), j.num("macs", b.macs * scale);
    j.num("vector_pe", b.vector_pe * scale), j.num("rocc", b.rocc * scale);
    if (core) j.num("core", b.core * scale);
    j.num("total", b.total() * scale);
}

// `run`: a layer run's events, with its MACs by side; null: the whole run's, with the core's.
void energy_events(Json& j, const EnergyEvents& e, const EnergyBreakdown& b, const LayerRun* run) {
    j.open("events", '{');
    j.uint("port_words", e.port_words), j.uint("command_words", e.command_words);
    j.uint("macs", e.macs);
    if (run) j.uint("macs_w", run->macs_w), j.uint("macs_u", run->macs_u);
    j.uint("vector_ops", e.vector_ops);
    if (!run) j.uint("core_instructions", e.core_instructions);
    j.open("buffers", '[');
    for (std::size_t k = 0; k < e.buffers.size(); ++k) {
        j.open(nullptr, '{');
        j.str("name", e.buffers[k].name);
        j.uint("entry_bits", e.buffers[k].entry_bits);
        j.uint("reads", e.buffers[k].reads), j.uint("writes", e.buffers[k].writes);
        j.num("energy_pj", b.per_buffer[k]);
        j.close('}');
    }
    j.close(']');
    j.close('}');
}

// runs[i].energy_pj: the components, then the events with the MACs by side.
void run_energy(Json& j, const Platform& p, const LayerRun& r) {
    const EnergyEvents e = run_energy_events(p.accelerator(), r);
    const EnergyBreakdown b = platform_energy(p, e);
    j.open("energy_pj", '{');
    energy_components(j, b, 1.0, false);
    energy_events(j, e, b, &r);
    j.close('}');
}

// The top-level energy: the table, the whole run's components and per inference (one sequence
// through every layer, the core's share included), the events.
void platform_energy_json(Json& j, const Platform& p) {
    const EnergyTable& t = p.config().energy;
    const EnergyEvents e = platform_energy_events(p);
    const EnergyBreakdown b = platform_energy(p, e);
    j.open("energy", '{');
    j.open("table_pj", '{');
    j.num("dram_word", t.dram_word), j.num("buffer_access_32", t.buffer_access_32), j.num("mac", t.mac);
    j.num("mac_fixed", t.mac_fixed), j.num("vector_op", t.vector_op), j.num("rocc_word", t.rocc_word);
    j.num("core_instruction", t.core_instruction);
    j.close('}');
    j.str("mac_key", p.image().datapath == Datapath::fixed ? "mac_fixed" : "mac");
    j.open("energy_pj", '{');
    energy_components(j, b, 1.0, true);
    j.close('}');
    const std::size_t sequences = p.config().workload.none ? 0 : p.config().workload.spec.sequences;
    j.uint("sequences", sequences);
    if (sequences) {
        j.open("per_inference_pj", '{');
        energy_components(j, b, 1.0 / static_cast<double>(sequences), true);
        j.close('}');
    } else {
        j.null("per_inference_pj");
    }
    energy_events(j, e, b, nullptr);
    j.close('}');
}

// The summary's line: per inference (in all for a bare program), and each component's share.
void print_energy(std::ostream& os, const Platform& p) {
    const EnergyBreakdown b = platform_energy(p, platform_energy_events(p));
    const std::size_t sequences = p.config().workload.none ? 0 : p.config().workload.spec.sequences;
    const double total = b.total();
    char line[256];
    std::snprintf(line, sizeof line,
                  "  energy: %.5g uJ %s (DRAM %.1f %%, buffers %.1f %%, MACs %.1f %%, vector PE %.1f %%, RoCC %.1f %%, "
                  "core %.1f %%)\n",
                  (sequences ? total / static_cast<double>(sequences) : total) * 1e-6,
                  sequences ? "per inference" : "in all", 100 * ratio(b.dram, total), 100 * ratio(b.buffers, total),
                  100 * ratio(b.macs, total), 100 * ratio(b.vector_pe, total), 100 * ratio(b.rocc, total),
                  100 * ratio(b.core, total));
    os << line;
}

// The layer runs' cycles; an interrupted run's unfinished one has none yet.

// The JSON of a finished run (with its golden check) or of an interrupted one (golden null).
std::string stats_text(const Platform& p, const GoldenCheck* golden) {
    std::ostringstream os;
    Json j(os);
    const std::vector<LayerRun>& runs = p.accelerator().runs();
    const std::size_t layers = p.image().layers.size();
    j.open(nullptr, '{');
    j.uint("schema_version", kStatsSchemaVersion);
    j.str("version", kProjectVersion);
    j.str("config", p.config().source);
    // Without the output paths: the file must not depend on the name it is written to.
    j.str("effective_config", effective_config_yaml(p.config(), false));
    j.str("timing", p.config().rocc.timing == PortTiming::exact ? "exact" : "fast");
    j.num("clock_mhz", p.config().clock_mhz);
    j.uint("cycles", accelerator_cycles(p));
    j.uint("end_cycle", p.end_cycle());
    j.open("variant", '{');
    j.str("format", weight_format_name(p.image().format));
    j.str("datapath", datapath_name(p.image().datapath));
    j.str("skip", skip_policy_name(p.config().schedule.skip));
    j.num("theta_x", p.config().schedule.theta_x);
    j.num("theta_h", p.config().schedule.theta_h);
    j.close('}');
    j.open("weights", '[');
    for (std::size_t k = 0; k < layers; ++k) {
        const LayerImage& li = p.image().placed[k];
        j.open(nullptr, '{');
        j.uint("layer", k + 1);
        if (!p.config().workload.spec.layers.empty())
            j.str("pruning", pruning_kind_name(p.config().workload.spec.layers[k].pruning));
        if (p.image().datapath == Datapath::fixed) j.num("w_frac_bits", li.w_frac), j.num("u_frac_bits", li.u_frac);
        format_cost(j, "w", p.image().layers[k].w, p.image().format, li.w.words.size());
        format_cost(j, "u", p.image().layers[k].u, p.image().format, li.u.words.size());
        j.close('}');
    }
    j.close(']');
    if (p.config().workload.none) j.str("workload", "none");
    if (!golden) {
        j.boolean("interrupted", true);
        j.str("interrupted_at", p.position());
    }

    // Runs are numbered by the workload's layers: a bare program has none to number them by.
    const std::size_t listed_runs = p.config().workload.none ? 0 : p.completed_runs();
    j.open("runs", '[');
    for (std::size_t i = 0; i < listed_runs; ++i) {
        const LayerRun& r = runs[i];
        j.open(nullptr, '{');
        j.uint("layer", i % layers + 1);
        j.uint("sequence", i / layers);
        j.uint("m", r.m), j.uint("n", r.n), j.uint("steps", r.steps);
        j.str("schedule", schedule_name(r.schedule));
        j.uint("n_fuse", r.n_fuse), j.uint("batches", r.batches);
        j.uint("cycles", r.cycles());
        j.uint("prolog", r.prolog), j.uint("main", r.main), j.uint("epilog", r.epilog);
        j.uint("h_blocks_total", r.h_blocks_total), j.uint("h_blocks_skipped", r.h_blocks_skipped);
        j.num("h_sparsity", ratio(static_cast<double>(r.h_blocks_skipped), static_cast<double>(r.h_blocks_total)));
        if (r.skip == SkipPolicy::delta) {
            j.uint("x_total", r.x_total), j.uint("x_propagated", r.x_propagated);
            j.uint("h_total", r.h_total), j.uint("h_propagated", r.h_propagated);
            j.num("x_delta_sparsity", 1.0 - ratio(double(r.x_propagated), double(r.x_total)));
            j.num("h_delta_sparsity", 1.0 - ratio(double(r.h_propagated), double(r.h_total)));
        }
        const double analytic = analytic_cycles(p, r, i % layers);
        j.num("analytic_cycles", analytic);
        j.num("cycles_over_analytic", ratio(static_cast<double>(r.cycles()), analytic));
        const double stream = analytic_stream_cycles(p, r, i % layers);
        j.num("analytic_stream_cycles", stream);
        j.num("cycles_over_analytic_stream", ratio(static_cast<double>(r.cycles()), stream));
        j.open("port_words", '{');
        for (int u = 1; u < kPortUsers; ++u) j.uint(port_user_name(static_cast<PortUser>(u)), r.words[u]);
        j.close('}');
        j.num("port_utilisation_w", ratio(static_cast<double>(r.words[int(PortUser::w)]), double(r.cycles())));
        j.num("port_utilisation_u", ratio(static_cast<double>(r.words[int(PortUser::u)]), double(r.cycles())));
        j.open("pe_utilisation", '{');
        for (std::size_t k = 0; k < r.pe_busy.size(); ++k)
            j.num(p.accelerator().pes()[k]->config().name.c_str(), ratio(double(r.pe_busy[k]), double(r.cycles())));
        j.num(p.accelerator().vector_pe().basename(), ratio(double(r.vector_busy), double(r.cycles())));
        j.close('}');
        run_energy(j, p, r);
        j.close('}');
    }
    j.close(']');

    j.open("pes", '[');
    for (const auto& pe : p.accelerator().pes()) {
        j.open(nullptr, '{');
        j.str("name", pe->config().name);
        j.str("role", pe_role_name(pe->config().role));
        j.uint("busy_cycles", pe->busy_cycles());
        j.uint("macs", pe->macs());
        j.num("utilisation", ratio(double(pe->busy_cycles()), double(accelerator_cycles(p))));
        j.close('}');
    }
    // The vector PE, under the name pe_utilisation gives it; it does no MACs, so it has none.
    const VectorPe& vpe = p.accelerator().vector_pe();
    j.open(nullptr, '{');
    j.str("name", vpe.basename());
    j.str("role", "vector");
    j.uint("busy_cycles", vpe.busy_cycles());
    j.num("utilisation", ratio(double(vpe.busy_cycles()), double(accelerator_cycles(p))));
    j.close('}');
    j.close(']');

    j.open("rocc", '{');
    for (int u = 1; u < kPortUsers; ++u) j.uint(port_user_name(static_cast<PortUser>(u)), p.channel().words(static_cast<PortUser>(u)));
    j.num("utilisation", ratio(double(p.channel().total_words()), double(accelerator_cycles(p))));
    j.close('}');

    j.open("dram", '{');
    j.uint("bytes_read", p.dram().bytes_read());
    j.uint("bytes_written", p.dram().bytes_written());
    j.uint("accesses", p.dram().accesses());
    j.close('}');

    j.open("buffers", '[');
    for (const OnChipBuffer* b : p.accelerator().buffers()) {
        j.open(nullptr, '{');
        j.str("name", b->basename());
        j.uint("capacity", b->config().capacity);
        j.uint("entry_bits", b->config().entry_bits);
        j.uint("ports", b->config().ports);
        j.uint("peak_fill", static_cast<std::uint64_t>(b->peak_fill()));
        j.uint("reads", b->reads()), j.uint("writes", b->writes());
        j.num("area", b->area());
        j.close('}');
    }
    j.close(']');

    platform_energy_json(j, p);

    j.open("host", '{');
    j.str("kind", host_kind_name(p.config().host.kind));
    if (p.core()) {
        j.str("firmware", p.config().host.firmware);
        j.uint("instructions", p.core()->instructions());
        j.uint("cycles", p.core()->cycles());
        j.uint("exit_code", static_cast<std::uint64_t>(p.exit_code()));
    }
    j.close('}');

    // An interrupted run's firmware has not counted yet: null.
    if (has_classifier(p) && golden) {
        const ClassifierResult r = classifier_result(p, *golden);
        j.open("classifier", '{');
        j.uint("classes", r.classes);
        j.uint("sequences", r.sequences);
        j.uint("classified", r.classified);
        j.uint("correct", r.correct);
        j.num("accuracy", r.accuracy());
        j.uint("core_cycles", r.core_cycles);
        j.uint("accelerator_cycles", r.accelerator_cycles);
        if (r.host_checked)
            j.uint("host_correct", r.host_correct);
        else
            j.null("host_correct");
        j.boolean("passed", r.failure.empty());
        j.close('}');
    } else if (has_classifier(p)) {
        j.null("classifier");
    }

    if (golden && !p.config().workload.none) {
        j.open("golden", '{');
        j.boolean("passed", golden->passed);
        j.num("tolerance", golden->tolerance);
        j.num("max_abs_diff", golden->max_abs_diff);
        j.uint("values_compared", golden->values);
        if (golden->first_mismatch.empty())
            j.null("first_mismatch");
        else
            j.str("first_mismatch", golden->first_mismatch);
        j.open("fp32_max_error", '[');
        for (double e : golden->fp32_max_error) j.num(nullptr, e);
        j.close(']');
        j.open("fp32_mean_error", '[');
        for (double e : golden->fp32_mean_error) j.num(nullptr, e);
        j.close(']');
        j.close('}');
    } else {
        j.null("golden");
    }
    j.close('}');
    os << '\n';
    return os.str();
}

}  // namespace

std::string stats_json(const Platform& platform, const GoldenCheck& golden) { return stats_text(platform, &golden); }

std::string interrupted_stats_json(const Platform& platform) { return stats_text(platform, nullptr); }

namespace {

void print_golden(std::ostream& os, const GoldenCheck& golden) {
    char line[256];
    os << "  golden check: " << (golden.passed ? "passed" : "FAILED") << " (" << golden.values << " h values, ";
    if (golden.tolerance == 0.0) {
        os << "bit-exact)";
    } else {
        std::snprintf(line, sizeof line, "max |diff| %.3g, tolerance %.3g)", golden.max_abs_diff, golden.tolerance);
        os << line;
    }
    if (!golden.passed) os << ": first mismatch at " << golden.first_mismatch;
    os << '\n';
    os << "  max |h - fp32 dense LSTM| per layer:";
    for (double e : golden.fp32_max_error) {
        std::snprintf(line, sizeof line, " %.3g", e);
        os << line;
    }
    os << '\n';
}

void print_classifier(std::ostream& os, const ClassifierResult& r) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "  accuracy: %llu/%llu = %.4f (classifier on the core: %llu cycles, accelerator: %llu cycles)\n",
                  (unsigned long long)r.correct, (unsigned long long)r.sequences, r.accuracy(),
                  (unsigned long long)r.core_cycles, (unsigned long long)r.accelerator_cycles);
    os << line;
    os << "  classifier check: ";
    if (!r.failure.empty())
        os << "FAILED: " << r.failure << '\n';
    else if (r.host_checked)
        os << "passed (the host counts " << r.host_correct << " correct from the golden h)\n";
    else
        os << "not done (the golden check failed)\n";
}

}  // namespace

void print_summary(std::ostream& os, const Platform& p, const GoldenCheck& golden, double wall_seconds) {
    const std::vector<LayerRun>& runs = p.accelerator().runs();
    const std::size_t layers = p.image().layers.size();
    char line[256];
    os << "elstm-vp: " << p.config().source << " (" << (p.config().rocc.timing == PortTiming::exact ? "exact" : "fast")
       << " timing; " << weight_format_name(p.image().format) << ", " << datapath_name(p.image().datapath)
       << ", skip " << skip_policy_name(p.config().schedule.skip) << ")\n";
    if (p.config().workload.none)
        os << "  workload: none (no layer runs, no golden check)\n";
    else
        os << "  run  layer seq  schedule     n_fuse       cycles       prolog         main       epilog  h_skip  W_port  U_port"
              "  /paper  /stream\n";
    const std::size_t listed_runs = p.config().workload.none ? 0 : runs.size();
    for (std::size_t i = 0; i < listed_runs; ++i) {
        const LayerRun& r = runs[i];
        std::snprintf(line, sizeof line,
                      "  %3zu  %5zu %3zu  %-11s %7u %12llu %12llu %12llu %12llu  %5.1f%%  %5.1f%%  %5.1f%%  %6.3f  %7.3f\n", i,
                      i % layers + 1, i / layers, schedule_name(r.schedule), r.n_fuse,
                      (unsigned long long)r.cycles(), (unsigned long long)r.prolog, (unsigned long long)r.main,
                      (unsigned long long)r.epilog,
                      100 * ratio(double(r.h_blocks_skipped), double(r.h_blocks_total)),
                      100 * ratio(double(r.words[int(PortUser::w)]), double(r.cycles())),
                      100 * ratio(double(r.words[int(PortUser::u)]), double(r.cycles())),
                      ratio(double(r.cycles()), analytic_cycles(p, r, i % layers)),
                      ratio(double(r.cycles()), analytic_stream_cycles(p, r, i % layers)));
        os << line;
    }
    const std::uint64_t cycles = accelerator_cycles(p);
    os << "  PEs:";
    for (const auto& pe : p.accelerator().pes()) {
        std::snprintf(line, sizeof line, " %s(%s) %.1f%%", pe->config().name.c_str(), pe_role_name(pe->config().role),
                      100 * ratio(double(pe->busy_cycles()), double(cycles)));
        os << line;
    }
    os << "\n  buffers:";
    double area = 0;
    for (const OnChipBuffer* b : p.accelerator().buffers()) {
        os << ' ' << b->basename() << '=' << b->config().capacity;
        area += b->area();
    }
    std::snprintf(line, sizeof line, " entries; area %.4g (bits^0.9 x ports^0.7)\n", area);
    os << line;
    std::snprintf(line, sizeof line, "  DRAM: %llu bytes read, %llu written\n",
                  (unsigned long long)p.dram().bytes_read(), (unsigned long long)p.dram().bytes_written());
    os << line;
    if (const RiscvCore* core = p.core()) {
        std::snprintf(line, sizeof line, "  core: %s, %llu instructions in %llu cycles, exit code %lld; %.3g MIPS (wall)\n",
                      p.config().host.firmware.c_str(), (unsigned long long)core->instructions(),
                      (unsigned long long)core->cycles(), (long long)p.exit_code(), ratio(double(core->instructions()), wall_seconds) / 1e6);
        os << line;
    }
    if (!p.config().workload.none) print_golden(os, golden);
    if (has_classifier(p)) print_classifier(os, classifier_result(p, golden));
    print_energy(os, p);
    const std::uint64_t simulated = p.end_cycle();
    std::snprintf(line, sizeof line, "  %llu cycles simulated in %.3f s wall: %.3g cycles/s\n",
                  (unsigned long long)simulated, wall_seconds, ratio(double(simulated), wall_seconds));
    os << line;
}

}  // namespace elstm
