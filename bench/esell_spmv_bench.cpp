// SpMV throughput on the wikitext layer-1 W matrix (6000 x 1500, 40 % zeros): eSELL walked
// from its packed words vs CSR vs dense, eSELL applying one walk to 6 vectors (the cell-fusion
// SpMV PEs), and eSELL SpMSpV with half the block columns pruned. items_per_second is
// non-zeros (MACs actually done) per second, counted for every vector.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "elstm_version.hpp"

#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/esell_spmv.hpp>
#include <elstm_vp/numeric/formats.hpp>
#include <elstm_vp/numeric/workload.hpp>

namespace elstm {
namespace {

constexpr std::size_t kFused = 6;  // vectors per eSELL walk in BM_EsellSpmvMulti

struct Fixture {
    DenseMatrix w;
    esell::EsellMatrix packed;
    CsrMatrix csr;
    std::vector<float> x, y;
    std::vector<std::vector<float>> xm, ym;  // kFused vectors for the multi-vector walk
    std::vector<const float*> xs;
    std::vector<float*> ys;
    std::int64_t nonzeros = 0;

    Fixture() {
        const LayerSpec layer = benchmark_spec("wikitext").layers[0];
        w = generate_layer(layer, layer.gain, 1).w;
        packed = esell::encode(w);
        csr = to_csr(w);
        x.resize(w.cols);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.0f - 2.0f * static_cast<float>(i % 7) / 7.0f;
        y.resize(w.rows);
        for (std::size_t v = 0; v < kFused; ++v) {
            xm.emplace_back(x.size());
            for (std::size_t i = 0; i < x.size(); ++i) xm[v][i] = x[(i + 97 * v) % x.size()];
            ym.emplace_back(w.rows);
            xs.push_back(xm[v].data());
            ys.push_back(ym[v].data());
        }
        nonzeros = static_cast<std::int64_t>(w.nonzeros());
    }
};

// Built on first use, so listing the benchmarks stays instant.
Fixture& fixture() {
    static Fixture f;
    return f;
}

void BM_EsellSpmv(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) {
        esell::spmv(f.packed, f.x.data(), f.y.data());
        benchmark::DoNotOptimize(f.y.data());
    }
    state.SetItemsProcessed(state.iterations() * f.nonzeros);
}

void BM_EsellSpmvMulti(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) {
        esell::spmv_multi(f.packed, f.xs.data(), f.ys.data(), kFused);
        for (float* y : f.ys) benchmark::DoNotOptimize(y);
    }
    state.SetItemsProcessed(state.iterations() * f.nonzeros * static_cast<std::int64_t>(kFused));
}

void BM_CsrSpmv(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) {
        csr_spmv(f.csr, f.x.data(), f.y.data());
        benchmark::DoNotOptimize(f.y.data());
    }
    state.SetItemsProcessed(state.iterations() * f.nonzeros);
}

// Same non-zero count as the sparse kernels, so the rates compare time per useful MAC.
void BM_DenseMatvec(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) {
        dense_matvec(f.w, f.x.data(), f.y.data());
        benchmark::DoNotOptimize(f.y.data());
    }
    state.SetItemsProcessed(state.iterations() * f.nonzeros);
}

// Every other block column kept, as if half of h's blocks were pruned.
void BM_EsellSpmspvHalf(benchmark::State& state) {
    Fixture& f = fixture();
    std::vector<bool> keep(f.packed.block_cols());
    for (std::size_t j = 0; j < keep.size(); ++j) keep[j] = j % 2 == 0;
    std::uint64_t macs = 0;
    for (auto _ : state) {
        macs += esell::spmspv(f.packed, f.x.data(), keep, f.y.data()).macs;
        benchmark::DoNotOptimize(f.y.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(macs));
}

BENCHMARK(BM_EsellSpmv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EsellSpmvMulti)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CsrSpmv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DenseMatvec)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EsellSpmspvHalf)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace elstm

// --help, -h and --version before benchmark::Initialize, which knows only its own flags.
int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::printf("Usage: esell_spmv_bench [Google Benchmark options, e.g. --benchmark_filter=Esell]\n"
                        "eSELL SpMV from packed words against CSR and dense on the wikitext W matrix.\n"
                        "  --help, -h   print this help\n"
                        "  --version    print the program name and version\n");
            return 0;
        }
        if (std::strcmp(argv[i], "--version") == 0) {
            std::printf("esell_spmv_bench %s\n", elstm::kProjectVersion);
            return 0;
        }
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
