#include <elstm_vp/platform/gtkwave_view.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <sstream>
#include <utility>

#include <elstm_vp/platform/output_file.hpp>
#include <elstm_vp/platform/output_path.hpp>
#include <elstm_vp/rocc/rocc_if.hpp>

namespace elstm {

namespace {

// A translate filter: the values a kind of signal takes, as GTKWave prints them in decimal.
struct Filter {
    const char* kind;
    std::vector<std::pair<std::string, std::string>> names;
};

std::vector<std::pair<std::string, std::string>> port_user_names() {
    std::vector<std::pair<std::string, std::string>> names;
    for (int u = 0; u < kPortUsers; ++u)
        names.emplace_back(std::to_string(u), port_user_name(static_cast<PortUser>(u)));
    names.emplace_back(std::to_string(kPortShared), "W+U");
    return names;
}

// The codes of README "VCD signals".
const std::array<Filter, 6>& filters() {
    static const std::array<Filter, 6> all{{
        {"core", {{"0", "running"}, {"1", "waiting"}, {"2", "stopped"}}},
        {"port", port_user_names()},
        {"phase", {{"0", "idle"}, {"1", "prolog"}, {"2", "main"}, {"3", "epilog"}}},
        {"pe", {{"0", "idle"}, {"1", "stall"}, {"2", "Wx"}, {"3", "Uh"}}},
        {"vpe", {{"0", "idle"}, {"1", "busy"}}},
        {"step", {{"-1", "idle"}}},
    }};
    return all;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The filter a signal is shown through ("" for a plain number) and whether it is signed.
std::pair<std::string, bool> filter_of(const std::string& name) {
    if (name == "core.state") return {"core", false};
    if (name == "rocc.owner" || name == "rocc.w_side" || name == "rocc.u_side" || name == "rocc.port")
        return {"port", false};
    if (name == "accel.phase") return {"phase", false};
    if (name == "accel.vpe.state") return {"vpe", false};
    if (name.rfind("accel.", 0) == 0 && ends_with(name, ".state")) return {"pe", false};
    if (name == "accel.uh_step" || ends_with(name, ".step") || ends_with(name, ".step_last")) return {"step", true};
    return {"", false};
}

// The group a signal is shown in; groups in this order.
constexpr std::array<const char*, 5> kGroups{"schedule", "port", "core", "dram", "buffers"};
std::size_t group_of(const std::string& name) {
    if (name.rfind("rocc.", 0) == 0) return 1;
    if (name.rfind("core.", 0) == 0) return 2;
    if (name.rfind("dram.", 0) == 0) return 3;
    if (name.rfind("accel.buf_", 0) == 0) return 4;
    return 0;
}

std::string stem_of(const std::string& vcd) {
    return ends_with(vcd, ".vcd") ? vcd.substr(0, vcd.size() - 4) : vcd;
}

std::string filter_path(const std::string& vcd, const char* kind) { return stem_of(vcd) + "." + kind + ".filter"; }

std::string absolute(const std::string& path) {
    std::error_code ec;
    const std::filesystem::path p = std::filesystem::absolute(path, ec);
    return ec ? path : p.lexically_normal().string();
}

// GTKWave's trace flags (its save-file format): decimal, signed, translated.
constexpr unsigned kDecimal = 0x4, kSigned = 0x400, kTranslated = 0x2000;
constexpr unsigned kGroupBegin = 0x800200, kGroupEnd = 0x1000200;

}  // namespace

std::vector<VcdVar> vcd_vars(std::istream& vcd) {
    std::vector<VcdVar> vars;
    std::vector<std::string> scopes;
    std::string tok;
    while (vcd >> tok && tok != "$enddefinitions") {
        if (tok == "$scope") {
            std::string kind, name;
            vcd >> kind >> name;
            scopes.push_back(name);
        } else if (tok == "$upscope") {
            if (!scopes.empty()) scopes.pop_back();
        } else if (tok == "$var") {
            std::string kind, id, ref;
            unsigned bits = 1;
            vcd >> kind >> bits >> id >> ref;
            std::string name;
            for (std::size_t i = 1; i < scopes.size(); ++i) name += scopes[i] + ".";  // below the top scope
            vars.push_back({name + ref, bits});
        }
    }
    return vars;
}

std::vector<std::string> gtkwave_view_files(const std::string& vcd) {
    if (vcd.empty() || resolve_output(vcd).kind != OutputTarget::Kind::file) return {};
    std::vector<std::string> files{stem_of(vcd) + ".gtkw"};
    for (const Filter& f : filters()) files.push_back(filter_path(vcd, f.kind));
    return files;
}

std::string gtkwave_save_file(const std::string& vcd, const std::vector<VcdVar>& vars) {
    std::ostringstream out;
    out << "[*] elstm-vp: the cell-fusion schedule, the RoCC port, the core, DRAM, the buffers\n";
    out << "[dumpfile] \"" << absolute(vcd) << "\"\n";
    out << "[timestart] 0\n[sst_expanded] 1\n[signals_width] 240\n";
    for (std::size_t g = 0; g < kGroups.size(); ++g) {
        std::ostringstream body;
        for (const VcdVar& v : vars) {
            if (group_of(v.name) != g) continue;
            const auto [kind, is_signed] = filter_of(v.name);
            unsigned flags = kDecimal | (is_signed ? kSigned : 0);
            if (!kind.empty()) {
                std::size_t index = 0;
                while (filters()[index].kind != kind) ++index;
                body << "@" << std::hex << (flags | kTranslated) << std::dec << "\n";
                body << "^" << index + 1 << " " << absolute(filter_path(vcd, filters()[index].kind)) << "\n";
            } else {
                body << "@" << std::hex << flags << std::dec << "\n";
            }
            // Shown by its whole name as an alias, with '/' for '.': GTKWave would cut a dotted
            // name to its last part. It names a vector with its bit range.
            std::string alias = v.name;
            std::replace(alias.begin(), alias.end(), '.', '/');
            body << "+{" << alias << "} SystemC." << v.name;
            if (v.bits > 1) body << "[" << v.bits - 1 << ":0]";
            body << "\n";
        }
        if (body.str().empty()) continue;
        out << "@" << std::hex << kGroupBegin << std::dec << "\n-" << kGroups[g] << "\n" << body.str();
        out << "@" << std::hex << kGroupEnd << std::dec << "\n-" << kGroups[g] << "\n";
    }
    return out.str();
}

bool write_gtkwave_view(const std::string& vcd, const std::vector<VcdVar>& vars, std::string* error) {
    if (gtkwave_view_files(vcd).empty()) return true;
    for (const Filter& f : filters()) {
        std::string text;
        for (const auto& [value, name] : f.names) text += value + " " + name + "\n";
        if (!write_output(filter_path(vcd, f.kind), text, "trace.vcd", error)) return false;
    }
    return write_output(stem_of(vcd) + ".gtkw", gtkwave_save_file(vcd, vars), "trace.vcd", error);
}

}  // namespace elstm
