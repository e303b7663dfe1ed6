#include <elstm_vp/numeric/esell.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/matrix.hpp>

namespace elstm::esell {
namespace {

DenseMatrix from_rows(std::size_t rows, std::size_t cols, const std::vector<float>& values) {
    DenseMatrix m(rows, cols);
    m.values = values;
    return m;
}

// Hand-worked block (docs/design.md §2). fp16: 1.0=3C00 -1.0=BC00 2.0=4000 -2.0=C000 3.0=4200
// 4.0=4400 5.0=4500 6.0=4600 7.0=4700 8.0=4800 0.5=3800 -0.5=B800 0.25=3400 1.5=3E00.
//
//        c0    c1    c2    c3     count  columns   EIDX_col
//   r0    0     0     0    3.0      1    {3}       k=1 col 3   -> 7
//   r1   1.0    0   -2.0   0.5      3    {0,2,3}   k=3         -> 2
//   r2    0     0     0     0       0    {}                    -> 0
//   r3   2.0  -1.0   4.0   0.25     4    {0,1,2,3}             -> 0
//   r4    0    1.5    0   -0.5      2    {1,3}     k=2         -> 5
//   r5    0     0    5.0    0       1    {2}       k=1 col 2   -> 6
//   r6   6.0    0     0    7.0      2    {0,3}     k=2         -> 3
//   r7    0    8.0    0     0       1    {1}       k=1 col 1   -> 4
//
// Stable sort by descending count: 4:r3, 3:r1, 2:r4 r6, 1:r0 r5 r7, 0:r2
//   -> IDX_row = 3 1 4 6 | 0 5 7 2.
// Chunk 0 = rows r3 r1 r4 r6, codes 0 2 5 3, CHK_w = max(4,3,2,2) = 4.
//   bits: row3=6 row2=4 row1=1 row0=3 | eidx3=3 eidx2=5 eidx1=2 eidx0=0 | w=4
//   110 100 001 011 | 011 101 010 000 | 100 = 0b110_1000_0101_1011_1010_1000_0100 = 0x0685BA84
//   (check: 6<<24 + 4<<21 + 1<<18 + 3<<15 + 3<<12 + 5<<9 + 2<<6 + 4
//    = 0x6000000+0x800000+0x40000+0x18000+0x3000+0xA00+0x80+0x4 = 0x685BA84)
//   value word t, row j in bits 16j (r6 | r4 | r1 | r3):
//   t0: 6.0 1.5 1.0 2.0      -> 0x4600'3E00'3C00'4000
//   t1: 7.0 -0.5 -2.0 -1.0   -> 0x4700'B800'C000'BC00
//   t2: 0 0 0.5 4.0          -> 0x0000'0000'3800'4400
//   t3: 0 0 0 0.25           -> 0x0000'0000'0000'3400
// Chunk 1 = rows r0 r5 r7 r2, codes 7 6 4 0, CHK_w = 1.
//   bits: row3=2 row2=7 row1=5 row0=0 | eidx3=0 eidx2=4 eidx1=6 eidx0=7 | w=1
//   010 111 101 000 | 000 100 110 111 | 001 = 0x02F409B9
//   (check: 2<<24 + 7<<21 + 5<<18 + 4<<9 + 6<<6 + 7<<3 + 1
//    = 0x2000000+0xE00000+0x140000+0x800+0x180+0x38+0x1 = 0x2F409B9)
//   t0 (r2 | r7 | r5 | r0): 0 8.0 5.0 3.0 -> 0x0000'4800'4500'4200
// Block head = chunk 1 head << 32 | chunk 0 head; 1 + 4 + 1 = 6 words.
// clang-format off
const DenseMatrix kHand = from_rows(8, 4, {
    0.0f, 0.0f, 0.0f, 3.0f,
    1.0f, 0.0f, -2.0f, 0.5f,
    0.0f, 0.0f, 0.0f, 0.0f,
    2.0f, -1.0f, 4.0f, 0.25f,
    0.0f, 1.5f, 0.0f, -0.5f,
    0.0f, 0.0f, 5.0f, 0.0f,
    6.0f, 0.0f, 0.0f, 7.0f,
    0.0f, 8.0f, 0.0f, 0.0f,
});
// clang-format on
const std::vector<std::uint64_t> kHandWords = {
    0x02F409B9'0685BA84ull,   0x4600'3E00'3C00'4000ull, 0x4700'B800'C000'BC00ull,
    0x0000'0000'3800'4400ull, 0x0000'0000'0000'3400ull, 0x0000'4800'4500'4200ull,
};

// kHand in columns 0..3, and 1.0 at (0, 4): block column 1 then holds one block with rows
// in original order (r0 has 1 non-zero, all others 0), chunk 0 CHK_w=1 with EIDX_col 0
// (k=1, col 0) for every row, chunk 1 CHK_w=0.
//   chunk 0: rows 3 2 1 0, w=1 -> 011 010 001 000 | 0 | 001 = 0x03440001
//   chunk 1: rows 7 6 5 4, w=0 -> 111 110 101 100 | 0 | 000 = 0x07D60000
//   value word: r0's 1.0 in bits 0..15 -> 0x3C00
DenseMatrix hand_two_block_cols() {
    DenseMatrix m(8, 8);
    for (std::size_t r = 0; r < 8; ++r) {
        for (std::size_t c = 0; c < 4; ++c) m.at(r, c) = kHand.at(r, c);
    }
    m.at(0, 4) = 1.0f;
    return m;
}
std::vector<std::uint64_t> hand_two_block_col_words() {
    std::vector<std::uint64_t> words = kHandWords;
    words.push_back(0x07D60000'03440001ull);
    words.push_back(0x3C00ull);
    return words;
}

void expect_error_at(const std::function<void()>& f, std::size_t word) {
    const std::string expected = "word " + std::to_string(word) + ":";
    try {
        f();
        ADD_FAILURE() << "no elstm::Error, expected one at " << expected;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
}

TEST(Esell, HandWorkedBlockEncodesBitExact) {
    const EsellMatrix e = encode(kHand);
    EXPECT_EQ(e.rows, 8u);
    EXPECT_EQ(e.cols, 4u);
    EXPECT_EQ(e.words, kHandWords);
    EXPECT_EQ(e.block_col_words, std::vector<std::uint16_t>{6});
    EXPECT_EQ(e.nonzeros(), 14u);
    EXPECT_EQ(decode(e), kHand);
}

TEST(Esell, HandWorkedTwoBlockColumns) {
    const EsellMatrix e = encode(hand_two_block_cols());
    EXPECT_EQ(e.words, hand_two_block_col_words());
    EXPECT_EQ(e.block_col_words, (std::vector<std::uint16_t>{6, 2}));
    EXPECT_EQ(decode(e), hand_two_block_cols());
}

TEST(Esell, ChunkHeadPacking) {
    // w=3, eidx 1 2 5 7, rows 7 0 2 5:
    // row3=5 row2=2 row1=0 row0=7 | eidx3=7 eidx2=5 eidx1=2 eidx0=1 | w=3
    // 101 010 000 111 | 111 101 010 001 | 011 = 0b101_0100_0011_1111_1010_1000_1011 = 0x0543FA8B
    ChunkHead head;
    head.width = 3;
    head.eidx = {1, 2, 5, 7};
    head.row = {7, 0, 2, 5};
    EXPECT_EQ(pack_chunk_head(head), 0x0543FA8Bu);
    const ChunkHead back = unpack_chunk_head(0x0543FA8Bu);
    EXPECT_EQ(back.width, 3u);
    EXPECT_EQ(back.eidx, head.eidx);
    EXPECT_EQ(back.row, head.row);
}

TEST(Esell, ChunkHeadFieldsOutOfRangeThrow) {
    ChunkHead head;
    head.width = 5;
    EXPECT_THROW(pack_chunk_head(head), Error);
    head.width = 0;
    head.row[2] = 8;
    EXPECT_THROW(pack_chunk_head(head), Error);
}

TEST(Esell, ColumnCodesForEveryMask) {
    // docs/design.md §2 tables, indexed by mask (bit c = column c).
    const std::uint8_t expected[16] = {
        0,           // {}
        0, 4, 0,     // {0} {1} {0,1}
        6, 2, 4, 0,  // {2} {0,2} {1,2} {0,1,2}
        7, 3, 5, 1,  // {3} {0,3} {1,3} {0,1,3}
        6, 2, 4, 0,  // {2,3} {0,2,3} {1,2,3} {0,1,2,3}
    };
    for (unsigned mask = 0; mask < 16; ++mask) {
        const std::uint8_t code = encode_columns(mask);
        EXPECT_EQ(code, expected[mask]) << "mask " << mask;
        unsigned i = 0;  // packed index of the next set column
        for (int c = 0; c < 4; ++c) {
            if ((mask & (1u << c)) == 0) continue;
            EXPECT_EQ(decode_column(i, code), c) << "mask " << mask << " i " << i;
            ++i;
        }
    }
    EXPECT_THROW(encode_columns(16), Error);
}

TEST(Esell, DecodeColumnTable) {
    const int expected[4][8] = {
        {0, 0, 0, 0, 1, 1, 2, 3},
        {1, 1, 2, 3, 2, 3, 3, -1},
        {2, 3, 3, -1, 3, -1, -1, -1},
        {3, -1, -1, -1, -1, -1, -1, -1},
    };
    for (unsigned i = 0; i < 4; ++i) {
        for (unsigned code = 0; code < 8; ++code) EXPECT_EQ(decode_column(i, code), expected[i][code]);
    }
    EXPECT_EQ(decode_column(4, 0), -1);
    EXPECT_EQ(decode_column(0, 8), -1);
}

// Block column j's expected length, from the matrix alone: per block, one head word, chunk 0
// as wide as the largest row count, chunk 1 as wide as the 5th largest (rows sorted descending).
std::size_t expected_block_col_words(const DenseMatrix& m, std::size_t j) {
    std::size_t words = 0;
    for (std::size_t r0 = 0; r0 < m.rows; r0 += 8) {
        std::array<int, 8> counts{};
        for (std::size_t r = r0; r < std::min(r0 + 8, m.rows); ++r) {
            for (std::size_t c = 4 * j; c < std::min(4 * j + 4, m.cols); ++c)
                counts[r - r0] += m.at(r, c) != 0.0f;
        }
        std::sort(counts.begin(), counts.end(), std::greater<>());
        words += 1 + static_cast<std::size_t>(counts[0] + counts[4]);
    }
    return words;
}

// Block column length from the stream's own heads: block_rows + sum of chunk widths.
std::size_t walked_block_col_words(const EsellMatrix& e, std::size_t offset) {
    std::size_t at = offset;
    for (std::size_t b = 0; b < e.block_rows(); ++b) {
        const std::uint64_t head = e.words.at(at);
        at += 1 + unpack_chunk_head(static_cast<std::uint32_t>(head)).width +
              unpack_chunk_head(static_cast<std::uint32_t>(head >> 32)).width;
    }
    return at - offset;
}

void expect_round_trip(const DenseMatrix& m) {
    const DenseMatrix rounded = rounded_to_fp16(m);
    const EsellMatrix e = encode(m);
    ASSERT_EQ(e.block_col_words.size(), e.block_cols());
    std::size_t total = 0;
    for (std::size_t j = 0; j < e.block_cols(); ++j) {
        EXPECT_EQ(e.block_col_words[j], expected_block_col_words(rounded, j)) << "block column " << j;
        EXPECT_EQ(e.block_col_words[j], walked_block_col_words(e, total)) << "block column " << j;
        total += e.block_col_words[j];
    }
    EXPECT_EQ(total, e.words.size());
    EXPECT_EQ(e.nonzeros(), rounded.nonzeros());
    EXPECT_EQ(decode(e), rounded);
}

// Values spread over fp16's range, some rounding to (signed) zero so they must not be stored.
float random_value(std::mt19937& rng) {
    std::uniform_real_distribution<float> magnitude(-8.0f, 8.0f);
    std::uniform_int_distribution<int> kind(0, 9);
    switch (kind(rng)) {
        case 0:
            return 1e-9f;  // rounds to +0
        case 1:
            return -1e-9f;  // rounds to -0
        case 2:
            return magnitude(rng) * 1e-6f;  // subnormal fp16
        default:
            return magnitude(rng);
    }
}

TEST(Esell, RandomMatricesRoundTrip) {
    std::mt19937 rng(20190602);
    std::uniform_int_distribution<std::size_t> dim(1, 40);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int trial = 0; trial < 400; ++trial) {
        DenseMatrix m(dim(rng), dim(rng));
        const double density = unit(rng);
        for (float& v : m.values) v = unit(rng) < density ? random_value(rng) : 0.0f;
        SCOPED_TRACE("trial " + std::to_string(trial) + ": " + std::to_string(m.rows) + "x" +
                     std::to_string(m.cols));
        expect_round_trip(m);
    }
}

TEST(Esell, EdgeShapesRoundTrip) {
    expect_round_trip(DenseMatrix(13, 7));  // all zero: every block is a lone head word
    DenseMatrix dense(19, 11);
    for (std::size_t k = 0; k < dense.values.size(); ++k)
        dense.values[k] = static_cast<float>(k % 23) - 11.5f;
    expect_round_trip(dense);
    DenseMatrix single(17, 9);
    single.at(16, 8) = -0.75f;
    expect_round_trip(single);
    expect_round_trip(from_rows(1, 1, {2.5f}));
    expect_round_trip(from_rows(1, 1, {0.0f}));
    expect_round_trip(DenseMatrix(0, 0));
}

TEST(Esell, AllZeroBlockIsOneHeadWord) {
    // Every chunk has width 0 and IDX_row is the identity: rows 3 2 1 0 | 7 6 5 4.
    const EsellMatrix e = encode(DenseMatrix(8, 4));
    EXPECT_EQ(e.words, std::vector<std::uint64_t>{0x07D60000'03440000ull});
    EXPECT_EQ(e.block_col_words, std::vector<std::uint16_t>{1});
}

TEST(Esell, BlockColumnWordLimit) {
    // A fully dense block takes 1 + 4 + 4 = 9 words; the table entry holds at most 65535.
    DenseMatrix fits(7281 * 8, 4);  // 7281 * 9 = 65529 words
    std::fill(fits.values.begin(), fits.values.end(), 1.0f);
    EXPECT_EQ(encode(fits).block_col_words, std::vector<std::uint16_t>{65529});
    DenseMatrix too_big(7282 * 8, 4);  // 7282 * 9 = 65538 words
    std::fill(too_big.values.begin(), too_big.values.end(), 1.0f);
    EXPECT_THROW(encode(too_big), Error);
}

TEST(Esell, BiasPacking) {
    // 1.0=3C00 -2.0=C000 0.5=3800 3.0=4200 | 0.25=3400, last word zero-padded.
    const std::vector<float> bias = {1.0f, -2.0f, 0.5f, 3.0f, 0.25f};
    const std::vector<std::uint64_t> words = {0x4200'3800'C000'3C00ull, 0x0000'0000'0000'3400ull};
    EXPECT_EQ(pack_bias(bias), words);
    EXPECT_EQ(unpack_bias(words, 5), bias);
    EXPECT_THROW(unpack_bias(words, 9), Error);
}

TEST(Esell, WordTablePacking) {
    const std::vector<std::uint16_t> counts = {6, 2, 0x1234, 0xFFFF, 7};
    const std::vector<std::uint64_t> words = {0xFFFF'1234'0002'0006ull, 0x0000'0000'0000'0007ull};
    EXPECT_EQ(pack_word_table(counts), words);
    EXPECT_EQ(unpack_word_table(words, 5), counts);
    EXPECT_THROW(unpack_word_table(words, 9), Error);
}

// ---- malformed streams -------------------------------------------------------------

EsellMatrix hand_two() { return encode(hand_two_block_cols()); }

TEST(EsellMalformed, ChunkWidthAboveFour) {
    EsellMatrix e = hand_two();
    e.words[6] = (e.words[6] & ~0x7ull) | 5;  // block column 1's head, chunk 0 CHK_w = 5
    expect_error_at([&] { decode(e); }, 6);
}

TEST(EsellMalformed, RowIndexNotAPermutation) {
    EsellMatrix e = encode(kHand);
    // Chunk 1 row 3: IDX_row 2 -> 3, which chunk 0 row 0 already names.
    e.words[0] = (e.words[0] & ~(0x7ull << (32 + 24))) | (3ull << (32 + 24));
    expect_error_at([&] { decode(e); }, 0);
}

TEST(EsellMalformed, NonZeroWhereColumnUndefined) {
    EsellMatrix e = encode(kHand);
    // Chunk 0 row 2 (r4, EIDX_col 5 = columns 1,3) has no third value: word t2 = stream word 3.
    e.words[3] |= 0x3C00ull << 32;
    expect_error_at([&] { decode(e); }, 3);
}

TEST(EsellMalformed, SignedZeroPaddingIsAccepted) {
    EsellMatrix e = encode(kHand);
    e.words[3] |= 0x8000ull << 32;  // -0 is a zero value, not a stored one
    EXPECT_EQ(decode(e), kHand);
}

TEST(EsellMalformed, NonZeroInPaddedRow) {
    EsellMatrix e = encode(kHand);
    e.rows = 7;  // r7's 8.0 (chunk 1 value word, stream word 5) now lies in padding
    expect_error_at([&] { decode(e); }, 5);
}

TEST(EsellMalformed, NonZeroInPaddedColumn) {
    EsellMatrix e = encode(kHand);
    e.cols = 3;  // column 3 is padding; its first value in the stream is r4's -0.5 in word 2
    expect_error_at([&] { decode(e); }, 2);
}

TEST(EsellMalformed, TableSumDisagreesWithStream) {
    EsellMatrix e = hand_two();
    e.block_col_words = {6, 3};
    expect_error_at([&] { decode(e); }, 8);
    e.words.push_back(0);
    e.block_col_words = {6, 2};
    expect_error_at([&] { decode(e); }, 8);
}

TEST(EsellMalformed, TableSizeDisagreesWithShape) {
    EsellMatrix e = hand_two();
    e.block_col_words = {8};
    EXPECT_THROW(decode(e), Error);
}

TEST(EsellMalformed, BlockHeadMissing) {
    EsellMatrix e = encode(kHand);
    e.rows = 16;  // two blocks, but the 6 words hold only one; the table alone cannot tell
    expect_error_at([&] { decode(e); }, 6);
}

TEST(EsellMalformed, TableEntryFewerThanBlockHeads) {
    EsellMatrix e;
    e.rows = 24;  // three blocks need three head words
    e.cols = 4;
    e.block_col_words = {1};
    e.words = {0x07D60000'03440000ull};
    expect_error_at([&] { decode(e); }, 0);
}

TEST(EsellMalformed, BlockColumnBoundaryMismatch) {
    EsellMatrix e = hand_two();
    e.block_col_words = {7, 1};  // sum still 8, but block column 0's only block ends at word 6
    expect_error_at([&] { decode(e); }, 6);
    e.block_col_words = {5, 3};  // block column 0's block needs words 1..5, only 1..4 are its own
    expect_error_at([&] { decode(e); }, 0);
}

TEST(EsellMalformed, WidthRunsPastStream) {
    EsellMatrix e = encode(kHand);
    e.words[0] = (e.words[0] & ~(0x7ull << 32)) | (2ull << 32);  // chunk 1 CHK_w 1 -> 2: needs 7 words
    expect_error_at([&] { decode(e); }, 0);
}

TEST(EsellMalformed, HugeShapeIsRejectedBeforeAllocating) {
    EsellMatrix e;
    e.rows = std::size_t{1} << 40;
    e.cols = 4;
    e.block_col_words = {1};
    e.words = {0x07D60000'03440000ull};
    EXPECT_THROW(decode(e), Error);
}

}  // namespace
}  // namespace elstm::esell
