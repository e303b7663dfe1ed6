#include <elstm_vp/numeric/formats.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>

// How every count is made. R × C matrix, nnz non-zeros after rounding to fp16 (the values a
// weight store holds), V = options.value_bits.
//   idx(n) = ceil(log2(n)) bits, 0 for n ≤ 1: an index into n positions (row index: idx(R),
//            column index: idx(C)).
//   ptr(k) = idx(k + 1) bits: a pointer into k stored entries takes the values 0..k.
// No format is charged for its shape or its entry count (scalars every format needs).
//
// eSELL (docs/design.md §2; its value width is fixed at fp16 by the wire format, V is not used):
//   B = blocks (8-row × 4-column, every block has a head word, even an empty one),
//   value words = words − B.
//   value = 64 × value words (padding slots included)
//   index = B × 2 chunks × (4 × 3-bit EIDX_col + 4 × 3-bit IDX_row) = 48 B
//   meta  = B × 2 chunks × (3-bit CHK_w + 5 unused head bits) + 16 × block columns (table)
//   so total = 64 × words + 16 × block columns: exactly the stream plus its table.
//   Buffers: a chunk's 4 rows lie in one 8-row block, so one wide coalesced access serves
//   its 4 MACs (result 1 port); a word's values all read the same 4-column window of x
//   (vector 1 port).
// CSR: value = V nnz, index = idx(C) nnz, meta = (R + 1) ptr(nnz) row pointers.
//   Row-major: one accumulator per row (result 1 port), macc_per_cycle random x reads
//   per cycle (vector macc_per_cycle ports).
// CSC: value = V nnz, index = idx(R) nnz, meta = (C + 1) ptr(nnz) column pointers.
//   One x element per column (vector 1 port), macc_per_cycle random row updates per cycle
//   (result macc_per_cycle ports).
// COO: value = V nnz, index = (idx(R) + idx(C)) nnz, meta = 0. Random on both sides:
//   macc_per_cycle ports on each buffer.
// ESE-CSC (ESE/EIE interleaved CSC): row r belongs to PE r mod P (P = ese_pes) as its local
//   row r div P; each PE stores the CSC of its rows, every entry a value and a 4-bit relative
//   row index = zeros skipped since the previous entry of the same column of that PE (from
//   the column top for the first). A gap over 15 inserts a zero padding entry (index 15, it
//   covers 16 positions) until the rest fits. With e_p entries in PE p:
//   value = V Σ e_p, index = 4 Σ e_p, meta = Σ_p (C + 1) ptr(e_p) column pointers per PE.
//   Result buffer: P banks of R/P rows, 1 port each (each PE owns its rows); vector 1 port
//   (x_j is broadcast to every PE).
// BBS-CBS: each row is split into K = bbs_banks banks of width w = ceil(C / K) columns; row r
//   stores m_r = max over its banks of the bank's non-zeros in every bank (zero padding
//   entries where a bank has fewer), each entry a value and an idx(w) in-bank column.
//   value = V K Σ m_r, index = idx(w) K Σ m_r, meta = R ptr(w) (m_r per row, 0..w).
//   x is split into K banks, 1 port each (one read per bank per cycle); result 1 port.
// Buffer bits: result = R × result_bits, vector = C × vector_bits. A buffer of `banks` equal
// banks with `ports` ports each has area banks × sram_area(bits / banks, ports).
namespace elstm {

double sram_area(double bits, double ports) {
    if (!(bits >= 0.0)) throw Error("sram_area: bits must be non-negative");
    if (!(ports >= 1.0)) throw Error("sram_area: an SRAM needs at least 1 port");
    return std::pow(bits, 0.9) * std::pow(ports, 0.7);
}

namespace {

constexpr unsigned kEseRelIndexBits = 4;
constexpr std::size_t kEseMaxGap = (1u << kEseRelIndexBits) - 1;  // 15 zeros
constexpr unsigned kEidxBits = 3;
constexpr unsigned kIdxRowBits = 3;
constexpr unsigned kChunkHeadBits = 32;
constexpr unsigned kTableEntryBits = 16;
constexpr unsigned kFp16Bits = 16;
constexpr unsigned kValuesPerWord = 4;

std::uint64_t u64(std::size_t n) { return static_cast<std::uint64_t>(n); }

unsigned index_width(std::uint64_t n) {
    unsigned bits = 0;
    while (bits < 64 && (std::uint64_t{1} << bits) < n) ++bits;
    return bits;
}

unsigned pointer_width(std::uint64_t entries) { return index_width(entries + 1); }

double banked_area(double bits, unsigned banks, unsigned ports) {
    return banks * sram_area(bits / banks, ports);
}

void validate(const FormatOptions& o) {
    const auto require = [](unsigned v, const char* name) {
        if (v < 1) throw Error(std::string("format options: ") + name + " must be at least 1");
    };
    require(o.value_bits, "value_bits");
    require(o.result_bits, "result_bits");
    require(o.vector_bits, "vector_bits");
    require(o.macc_per_cycle, "macc_per_cycle");
    require(o.ese_pes, "ese_pes");
    require(o.bbs_banks, "bbs_banks");
}

// Fills in the two buffer areas from the ports and banks already set on `c`.
FormatCost with_buffers(FormatCost c, const DenseMatrix& m, const FormatOptions& o) {
    c.result_buffer_area = banked_area(double(m.rows) * o.result_bits, c.result_banks, c.result_ports);
    c.vector_buffer_area = banked_area(double(m.cols) * o.vector_bits, c.vector_banks, c.vector_ports);
    return c;
}

FormatCost esell_cost(const DenseMatrix& m, const FormatOptions& o) {
    const esell::EsellMatrix e = esell::encode(m);
    const std::uint64_t blocks = u64(e.block_rows() * e.block_cols());
    const std::uint64_t chunks = blocks * esell::kChunksPerBlock;
    const unsigned head_index_bits = (kEidxBits + kIdxRowBits) * esell::kChunkHeight;
    FormatCost c;
    c.name = "eSELL";
    c.value_bits = (u64(e.words.size()) - blocks) * kValuesPerWord * kFp16Bits;
    c.index_bits = chunks * head_index_bits;
    c.meta_bits = chunks * (kChunkHeadBits - head_index_bits) + u64(e.block_cols()) * kTableEntryBits;
    return with_buffers(c, m, o);
}

// CSR, CSC and COO differ only in which indices they keep per value and which pointers.
FormatCost plain_cost(const char* name, std::uint64_t nnz, unsigned index_bits_per_value,
                      std::uint64_t pointers, const FormatOptions& o) {
    FormatCost c;
    c.name = name;
    c.value_bits = nnz * o.value_bits;
    c.index_bits = nnz * index_bits_per_value;
    c.meta_bits = pointers * pointer_width(nnz);
    return c;
}

// Entries (non-zeros plus padding) PE `pe` stores for its share of column `col`.
std::uint64_t ese_column_entries(const DenseMatrix& m, std::size_t col, std::size_t pe, std::size_t pes) {
    std::uint64_t entries = 0;
    std::size_t next = 0;  // local row the next entry's relative index counts from
    for (std::size_t r = pe, local = 0; r < m.rows; r += pes, ++local) {
        if (m.at(r, col) == 0.0f) continue;
        // Each padding entry skips 15 zeros and stands on the 16th position itself.
        const std::size_t pads = (local - next) / (kEseMaxGap + 1);
        entries += pads + 1;
        next = local + 1;
    }
    return entries;
}

FormatCost ese_cost(const DenseMatrix& m, const FormatOptions& o) {
    FormatCost c;
    c.name = "ESE-CSC";
    std::uint64_t entries = 0;
    for (std::size_t pe = 0; pe < o.ese_pes; ++pe) {
        std::uint64_t pe_entries = 0;
        for (std::size_t col = 0; col < m.cols; ++col) pe_entries += ese_column_entries(m, col, pe, o.ese_pes);
        entries += pe_entries;
        c.meta_bits += (u64(m.cols) + 1) * pointer_width(pe_entries);
    }
    c.value_bits = entries * o.value_bits;
    c.index_bits = entries * kEseRelIndexBits;
    c.result_banks = o.ese_pes;
    return c;
}

// Non-zeros of the fullest bank of row `r`, banks `width` columns wide.
std::uint64_t bbs_row_depth(const DenseMatrix& m, std::size_t r, std::size_t width, std::size_t banks) {
    const float* row = m.values.data() + r * m.cols;
    std::uint64_t deepest = 0;
    for (std::size_t b = 0; b < banks; ++b) {
        const std::size_t begin = std::min(m.cols, b * width), end = std::min(m.cols, begin + width);
        const auto count = std::count_if(row + begin, row + end, [](float v) { return v != 0.0f; });
        deepest = std::max(deepest, static_cast<std::uint64_t>(count));
    }
    return deepest;
}

FormatCost bbs_cost(const DenseMatrix& m, const FormatOptions& o) {
    const std::size_t banks = o.bbs_banks;
    const std::size_t width = (m.cols + banks - 1) / banks;
    std::uint64_t entries = 0;
    for (std::size_t r = 0; r < m.rows; ++r) entries += banks * bbs_row_depth(m, r, width, banks);
    FormatCost c;
    c.name = "BBS-CBS";
    c.value_bits = entries * o.value_bits;
    c.index_bits = entries * index_width(width);
    c.meta_bits = u64(m.rows) * pointer_width(width);
    c.vector_banks = o.bbs_banks;
    return c;
}

}  // namespace

std::vector<FormatCost> compare_formats(const DenseMatrix& m, const FormatOptions& options) {
    validate(options);
    const DenseMatrix q = rounded_to_fp16(m);
    const std::uint64_t nnz = u64(q.nonzeros());
    const unsigned row_idx = index_width(q.rows), col_idx = index_width(q.cols);

    FormatCost csr = plain_cost("CSR", nnz, col_idx, u64(q.rows) + 1, options);
    csr.vector_ports = options.macc_per_cycle;
    FormatCost csc = plain_cost("CSC", nnz, row_idx, u64(q.cols) + 1, options);
    csc.result_ports = options.macc_per_cycle;
    FormatCost coo = plain_cost("COO", nnz, row_idx + col_idx, 0, options);
    coo.result_ports = coo.vector_ports = options.macc_per_cycle;

    return {esell_cost(q, options),
            with_buffers(csr, q, options),
            with_buffers(csc, q, options),
            with_buffers(coo, q, options),
            with_buffers(ese_cost(q, options), q, options),
            with_buffers(bbs_cost(q, options), q, options)};
}

CsrMatrix to_csr(const DenseMatrix& m) {
    const std::size_t nnz = m.nonzeros();
    if (nnz > std::numeric_limits<std::uint32_t>::max() || m.cols > std::numeric_limits<std::uint32_t>::max())
        throw Error("to_csr: matrix too large for 32-bit CSR indices");
    CsrMatrix c;
    c.rows = m.rows;
    c.cols = m.cols;
    c.row_ptr.reserve(m.rows + 1);
    c.col_idx.reserve(nnz);
    c.values.reserve(nnz);
    c.row_ptr.push_back(0);
    for (std::size_t r = 0; r < m.rows; ++r) {
        for (std::size_t col = 0; col < m.cols; ++col) {
            const float v = m.at(r, col);
            if (v == 0.0f) continue;
            c.col_idx.push_back(static_cast<std::uint32_t>(col));
            c.values.push_back(v);
        }
        c.row_ptr.push_back(static_cast<std::uint32_t>(c.values.size()));
    }
    return c;
}

// Same order of accumulation as dense_matvec (ascending columns, fp32), so results on the
// same matrix and a finite x agree exactly: the skipped terms are all ±0.
void csr_spmv(const CsrMatrix& m, const float* x, float* y) {
    for (std::size_t r = 0; r < m.rows; ++r) {
        float acc = 0.0f;
        for (std::uint32_t k = m.row_ptr[r]; k < m.row_ptr[r + 1]; ++k) acc += m.values[k] * x[m.col_idx[k]];
        y[r] = acc;
    }
}

}  // namespace elstm
