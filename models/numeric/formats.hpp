#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/numeric/matrix.hpp>

// Storage cost of one sparse matrix in several formats, and the on-chip buffer area each
// format's SpMV datapath needs (SRAM area model: area ∝ bits^0.9 × ports^0.7).
namespace elstm {

double sram_area(double bits, double ports);

struct FormatOptions {
    unsigned value_bits = 16;     // fp16 weights
    unsigned result_bits = 32;    // fp32 accumulators in the result buffer
    unsigned vector_bits = 32;    // fp32 input vector elements
    unsigned macc_per_cycle = 4;  // weights consumed per cycle (one 64-bit RoCC word)
    unsigned ese_pes = 4;         // ESE: PEs the rows are interleaved over
    unsigned bbs_banks = 4;       // BBS: banks each row is split into
};

struct FormatCost {
    std::string name;              // "eSELL", "CSR", "CSC", "COO", "ESE-CSC", "BBS-CBS"
    std::uint64_t value_bits = 0;  // stored values, padding included
    std::uint64_t index_bits = 0;  // per-value indices
    std::uint64_t meta_bits = 0;   // pointers, heads, tables, counts
    unsigned result_ports = 1;     // ports the result buffer needs for macc_per_cycle MACs/cycle
    unsigned vector_ports = 1;     // ports the input-vector buffer needs
    unsigned result_banks = 1;     // equal banks the result buffer is split into (ports are per bank)
    unsigned vector_banks = 1;
    double result_buffer_area = 0; // sram_area of the result buffer (banks summed)
    double vector_buffer_area = 0;
    std::uint64_t total_bits() const { return value_bits + index_bits + meta_bits; }
};

// One row per format, eSELL first.
std::vector<FormatCost> compare_formats(const DenseMatrix& m, const FormatOptions& options = {});

// Compressed sparse row, the baseline SpMV of the benchmarks.
struct CsrMatrix {
    std::size_t rows = 0, cols = 0;
    std::vector<std::uint32_t> row_ptr;  // rows + 1
    std::vector<std::uint32_t> col_idx;
    std::vector<float> values;
};
CsrMatrix to_csr(const DenseMatrix& m);
void csr_spmv(const CsrMatrix& m, const float* x, float* y);

}  // namespace elstm
