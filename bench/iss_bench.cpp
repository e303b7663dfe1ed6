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

#include "core/rv_iss.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
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
