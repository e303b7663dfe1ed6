#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/formats.hpp>

namespace elstm {
namespace {

// 8 × 8, 9 non-zeros (values are small integers, so fp16 and fp32 sums are exact):
//   row 0: cols 0 1      row 1: col 2      row 3: cols 0 1 2 3
//   row 4: col 3         row 7: col 4      rows 2 5 6: empty
DenseMatrix hand_matrix() {
    DenseMatrix m(8, 8);
    m.at(0, 0) = 1; m.at(0, 1) = -2;
    m.at(1, 2) = 3;
    m.at(3, 0) = 4; m.at(3, 1) = 5; m.at(3, 2) = -6; m.at(3, 3) = 7;
    m.at(4, 3) = 8;
    m.at(7, 4) = -9;
    return m;
}

const FormatCost& row(const std::vector<FormatCost>& rows, const std::string& name) {
    for (const FormatCost& c : rows)
        if (c.name == name) return c;
    throw Error("no row " + name);
}

void expect_bits(const FormatCost& c, std::uint64_t value, std::uint64_t index, std::uint64_t meta) {
    EXPECT_EQ(c.value_bits, value) << c.name;
    EXPECT_EQ(c.index_bits, index) << c.name;
    EXPECT_EQ(c.meta_bits, meta) << c.name;
}

TEST(Formats, SramAreaModel) {
    EXPECT_NEAR(sram_area(1024, 1), 512.0, 1e-9);  // 2^(10·0.9)
    EXPECT_NEAR(sram_area(1024, 4), 512.0 * std::pow(2.0, 1.4), 1e-9);
    EXPECT_NEAR(sram_area(1, 8), std::pow(2.0, 2.1), 1e-12);
    EXPECT_EQ(sram_area(0, 1), 0.0);
    EXPECT_THROW(sram_area(1024, 0), Error);
    EXPECT_THROW(sram_area(-1, 1), Error);
}

TEST(Formats, RowsInOrder) {
    const std::vector<FormatCost> rows = compare_formats(hand_matrix());
    const std::vector<std::string> names{"eSELL", "CSR", "CSC", "COO", "ESE-CSC", "BBS-CBS"};
    ASSERT_EQ(rows.size(), names.size());
    for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(rows[i].name, names[i]);
}

// eSELL: 1 block row × 2 block columns = 2 blocks, 2 head words.
//   Block column 0 (cols 0–3): counts row0 2, row1 1, row3 4, row4 1 → sorted 3,0,1,4 | 2,5,6,7:
//   chunk 0 CHK_w 4, chunk 1 CHK_w 0 → 4 value words. Block column 1: only row 7 (1) → chunk 0
//   CHK_w 1, chunk 1 0 → 1 value word. Stream = 7 words, table = 2 entries.
//   value 5·64 = 320, index 2 blocks · 2 chunks · 24 = 96, meta 4 chunks · 8 + 2 · 16 = 64.
TEST(Formats, EsellHandWorked) {
    ASSERT_EQ(esell::encode(hand_matrix()).words.size(), 7u);
    const FormatCost c = row(compare_formats(hand_matrix()), "eSELL");
    expect_bits(c, 320, 96, 64);
    EXPECT_EQ(c.total_bits(), 7u * 64 + 2 * 16);
    EXPECT_EQ(c.result_ports, 1u);
    EXPECT_EQ(c.vector_ports, 1u);
}

// CSR/CSC/COO: nnz 9, idx(8) = 3 bits, pointers ptr(9) = ceil(log2 10) = 4 bits, 9 of them.
TEST(Formats, CsrCscCooHandWorked) {
    const std::vector<FormatCost> rows = compare_formats(hand_matrix());
    expect_bits(row(rows, "CSR"), 144, 27, 36);
    expect_bits(row(rows, "CSC"), 144, 27, 36);
    expect_bits(row(rows, "COO"), 144, 54, 0);
    EXPECT_EQ(row(rows, "CSR").vector_ports, 4u);
    EXPECT_EQ(row(rows, "CSR").result_ports, 1u);
    EXPECT_EQ(row(rows, "CSC").result_ports, 4u);
    EXPECT_EQ(row(rows, "CSC").vector_ports, 1u);
    EXPECT_EQ(row(rows, "COO").result_ports, 4u);
    EXPECT_EQ(row(rows, "COO").vector_ports, 4u);
}

// ESE-CSC, 4 PEs: PE0 rows 0,4 → 3 entries; PE1 rows 1,5 → 1; PE2 → 0; PE3 rows 3,7 → 5.
// No gap reaches 16. value 9·16, index 9·4; meta 9 column pointers per PE of
// ptr(3)=2, ptr(1)=1, ptr(0)=0, ptr(5)=3 bits → 9·(2+1+0+3) = 54.
// BBS-CBS, 4 banks of 2 columns: bank depths row0 (2,0,0,0)→2, row1 →1, row3 (2,2,0,0)→2,
// row4 →1, row7 →1: 4·(2+1+2+1+1) = 28 entries; value 28·16, index 28·idx(2)=28,
// meta 8 rows · ptr(2)=2 → 16.
TEST(Formats, EseAndBbsHandWorked) {
    const std::vector<FormatCost> rows = compare_formats(hand_matrix());
    const FormatCost& ese = row(rows, "ESE-CSC");
    expect_bits(ese, 144, 36, 54);
    EXPECT_EQ(ese.result_banks, 4u);
    EXPECT_EQ(ese.result_ports, 1u);
    const FormatCost& bbs = row(rows, "BBS-CBS");
    expect_bits(bbs, 448, 28, 16);
    EXPECT_EQ(bbs.vector_banks, 4u);
    EXPECT_EQ(bbs.vector_ports, 1u);
}

// Both buffers hold 8 · 32 = 256 bits. A banked buffer is 4 banks of 64 bits.
TEST(Formats, BufferAreasHandWorked) {
    const std::vector<FormatCost> rows = compare_formats(hand_matrix());
    const double one = std::pow(256.0, 0.9), four = one * std::pow(4.0, 0.7), banked = 4 * std::pow(64.0, 0.9);
    EXPECT_NEAR(row(rows, "eSELL").result_buffer_area, one, 1e-9);
    EXPECT_NEAR(row(rows, "eSELL").vector_buffer_area, one, 1e-9);
    EXPECT_NEAR(row(rows, "CSR").vector_buffer_area, four, 1e-9);
    EXPECT_NEAR(row(rows, "CSC").result_buffer_area, four, 1e-9);
    EXPECT_NEAR(row(rows, "COO").result_buffer_area, four, 1e-9);
    EXPECT_NEAR(row(rows, "COO").vector_buffer_area, four, 1e-9);
    EXPECT_NEAR(row(rows, "ESE-CSC").result_buffer_area, banked, 1e-9);
    EXPECT_NEAR(row(rows, "ESE-CSC").vector_buffer_area, one, 1e-9);
    EXPECT_NEAR(row(rows, "BBS-CBS").result_buffer_area, one, 1e-9);
    EXPECT_NEAR(row(rows, "BBS-CBS").vector_buffer_area, banked, 1e-9);
}

// The paper's 63 %: a 4-port result buffer vs eSELL's single coalesced port, same bits,
// saves 1 − 4^−0.7 ≈ 62.1 % by the area model, whatever the matrix.
TEST(Formats, CscResultBufferSavingMatchesPaper) {
    DenseMatrix m(40, 24);
    for (std::size_t i = 0; i < m.values.size(); i += 3) m.values[i] = 0.5f;
    const std::vector<FormatCost> rows = compare_formats(m);
    const double saving = 1.0 - row(rows, "eSELL").result_buffer_area / row(rows, "CSC").result_buffer_area;
    EXPECT_NEAR(saving, 1.0 - std::pow(4.0, -0.7), 1e-12);
    EXPECT_NEAR(saving, 0.63, 0.01);
}

// Odd shapes: eSELL's count is still exactly its stream (padded blocks included) plus table.
TEST(Formats, EsellTotalIsStreamPlusTable) {
    DenseMatrix m(13, 10);
    for (std::size_t i = 0; i < m.values.size(); ++i)
        if (i % 5 != 1) m.values[i] = static_cast<float>(i % 9) - 4.0f;
    const esell::EsellMatrix e = esell::encode(m);
    const FormatCost c = compare_formats(m).front();
    EXPECT_EQ(c.total_bits(), 64 * e.words.size() + 16 * e.block_cols());
}

// One PE column of 20 local rows (80 rows, 4 PEs, PE 0 = rows 0, 4, …, 76).
//   col 0: local rows 0 and 19 → gap 18 > 15: one padding entry, then index 2 → 3 entries.
//   col 1: local rows 0 and 16 → gap 15 fits → 2 entries.
//   col 2: local row 16 only → 16 zeros from the top: one padding entry → 2 entries.
// PE 0: 7 entries (2 padded); value 7·16, index 7·4, meta 4 pointers · ptr(7) = 3 bits.
TEST(Formats, EsePadsGapsOver15) {
    DenseMatrix m(80, 3);
    m.at(0, 0) = 1; m.at(76, 0) = 2;
    m.at(0, 1) = 3; m.at(64, 1) = 4;
    m.at(64, 2) = 5;
    expect_bits(row(compare_formats(m), "ESE-CSC"), 112, 28, 12);
}

// 1 × 8 in 4 banks of 2 columns. Unbalanced: both non-zeros in bank 0 → every bank stores
// 2 entries (6 padded). Balanced: one per bank → 4 entries. meta ptr(2) = 2 bits per row.
TEST(Formats, CbsPadsUnbalancedRow) {
    DenseMatrix unbalanced(1, 8);
    unbalanced.at(0, 0) = 1; unbalanced.at(0, 1) = 2;
    expect_bits(row(compare_formats(unbalanced), "BBS-CBS"), 128, 8, 2);
    DenseMatrix balanced(1, 8);
    for (std::size_t c = 0; c < 8; c += 2) balanced.at(0, c) = 1;
    expect_bits(row(compare_formats(balanced), "BBS-CBS"), 64, 4, 2);
}

TEST(Formats, RejectsZeroOptions) {
    FormatOptions o;
    o.ese_pes = 0;
    EXPECT_THROW(compare_formats(hand_matrix(), o), Error);
    o = {};
    o.macc_per_cycle = 0;
    EXPECT_THROW(compare_formats(hand_matrix(), o), Error);
}

TEST(Csr, HandMatrixStructure) {
    const CsrMatrix c = to_csr(hand_matrix());
    EXPECT_EQ(c.row_ptr, (std::vector<std::uint32_t>{0, 2, 3, 3, 7, 8, 8, 8, 9}));
    EXPECT_EQ(c.col_idx, (std::vector<std::uint32_t>{0, 1, 2, 0, 1, 2, 3, 3, 4}));
    EXPECT_EQ(c.values, (std::vector<float>{1, -2, 3, 4, 5, -6, 7, 8, -9}));
}

TEST(Csr, SpmvEqualsDenseExactly) {
    DenseMatrix m(37, 29);
    for (std::size_t i = 0; i < m.values.size(); ++i)
        if (i % 3 != 0) m.values[i] = static_cast<float>(static_cast<int>(i * 7 % 19) - 9);
    std::vector<float> x(m.cols);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 11) - 5);
    std::vector<float> dense(m.rows), sparse(m.rows, -1.0f);
    dense_matvec(m, x.data(), dense.data());
    csr_spmv(to_csr(m), x.data(), sparse.data());
    EXPECT_EQ(sparse, dense);
}

TEST(Csr, EmptyRowsGiveZero) {
    const DenseMatrix m(3, 4);
    const std::vector<float> x(4, 1.0f);
    std::vector<float> y(3, 5.0f);
    csr_spmv(to_csr(m), x.data(), y.data());
    EXPECT_EQ(y, std::vector<float>(3, 0.0f));
}

}  // namespace
}  // namespace elstm
