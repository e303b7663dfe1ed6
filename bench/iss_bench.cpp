// ISS speed: runs iss_bench_fw (soft-float LSTM steps, rv64imac) on the plain C++ ISS and
// prints millions of retired instructions per host second. Usage: iss_bench [repetitions]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/core/rv_iss.hpp>
#include "elstm_version.hpp"

namespace {

constexpr std::uint64_t kRamBase = 0x80000000;
constexpr std::size_t kRamSize = 1 << 20;

struct NoDevices : elstm::rv::Bus {
    bool read(std::uint64_t, void*, unsigned) override { return false; }
    bool write(std::uint64_t, const void*, unsigned) override { return false; }
};

std::vector<std::uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(1);
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The address of `name` in an `nm` listing ("<hex address> <type> <name>" per line).
std::uint64_t symbol(const std::string& sym_path, const std::string& name) {
    std::ifstream in(sym_path);
    std::string line, addr, type, sym;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        if (fields >> addr >> type >> sym && sym == name) return std::stoull(addr, nullptr, 16);
    }
    std::fprintf(stderr, "%s: no symbol %s\n", sym_path.c_str(), name.c_str());
    std::exit(1);
}

// A repetition count: 1 to 10^6, digits only.
bool parse_repetitions(const std::string& text, int& reps) {
    if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string::npos) return false;
    reps = std::stoi(text);
    return reps >= 1 && reps <= 1000000;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string arg = argc > 1 ? argv[1] : "";
    if (arg == "--help" || arg == "-h") {
        std::printf("Usage: iss_bench [REPETITIONS]\n"
                    "Runs a soft-float LSTM kernel on the ISS REPETITIONS times (default 5) and prints MIPS.\n"
                    "  --help, -h   print this help\n"
                    "  --version    print the program name and version\n");
        return 0;
    }
    if (arg == "--version") {
        std::printf("iss_bench %s\n", elstm::kProjectVersion);
        return 0;
    }
    if (argc > 2) {
        std::fprintf(stderr, "iss_bench: unexpected argument '%s' (see --help)\n", argv[2]);
        return 2;
    }
    int reps = 5;
    if (argc == 2 && !parse_repetitions(arg, reps)) {
        std::fprintf(stderr, "iss_bench: '%s' is not a repetition count 1..1000000 (see --help)\n", argv[1]);
        return 2;
    }
    const std::string dir = ELSTM_ISS_BENCH_DIR;
    const auto image = read_file(dir + "/iss_bench_fw.bin");
    const std::uint64_t entry = symbol(dir + "/iss_bench_fw.sym", "_start");

    std::vector<double> mips;
    for (int r = 0; r < reps; ++r) {
        std::vector<std::uint8_t> ram(kRamSize);
        std::copy(image.begin(), image.end(), ram.begin());
        NoDevices bus;
        elstm::rv::Iss iss(bus, {ram.data(), kRamBase, ram.size()});
        iss.reset(entry);
        const auto start = std::chrono::steady_clock::now();
        const auto stop = iss.run(~0ull);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (stop.reason != elstm::rv::StopReason::trap || stop.cause != elstm::rv::kBreakpoint) {
            std::fprintf(stderr, "unexpected stop at pc 0x%llx: %s\n",
                         static_cast<unsigned long long>(stop.pc), elstm::rv::cause_name(stop.cause));
            return 1;
        }
        mips.push_back(static_cast<double>(iss.instret()) / seconds / 1e6);
        std::printf("run %d: %llu instructions, %llu cycles, %.3f s, %.1f MIPS, checksum 0x%08llx\n", r + 1,
                    static_cast<unsigned long long>(iss.instret()),
                    static_cast<unsigned long long>(iss.cycles()), seconds, mips.back(),
                    static_cast<unsigned long long>(iss.reg(10)));
    }
    std::sort(mips.begin(), mips.end());
    std::printf("ISS speed: median %.1f MIPS, best %.1f MIPS\n", mips[mips.size() / 2], mips.back());
    return 0;
}
