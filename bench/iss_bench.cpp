// ISS speed: runs integer kernels (iss_kernels_fw) and the soft-float LSTM (iss_bench_fw), both
// rv64imac, on the plain C++ ISS and prints millions of retired instructions per host second,
// the median of several runs per kernel. Seconds are the thread's CPU time, not wall time: the
// machine may be shared, and waiting for a core is not the ISS's speed.
// Usage: iss_bench [REPETITIONS] [--kernel NAME] [--instructions N]
#include <algorithm>
#include <ctime>
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

// A count from 1 to `max`, digits only.
bool parse_count(const std::string& text, std::uint64_t max, std::uint64_t& value) {
    if (text.empty() || text.size() > 13 || text.find_first_not_of("0123456789") != std::string::npos) return false;
    value = std::stoull(text);
    return value >= 1 && value <= max;
}

struct Kernel {
    const char* name;
    const char* firmware;  // file stem in the bench build folder
    std::uint64_t a0;      // the kernel number iss_kernels_fw's run_kernel takes
    const char* what;
};
constexpr Kernel kKernels[] = {
    {"alu", "iss_kernels_fw", 0, "integer ALU (xorshift, adds, compares)"},
    {"branch", "iss_kernels_fw", 1, "data-dependent branches (Collatz)"},
    {"call", "iss_kernels_fw", 2, "calls and returns (recursive fib)"},
    {"mem", "iss_kernels_fw", 3, "loads and stores over arrays (sieve, prefix sums, copies)"},
    {"muldiv", "iss_kernels_fw", 4, "64- and 32-bit multiply, divide, remainder"},
    {"lstm", "iss_bench_fw", 0, "soft-float fp32 LSTM steps (libgcc calls)"},
};

double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Run {
    std::uint64_t instret = 0, cycles = 0, result = 0;
    double seconds = 0;
};

// One run of `kernel` from reset, at most `budget` instructions; exits on an unexpected stop.
Run run_once(const Kernel& kernel, const std::vector<std::uint8_t>& image, std::uint64_t entry,
             std::uint64_t budget) {
    std::vector<std::uint8_t> ram(kRamSize);
    std::copy(image.begin(), image.end(), ram.begin());
    NoDevices bus;
    elstm::rv::Iss iss(bus, {ram.data(), kRamBase, ram.size()});
    iss.reset(entry);
    iss.set_reg(10, kernel.a0);
    const double start = cpu_seconds();
    const auto stop = iss.run(budget);
    Run r;
    r.seconds = cpu_seconds() - start;
    const bool finished = stop.reason == elstm::rv::StopReason::trap && stop.cause == elstm::rv::kBreakpoint;
    if (!finished && stop.reason != elstm::rv::StopReason::budget) {
        std::fprintf(stderr, "%s: unexpected stop at pc 0x%llx: %s\n", kernel.name,
                     static_cast<unsigned long long>(stop.pc), elstm::rv::cause_name(stop.cause));
        std::exit(1);
    }
    r.instret = iss.instret();
    r.cycles = iss.cycles();
    r.result = iss.reg(10);
    return r;
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "iss_bench: %s (see --help)\n", message.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string first = argc > 1 ? argv[1] : "";
    if (first == "--help" || first == "-h") {
        std::printf("Usage: iss_bench [REPETITIONS] [--kernel NAME] [--instructions N]\n"
                    "Runs each kernel on the ISS REPETITIONS times (default 5) and prints its median MIPS.\n"
                    "  --kernel NAME     run only this kernel:");
        for (const Kernel& k : kKernels) std::printf(" %s", k.name);
        std::printf("\n"
                    "  --instructions N  stop each run after N instructions (a short run for profiling)\n"
                    "  --help, -h        print this help\n"
                    "  --version         print the program name and version\n"
                    "Kernels:\n");
        for (const Kernel& k : kKernels) std::printf("  %-7s %s\n", k.name, k.what);
        return 0;
    }
    if (first == "--version") {
        std::printf("iss_bench %s\n", elstm::kProjectVersion);
        return 0;
    }
    std::uint64_t reps = 5, budget = ~0ull;
    bool reps_given = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--kernel" || arg == "--instructions") {
            if (i + 1 == argc) return usage_error(arg + " needs a value");
            const std::string value = argv[++i];
            if (arg == "--kernel") {
                only = value;
                const bool known = std::any_of(std::begin(kKernels), std::end(kKernels),
                                               [&](const Kernel& k) { return value == k.name; });
                if (!known) return usage_error("no kernel '" + value + "'");
            } else if (!parse_count(value, 1'000'000'000'000ull, budget)) {
                return usage_error("'" + value + "' is not an instruction count 1..1000000000000");
            }
        } else if (reps_given) {
            return usage_error("unexpected argument '" + arg + "'");
        } else if (!parse_count(arg, 1'000'000, reps)) {
            return usage_error("'" + arg + "' is not a repetition count 1..1000000");
        } else {
            reps_given = true;
        }
    }

    const std::string dir = ELSTM_ISS_BENCH_DIR;
    std::printf("%-7s %12s %12s %10s %8s\n", "kernel", "instructions", "cycles", "CPU s", "MIPS");
    for (const Kernel& kernel : kKernels) {
        if (!only.empty() && only != kernel.name) continue;
        const std::string stem = dir + "/" + kernel.firmware;
        const auto image = read_file(stem + ".bin");
        const std::uint64_t entry = symbol(stem + ".sym", "_start");
        std::vector<Run> runs;
        for (std::uint64_t r = 0; r < reps; ++r) {
            runs.push_back(run_once(kernel, image, entry, budget));
            if (runs.back().instret != runs.front().instret || runs.back().result != runs.front().result) {
                std::fprintf(stderr, "%s: run %llu differs from run 1\n", kernel.name,
                             static_cast<unsigned long long>(r + 1));
                return 1;
            }
        }
        std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.seconds < b.seconds; });
        const Run& median = runs[runs.size() / 2];
        std::printf("%-7s %12llu %12llu %10.3f %8.1f  (result 0x%llx)\n", kernel.name,
                    static_cast<unsigned long long>(median.instret), static_cast<unsigned long long>(median.cycles),
                    median.seconds, static_cast<double>(median.instret) / median.seconds / 1e6,
                    static_cast<unsigned long long>(median.result));
    }
    return 0;
}
