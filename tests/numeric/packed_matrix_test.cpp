#include <elstm_vp/numeric/packed_matrix.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/formats.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/matrix.hpp>

namespace elstm {
namespace {

// fp16: 1.0=3C00 -1.0=BC00 2.0=4000 -2.0=C000 3.0=4200 4.0=4400 5.0=4500 6.0=4600 7.0=4700
// 8.0=4800 0.5=3800.

constexpr WeightFormat kAll[] = {WeightFormat::esell, WeightFormat::csc_ese, WeightFormat::cbs_bbs,
                                 WeightFormat::csr};

DenseMatrix from_rows(std::size_t rows, std::size_t cols, const std::vector<float>& values) {
    DenseMatrix m(rows, cols);
    m.values = values;
    return m;
}

std::uint32_t bits_of(float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
}

// Bit for bit, except that -0.0 weights come back as +0.0.
void expect_same_bits(const DenseMatrix& got, const DenseMatrix& want) {
    ASSERT_EQ(got.rows, want.rows);
    ASSERT_EQ(got.cols, want.cols);
    for (std::size_t i = 0; i < want.values.size(); ++i) {
        const float w = want.values[i] == 0.0f ? 0.0f : want.values[i];
        ASSERT_EQ(bits_of(got.values[i]), bits_of(w)) << "element " << i / want.cols << "," << i % want.cols;
    }
}

void expect_error_containing(const std::function<void()>& f, const std::string& expected) {
    try {
        f();
        ADD_FAILURE() << "no elstm::Error, expected one containing \"" << expected << "\"";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
}

std::vector<std::uint8_t> slots_of(const PackedMatrix& p, std::size_t seg, std::size_t offset) {
    std::vector<std::uint8_t> out;
    segment_word_slots(p.format, p.options, p.words.data() + offset, p.segment_words[seg], seg, p.rows, p.cols, out);
    return out;
}

std::vector<std::size_t> offsets_of(const PackedMatrix& p) {
    std::vector<std::size_t> offsets;
    std::size_t at = 0;
    for (std::uint16_t n : p.segment_words) {
        offsets.push_back(at);
        at += n;
    }
    return offsets;
}

// Every cross-check that holds for any well-formed PackedMatrix of `m`.
void check_consistent(const PackedMatrix& p, const DenseMatrix& m) {
    SCOPED_TRACE(std::string(weight_format_name(p.format)) + " " + std::to_string(m.rows) + "x" +
                 std::to_string(m.cols));
    const std::size_t segs = segment_count(p.format, m.rows, m.cols);
    ASSERT_EQ(p.segment_words.size(), segs);
    const std::vector<std::size_t> offsets = offsets_of(p);
    std::size_t total = 0;
    std::uint64_t nonzeros = 0;
    const bool columns = is_column_format(p.format);
    for (std::size_t s = 0; s < segs; ++s) {
        const std::size_t at = offsets[s], n = p.segment_words[s];
        total += n;
        ASSERT_LE(at + n, p.words.size());
        // segment_length from the heads, reading only inside the segment.
        std::size_t reads = 0;
        const WordReader read = [&](std::uint64_t i) {
            EXPECT_LT(i, n);
            ++reads;
            return p.words.at(at + i);
        };
        EXPECT_EQ(segment_length(p.format, p.options, read, s, m.rows, m.cols), n) << "segment " << s;
        const std::size_t heads = p.format == WeightFormat::esell ? (m.rows + 7) / 8 : 1;  // one per block
        EXPECT_EQ(reads, heads);

        const DecodedSegment d = decode_segment(p.format, p.options, p.words.data() + at, n, s, m.rows, m.cols);
        std::uint64_t nz = 0;
        if (columns) {
            ASSERT_EQ(d.slab.size(), kSegmentSpan * m.rows);
            for (std::size_t c = 0; c < kSegmentSpan; ++c) {
                for (std::size_t r = 0; r < m.rows; ++r) {
                    const std::size_t col = s * kSegmentSpan + c;
                    const float want = col < m.cols ? m.at(r, col) : 0.0f;
                    ASSERT_EQ(bits_of(d.slab[c * m.rows + r]), bits_of(want == 0.0f ? 0.0f : want))
                        << "segment " << s << " column " << col << " row " << r;
                    nz += want != 0.0f;
                }
            }
        } else {
            ASSERT_EQ(d.slab.size(), kSegmentSpan * m.cols);
            for (std::size_t r = 0; r < kSegmentSpan; ++r) {
                for (std::size_t c = 0; c < m.cols; ++c) {
                    const std::size_t row = s * kSegmentSpan + r;
                    const float want = row < m.rows ? m.at(row, c) : 0.0f;
                    ASSERT_EQ(bits_of(d.slab[r * m.cols + c]), bits_of(want == 0.0f ? 0.0f : want))
                        << "segment " << s << " row " << row << " column " << c;
                    nz += want != 0.0f;
                }
            }
        }
        EXPECT_EQ(d.nonzeros, nz) << "segment " << s;
        nonzeros += d.nonzeros;

        // One slot entry per word; the 4-slot words hold every non-zero.
        const std::vector<std::uint8_t> slots = slots_of(p, s, at);
        ASSERT_EQ(slots.size(), n) << "segment " << s;
        std::size_t value_words = 0;
        for (std::uint8_t k : slots) {
            ASSERT_TRUE(k == 0 || k == 4);
            value_words += k == 4;
        }
        EXPECT_GE(4 * value_words, nz);
        if (n > 0) {
            EXPECT_EQ(slots[0], 0u);  // every segment starts with a head
        }
    }
    EXPECT_EQ(total, p.words.size());
    EXPECT_EQ(nonzeros, m.nonzeros());
}

PackedMatrix round_trip(const DenseMatrix& m, WeightFormat f, const PackOptions& o = {}) {
    PackedMatrix p = pack(m, f, o);
    EXPECT_EQ(p.format, f);
    EXPECT_EQ(p.rows, m.rows);
    EXPECT_EQ(p.cols, m.cols);
    expect_same_bits(unpack(p), m);
    check_consistent(p, m);
    return p;
}

// ---- names -------------------------------------------------------------------------

TEST(PackedMatrix, NamesParseAndKinds) {
    const char* names[] = {"esell", "csc_ese", "cbs_bbs", "csr"};
    for (std::size_t k = 0; k < kWeightFormats; ++k) {
        EXPECT_STREQ(weight_format_name(kAll[k]), names[k]);
        WeightFormat f = WeightFormat::csr;
        ASSERT_TRUE(parse_weight_format(names[k], f));
        EXPECT_EQ(f, kAll[k]);
    }
    WeightFormat f = WeightFormat::cbs_bbs;
    EXPECT_FALSE(parse_weight_format("CSR", f));
    EXPECT_FALSE(parse_weight_format("", f));
    EXPECT_FALSE(parse_weight_format("eSELL", f));
    EXPECT_EQ(f, WeightFormat::cbs_bbs);
    EXPECT_TRUE(is_column_format(WeightFormat::esell));
    EXPECT_TRUE(is_column_format(WeightFormat::csc_ese));
    EXPECT_FALSE(is_column_format(WeightFormat::cbs_bbs));
    EXPECT_FALSE(is_column_format(WeightFormat::csr));
}

TEST(PackedMatrix, SegmentCount) {
    EXPECT_EQ(segment_count(WeightFormat::esell, 10, 5), 2u);
    EXPECT_EQ(segment_count(WeightFormat::csc_ese, 10, 8), 2u);
    EXPECT_EQ(segment_count(WeightFormat::csc_ese, 1, 9), 3u);
    EXPECT_EQ(segment_count(WeightFormat::cbs_bbs, 10, 5), 3u);
    EXPECT_EQ(segment_count(WeightFormat::csr, 4, 100), 1u);
    EXPECT_EQ(segment_count(WeightFormat::csr, 0, 100), 0u);
    EXPECT_EQ(segment_count(WeightFormat::esell, 100, 0), 0u);
    EXPECT_EQ(segment_count(WeightFormat::csc_ese, 6000, 1500), 375u);
    EXPECT_EQ(segment_count(WeightFormat::csr, 6000, 1500), 1500u);
}

// ---- hand-worked examples ----------------------------------------------------------

// eSELL, 3 x 5 (one block row, two block columns; rows 3..7 and columns 5..7 padding).
//   r0: c0=1.0 c4=2.0 · r1: c1=3.0 c3=4.0 · r2: c4=-1.0
// Block column 0: counts r0 1 (col 0 -> EIDX 0), r1 2 (cols 1,3 -> EIDX 5), others 0.
//   Sorted: r1 r0 r2 r3 | r4 r5 r6 r7.
//   chunk 0: w=2, eidx 5 0 0 0, rows 1 0 2 3:
//     2 | 5<<3 | 1<<15 | 0<<18 | 2<<21 | 3<<24 = 0x0340802A
//     t0: r1 3.0, r0 1.0 -> 0x0000'0000'3C00'4200; t1: r1 4.0 -> 0x4400
//   chunk 1: w=0, rows 4 5 6 7: 4<<15 | 5<<18 | 6<<21 | 7<<24 = 0x07D60000
// Block column 1 (column 4): r0 2.0 and r2 -1.0 count 1 (col 0 -> EIDX 0).
//   Sorted: r0 r2 r1 r3 | r4 r5 r6 r7.
//   chunk 0: w=1, rows 0 2 1 3: 1 | 2<<18 | 1<<21 | 3<<24 = 0x03280001
//     t0: r0 2.0, r2 -1.0 -> 0x0000'0000'BC00'4000
const DenseMatrix kEsellHand = from_rows(3, 5, {
    1.0f, 0.0f, 0.0f, 0.0f, 2.0f,
    0.0f, 3.0f, 0.0f, 4.0f, 0.0f,
    0.0f, 0.0f, 0.0f, 0.0f, -1.0f,
});

TEST(PackedMatrix, EsellHandWorked) {
    const PackedMatrix p = round_trip(kEsellHand, WeightFormat::esell);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x07D60000'0340802Aull, 0x0000'0000'3C00'4200ull, 0x0000'0000'0000'4400ull,
                           0x07D60000'03280001ull, 0x0000'0000'BC00'4000ull}));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{3, 2}));
    EXPECT_EQ(slots_of(p, 0, 0), (std::vector<std::uint8_t>{0, 4, 4}));
    EXPECT_EQ(slots_of(p, 1, 3), (std::vector<std::uint8_t>{0, 4}));
    const DecodedSegment d = decode_segment(WeightFormat::esell, {}, p.words.data() + 3, 2, 1, 3, 5);
    EXPECT_EQ(d.slab, (std::vector<float>{2.0f, 0.0f, -1.0f, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(d.nonzeros, 2u);
}

// csc_ese, 10 x 5. PE p holds rows p, p+4, p+8: PEs 0 and 1 have 3 local rows, PEs 2 and 3 two.
//   col 0: r0=1.0 (PE0 l0) r3=3.0 (PE3 l0) r5=2.0 (PE1 l1) r9=-1.0 (PE1 l2)
//          PE0 [(1.0,0)]  PE1 [(2.0,1) (-1.0,0)]  PE2 []  PE3 [(3.0,0)]   depth 2
//   col 1: empty                                                           depth 0
//   col 2: r2=-2.0 (PE2 l0) r6=4.0 (PE2 l1) r7=5.0 (PE3 l1) r8=0.5 (PE0 l2)
//          PE0 [(0.5,2)]  PE1 []  PE2 [(-2.0,0) (4.0,0)]  PE3 [(5.0,1)]   depth 2
//   col 3: r1=6.0 (PE1 l0): PE1 [(6.0,0)]                                  depth 1
//   col 4 (segment 1): r4=7.0 (PE0 l1) r9=8.0 (PE1 l2): PE0 [(7.0,1)] PE1 [(8.0,2)]  depth 1
// fp16 layout: head (depths 2 0 2 1), then per column: index word (entry row g, PE p at bits
// 16g+4p), value words.
//   col 0: index: g0 PE1 1 -> 0x10; values 0x4200'0000'4000'3C00, 0x0000'0000'BC00'0000
//   col 2: index: g0 PE0 2, PE3 1 -> 0x1002; values 0x4500'C000'0000'3800, 0x0000'4400'0000'0000
//   col 3: index 0; value 0x0000'0000'4600'0000
//   seg 1: head 1; index: PE0 1, PE1 2 -> 0x21; value 0x0000'0000'4800'4700
const DenseMatrix kCscHand = from_rows(10, 5, {
    1.0f,  0.0f, 0.0f,  0.0f, 0.0f,   // r0
    0.0f,  0.0f, 0.0f,  6.0f, 0.0f,   // r1
    0.0f,  0.0f, -2.0f, 0.0f, 0.0f,   // r2
    3.0f,  0.0f, 0.0f,  0.0f, 0.0f,   // r3
    0.0f,  0.0f, 0.0f,  0.0f, 7.0f,   // r4
    2.0f,  0.0f, 0.0f,  0.0f, 0.0f,   // r5
    0.0f,  0.0f, 4.0f,  0.0f, 0.0f,   // r6
    0.0f,  0.0f, 5.0f,  0.0f, 0.0f,   // r7
    0.0f,  0.0f, 0.5f,  0.0f, 0.0f,   // r8
    -1.0f, 0.0f, 0.0f,  0.0f, 8.0f,   // r9
});

TEST(PackedMatrix, CscEseHandWorkedFp16) {
    const PackedMatrix p = round_trip(kCscHand, WeightFormat::csc_ese);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x0001'0002'0000'0002ull,                                                  // head
                           0x0000'0000'0000'0010ull, 0x4200'0000'4000'3C00ull, 0x0000'0000'BC00'0000ull,  // col 0
                           0x0000'0000'0000'1002ull, 0x4500'C000'0000'3800ull, 0x0000'4400'0000'0000ull,  // col 2
                           0x0000'0000'0000'0000ull, 0x0000'0000'4600'0000ull,                            // col 3
                           0x0000'0000'0000'0001ull, 0x0000'0000'0000'0021ull, 0x0000'0000'4800'4700ull,  // seg 1
                       }));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{9, 3}));
    EXPECT_EQ(slots_of(p, 0, 0), (std::vector<std::uint8_t>{0, 0, 4, 4, 0, 4, 4, 0, 4}));
    EXPECT_EQ(slots_of(p, 1, 9), (std::vector<std::uint8_t>{0, 0, 4}));
    // Segment 1: column 4 of the matrix, columns 5..7 are zero.
    const DecodedSegment d = decode_segment(WeightFormat::csc_ese, {}, p.words.data() + 9, 3, 1, 10, 5);
    std::vector<float> want(40, 0.0f);
    want[4] = 7.0f;
    want[9] = 8.0f;
    EXPECT_EQ(d.slab, want);
    EXPECT_EQ(d.nonzeros, 2u);
}

// The same matrix as 12-bit fixed point with f = 2 (q = 4 x value): one word per entry row,
// lane p = (q & 0xFFF) | rel << 12.
//   col 0 row 0: PE0 (4,0) 0x0004, PE1 (8,1) 0x1008, PE3 (12,0) 0x000C; row 1: PE1 (-4,0) 0x0FFC
//   col 2 row 0: PE0 (2,2) 0x2002, PE2 (-8,0) 0x0FF8, PE3 (20,1) 0x1014; row 1: PE2 (16,0) 0x0010
//   col 3 row 0: PE1 (24,0) 0x0018
//   seg 1: PE0 (28,1) 0x101C, PE1 (32,2) 0x2020
TEST(PackedMatrix, CscEseHandWorkedFixed12) {
    PackOptions o;
    o.fixed12 = true;
    o.frac_bits = 2;
    const PackedMatrix p = round_trip(kCscHand, WeightFormat::csc_ese, o);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x0001'0002'0000'0002ull,                           // head
                           0x000C'0000'1008'0004ull, 0x0000'0000'0FFC'0000ull,  // col 0
                           0x1014'0FF8'0000'2002ull, 0x0000'0010'0000'0000ull,  // col 2
                           0x0000'0000'0018'0000ull,                           // col 3
                           0x0000'0000'0000'0001ull, 0x0000'0000'2020'101Cull,  // seg 1
                       }));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{6, 2}));
    EXPECT_EQ(slots_of(p, 0, 0), (std::vector<std::uint8_t>{0, 4, 4, 4, 4, 4}));
    EXPECT_EQ(slots_of(p, 1, 6), (std::vector<std::uint8_t>{0, 4}));
}

// Relative-index padding: one column of 405 rows (PE0 102 local rows, PEs 1-3 101).
//   PE0 non-zeros at local rows 16 (1.0, matrix row 64), 32 (2.0, row 128), 65 (3.0, row 260),
//   100 (4.0, row 400); PE1 5.0 at local row 0 (matrix row 1).
//   PE0: gap 16 -> pad (0,15), (1.0,0); gap 32-17=15 -> (2.0,15); gap 65-33=32 -> 2 pads,
//   (3.0,0); gap 100-66=34 -> 2 pads, (4.0,2): 9 entries (ese_column_entries: 2+1+3+3).
//   Index words: entry rows 0-3 PE0 15,0,15,15 -> 0x000F'000F'0000'000F; rows 4-7 the same;
//   row 8 PE0 2 -> 0x2. PE1's (5.0,0) is entry row 0, lane 1.
TEST(PackedMatrix, CscEseRelativeIndexPadding) {
    DenseMatrix m(405, 1);
    m.at(64, 0) = 1.0f;
    m.at(128, 0) = 2.0f;
    m.at(260, 0) = 3.0f;
    m.at(400, 0) = 4.0f;
    m.at(1, 0) = 5.0f;
    const PackedMatrix p = round_trip(m, WeightFormat::csc_ese);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x9ull,                                                 // head: depth 9
                           0x000F'000F'0000'000Full, 0x4500'0000ull, 0x3C00ull, 0x4000ull, 0x0ull,
                           0x000F'000F'0000'000Full, 0x0ull, 0x4200ull, 0x0ull, 0x0ull,
                           0x2ull, 0x4400ull,
                       }));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{13}));
    // The storage comparison counts the same 10 entries (PE0 9, PE1 1).
    const std::vector<FormatCost> costs = compare_formats(m);
    ASSERT_EQ(costs[4].name, "ESE-CSC");
    EXPECT_EQ(costs[4].index_bits, 4u * 10u);
}

// cbs_bbs, 6 x 10: bank width 3, banks [0,3) [3,6) [6,9) [9,10).
//   r0: c0=1.0 c2=2.0 | c4=3.0 | - | c9=4.0    banks {0:1.0, 2:2.0} {1:3.0} {} {0:4.0}  depth 2
//   r1: empty                                                                           depth 0
//   r2: c6=5.0 c7=6.0 c8=7.0                  bank 2 {0:5.0, 1:6.0, 2:7.0}              depth 3
//   r3: c3=-1.0                               bank 1 {0:-1.0}                           depth 1
//   r4: c5=0.5                                bank 1 {2:0.5}                            depth 1
//   r5: c1=-2.0 c9=8.0                        bank 0 {1:-2.0} bank 3 {0:8.0}            depth 1
// Segment 0 head lanes 2 0 3 1; segment 1 head 1 1 (rows 6, 7 absent: 0).
const DenseMatrix kRowHand = from_rows(6, 10, {
    1.0f, 0.0f,  2.0f, 0.0f,  3.0f, 0.0f, 0.0f, 0.0f, 0.0f, 4.0f,  // r0
    0.0f, 0.0f,  0.0f, 0.0f,  0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,  // r1
    0.0f, 0.0f,  0.0f, 0.0f,  0.0f, 0.0f, 5.0f, 6.0f, 7.0f, 0.0f,  // r2
    0.0f, 0.0f,  0.0f, -1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,  // r3
    0.0f, 0.0f,  0.0f, 0.0f,  0.0f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f,  // r4
    0.0f, -2.0f, 0.0f, 0.0f,  0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 8.0f,  // r5
});

TEST(PackedMatrix, CbsBbsHandWorked) {
    const PackedMatrix p = round_trip(kRowHand, WeightFormat::cbs_bbs);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x0001'0003'0000'0002ull,                           // seg 0 head
                           0x0000'0000'0001'0000ull, 0x4400'0000'4200'3C00ull,  // r0 t0
                           0x0000'0000'0000'0002ull, 0x0000'0000'0000'4000ull,  // r0 t1
                           0x0000'0000'0000'0000ull, 0x0000'4500'0000'0000ull,  // r2 t0
                           0x0000'0001'0000'0000ull, 0x0000'4600'0000'0000ull,  // r2 t1
                           0x0000'0002'0000'0000ull, 0x0000'4700'0000'0000ull,  // r2 t2
                           0x0000'0000'0000'0000ull, 0x0000'0000'BC00'0000ull,  // r3 t0
                           0x0000'0000'0001'0001ull,                           // seg 1 head
                           0x0000'0000'0002'0000ull, 0x0000'0000'3800'0000ull,  // r4 t0
                           0x0000'0000'0000'0001ull, 0x4800'0000'0000'C000ull,  // r5 t0
                       }));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{13, 5}));
    EXPECT_EQ(slots_of(p, 0, 0), (std::vector<std::uint8_t>{0, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4}));
    EXPECT_EQ(slots_of(p, 1, 13), (std::vector<std::uint8_t>{0, 0, 4, 0, 4}));
    const DecodedSegment d = decode_segment(WeightFormat::cbs_bbs, {}, p.words.data() + 13, 5, 1, 6, 10);
    std::vector<float> want(40, 0.0f);
    want[5] = 0.5f;        // local row 0 = r4
    want[10 + 1] = -2.0f;  // local row 1 = r5
    want[10 + 9] = 8.0f;
    EXPECT_EQ(d.slab, want);
    EXPECT_EQ(d.nonzeros, 3u);
}

// csr of the same 6 x 10 matrix: head lanes = counts; pairs of (columns, values), 4 entries each.
//   r0: 4 entries, cols 0 2 4 9 -> 0x0009'0004'0002'0000, values 0x4400'4200'4000'3C00
//   r2: 3 entries, cols 6 7 8   -> 0x0000'0008'0007'0006, values 0x0000'4700'4600'4500
//   r3: col 3 -> 0x3, value 0xBC00 · r4: col 5, 0x3800 · r5: cols 1 9, values -2.0 8.0
TEST(PackedMatrix, CsrHandWorked) {
    const PackedMatrix p = round_trip(kRowHand, WeightFormat::csr);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x0001'0003'0000'0004ull,                           // seg 0 head
                           0x0009'0004'0002'0000ull, 0x4400'4200'4000'3C00ull,  // r0
                           0x0000'0008'0007'0006ull, 0x0000'4700'4600'4500ull,  // r2
                           0x0000'0000'0000'0003ull, 0x0000'0000'0000'BC00ull,  // r3
                           0x0000'0000'0002'0001ull,                           // seg 1 head
                           0x0000'0000'0000'0005ull, 0x0000'0000'0000'3800ull,  // r4
                           0x0000'0000'0009'0001ull, 0x0000'0000'4800'C000ull,  // r5
                       }));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{7, 5}));
    EXPECT_EQ(slots_of(p, 0, 0), (std::vector<std::uint8_t>{0, 0, 4, 0, 4, 0, 4}));
    // The whole stream: segment 0's slots then segment 1's (head, then two index/value pairs).
    EXPECT_EQ(word_slots(p), (std::vector<std::uint8_t>{0, 0, 4, 0, 4, 0, 4, 0, 0, 4, 0, 4}));
    EXPECT_EQ(value_words(p), 5u);
}

// A csr row of 6 entries takes two pairs; the second is padded with (column 0, value 0).
TEST(PackedMatrix, CsrRowOverSeveralPairs) {
    const DenseMatrix m = from_rows(1, 7, {1.0f, 2.0f, 3.0f, 0.0f, 4.0f, 5.0f, 6.0f});
    const PackedMatrix p = round_trip(m, WeightFormat::csr);
    EXPECT_EQ(p.words, (std::vector<std::uint64_t>{
                           0x6ull, 0x0004'0002'0001'0000ull, 0x4400'4200'4000'3C00ull,
                           0x0000'0000'0006'0005ull, 0x0000'0000'4600'4500ull}));
    EXPECT_EQ(p.segment_words, (std::vector<std::uint16_t>{5}));
}

// ---- round trips -------------------------------------------------------------------

// Random finite non-zero fp16 value (subnormals included).
float random_fp16(std::mt19937& rng) {
    std::uniform_int_distribution<unsigned> magnitude(1, 0x7BFF), sign(0, 1);
    return fp16_to_fp32(static_cast<std::uint16_t>(magnitude(rng) | sign(rng) << 15));
}

DenseMatrix random_matrix(std::size_t rows, std::size_t cols, double zeros, std::mt19937& rng,
                          const std::function<float(std::mt19937&)>& value = random_fp16) {
    DenseMatrix m(rows, cols);
    std::bernoulli_distribution zero(zeros);
    for (float& v : m.values) v = zero(rng) ? 0.0f : value(rng);
    return m;
}

struct Shape {
    std::size_t rows, cols;
};
const Shape kShapes[] = {{1, 1}, {1, 7}, {7, 1}, {5, 3}, {4, 4}, {8, 8}, {9, 13}, {17, 6},
                         {33, 21}, {64, 5}, {3, 40}, {0, 5}, {5, 0}, {0, 0}, {70, 70}};

TEST(PackedMatrix, RoundTripsRandomMatrices) {
    std::mt19937 rng(11);
    for (const Shape& s : kShapes) {
        for (double zeros : {1.0, 0.9, 0.4, 0.0}) {
            const DenseMatrix m = random_matrix(s.rows, s.cols, zeros, rng);
            for (WeightFormat f : kAll) {
                SCOPED_TRACE(std::string(weight_format_name(f)) + " zeros " + std::to_string(zeros));
                round_trip(m, f);
            }
        }
    }
}

TEST(PackedMatrix, RoundTripsFixed12) {
    std::mt19937 rng(12);
    for (int frac : {0, 2, 7, 11, 14, -3}) {
        std::uniform_int_distribution<int> q(-2047, 2047);
        const auto value = [&](std::mt19937& r) {
            int v = q(r);
            if (v == 0) v = 1;
            return std::ldexp(static_cast<float>(v), -frac);
        };
        for (const Shape& s : kShapes) {
            for (double zeros : {1.0, 0.9, 0.4, 0.0}) {
                const DenseMatrix m = random_matrix(s.rows, s.cols, zeros, rng, value);
                PackOptions o;
                o.fixed12 = true;
                o.frac_bits = frac;
                SCOPED_TRACE("frac " + std::to_string(frac));
                const PackedMatrix p = round_trip(m, WeightFormat::csc_ese, o);
                // One word per entry row: words = heads + the depths.
                std::size_t depths = 0;
                for (std::size_t at : offsets_of(p)) {
                    for (std::size_t c = 0; c < 4; ++c) depths += (p.words[at] >> (16 * c)) & 0xFFFF;
                }
                EXPECT_EQ(p.words.size(), p.segment_words.size() + depths);
                // The other formats store the same values as fp16 (all exact for these f).
                for (WeightFormat f : {WeightFormat::esell, WeightFormat::cbs_bbs, WeightFormat::csr})
                    round_trip(m, f, o);
            }
        }
    }
}

// Rows of 260 (gaps over 15 in csc_ese) and long rows (cbs_bbs banks, several csr pairs).
TEST(PackedMatrix, RoundTripsTallAndWide) {
    std::mt19937 rng(13);
    for (const Shape& s : {Shape{261, 3}, Shape{3, 261}, Shape{130, 37}}) {
        for (double zeros : {0.99, 0.9, 0.5}) {
            const DenseMatrix m = random_matrix(s.rows, s.cols, zeros, rng);
            for (WeightFormat f : kAll) round_trip(m, f);
        }
    }
}

TEST(PackedMatrix, NegativeZeroIsAZero) {
    const DenseMatrix pos = from_rows(5, 6, {0, 0, 1.0f, 0, 0, 0, 0, 2.0f, 0, 0, 0, 0, 0, 0, 0,
                                             0, 0, 3.0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4.0f});
    DenseMatrix neg = pos;
    for (float& v : neg.values)
        if (v == 0.0f) v = -0.0f;
    for (WeightFormat f : kAll) {
        const PackedMatrix a = pack(pos, f), b = pack(neg, f);
        EXPECT_EQ(a.words, b.words) << weight_format_name(f);
        EXPECT_EQ(a.segment_words, b.segment_words) << weight_format_name(f);
        expect_same_bits(unpack(b), pos);  // +0.0 back
    }
}

TEST(PackedMatrix, InfinitiesRoundTrip) {
    const float inf = std::numeric_limits<float>::infinity();
    const DenseMatrix m = from_rows(3, 5, {inf, 0, 0, 0, -inf, 0, 1.0f, 0, 0, 0, 0, 0, 0, 65504.0f, 0});
    for (WeightFormat f : kAll) round_trip(m, f);
}

// ---- storage consistency with formats.cpp ------------------------------------------

// PE p's list for a column, as a stream holds it: its entries up to its last non-zero (a list
// never ends with a padding entry; the fillers after it are no entries of the list).
std::uint64_t csc_list_entries(const PackedMatrix& p) {
    std::uint64_t entries = 0;
    for (std::size_t at : offsets_of(p)) {
        const std::uint64_t head = p.words[at];
        std::size_t pos = at + 1;
        for (std::size_t c = 0; c < 4; ++c) {
            const std::size_t d = (head >> (16 * c)) & 0xFFFF;
            std::size_t last[4] = {0, 0, 0, 0};  // 1 + entry row of the last non-zero of PE p
            for (std::size_t g0 = 0; g0 < d; g0 += 4) {
                const std::size_t n = std::min<std::size_t>(4, d - g0);
                for (std::size_t g = 0; g < n; ++g) {
                    const std::uint64_t vw = p.words[pos + 1 + g];
                    for (std::size_t pe = 0; pe < 4; ++pe)
                        if (((vw >> (16 * pe)) & 0x7FFF) != 0) last[pe] = g0 + g + 1;
                }
                pos += 1 + n;
            }
            for (std::size_t pe = 0; pe < 4; ++pe) entries += last[pe];
            EXPECT_EQ(d, *std::max_element(last, last + 4));  // the depth is the longest list
        }
    }
    return entries;
}

TEST(PackedMatrix, CscEseEntriesMatchStorageComparison) {
    std::mt19937 rng(14);
    for (const Shape& s : {Shape{403, 9}, Shape{200, 4}, Shape{64, 17}, Shape{1000, 3}}) {
        for (double zeros : {0.995, 0.97, 0.9, 0.5}) {
            const DenseMatrix m = random_matrix(s.rows, s.cols, zeros, rng);
            const PackedMatrix p = round_trip(m, WeightFormat::csc_ese);
            const std::vector<FormatCost> costs = compare_formats(m);
            ASSERT_EQ(costs[4].name, "ESE-CSC");
            EXPECT_EQ(csc_list_entries(p) * 4, costs[4].index_bits) << s.rows << "x" << s.cols << " " << zeros;
        }
    }
}

// Every PE's list equally long in every column: the entry rows (sum of depths) x 4 PEs are the
// entries formats.cpp counts.
TEST(PackedMatrix, CscEseEqualListsDepthsMatchStorageComparison) {
    std::mt19937 rng(15);
    DenseMatrix m(4 * 90, 6);
    for (std::size_t c = 0; c < m.cols; ++c) {
        std::bernoulli_distribution on(c % 2 ? 0.05 : 0.3);
        for (std::size_t local = 0; local < 90; ++local) {
            if (!on(rng)) continue;
            for (std::size_t pe = 0; pe < 4; ++pe) m.at(4 * local + pe, c) = random_fp16(rng);
        }
    }
    PackOptions o;
    const PackedMatrix p = round_trip(m, WeightFormat::csc_ese, o);
    std::uint64_t depths = 0;
    for (std::size_t at : offsets_of(p)) {
        for (std::size_t c = 0; c < 4; ++c) depths += (p.words[at] >> (16 * c)) & 0xFFFF;
    }
    EXPECT_EQ(4 * depths * 4, compare_formats(m)[4].index_bits);
}

// cbs_bbs stores exactly the entries (K x sum of m_r) of the BBS-CBS row of compare_formats.
TEST(PackedMatrix, CbsBbsEntriesMatchStorageComparison) {
    std::mt19937 rng(16);
    for (const Shape& s : {Shape{37, 45}, Shape{9, 200}, Shape{16, 3}}) {
        for (double zeros : {0.95, 0.6}) {
            const DenseMatrix m = random_matrix(s.rows, s.cols, zeros, rng);
            const PackedMatrix p = round_trip(m, WeightFormat::cbs_bbs);
            const std::size_t value_words = p.words.size() - p.segment_words.size();  // index + value words
            const FormatCost cbs = compare_formats(m)[5];
            ASSERT_EQ(cbs.name, "BBS-CBS");
            EXPECT_EQ(value_words / 2 * 4 * 16, cbs.value_bits);
        }
    }
}

// ---- malformed streams -------------------------------------------------------------

void expect_unpack_error(const PackedMatrix& p, const std::string& expected) {
    expect_error_containing([&] { unpack(p); }, expected);
}

TEST(PackedMatrix, TruncatedStreamsThrow) {
    for (WeightFormat f : kAll) {
        SCOPED_TRACE(weight_format_name(f));
        const DenseMatrix& m = is_column_format(f) ? kCscHand : kRowHand;
        PackedMatrix p = pack(m, f);
        p.words.pop_back();
        expect_unpack_error(p, "word ");
        p.words.clear();
        expect_unpack_error(p, "word 0:");
        // The table adjusted to the truncated stream no longer matches the heads.
        p = pack(m, f);
        p.words.pop_back();
        --p.segment_words.back();
        expect_unpack_error(p, "word ");
        // A segment handed over short.
        p = pack(m, f);
        expect_error_containing(
            [&] { decode_segment(f, {}, p.words.data(), p.segment_words[0] - 1u, 0, m.rows, m.cols); }, "segment 0");
    }
}

TEST(PackedMatrix, WrongWordTablesThrow) {
    for (WeightFormat f : kAll) {
        SCOPED_TRACE(weight_format_name(f));
        const DenseMatrix& m = is_column_format(f) ? kCscHand : kRowHand;
        PackedMatrix p = pack(m, f);
        p.segment_words.push_back(0);
        expect_unpack_error(p, "entries for 2 segments");
        p.segment_words.resize(1);
        expect_unpack_error(p, "entries for 2 segments");

        p = pack(m, f);
        ++p.segment_words[0];
        --p.segment_words[1];
        expect_unpack_error(p, "word ");
        p = pack(m, f);
        p.words.push_back(0);  // a word the table does not count
        expect_unpack_error(p, "word " + std::to_string(p.words.size() - 1) + ":");
    }
    // eSELL: word 0 names the first segment's mismatch.
    PackedMatrix p = pack(kEsellHand, WeightFormat::esell);
    p.segment_words = {2, 3};
    expect_unpack_error(p, "word 0: segment 0 is 3 words by its heads, the word table gives 2");
}

TEST(PackedMatrix, BadDepthsThrow) {
    // csc_ese: depth 4 in a 10-row matrix (3 local rows at most); a depth for column 5 (absent).
    PackedMatrix p = pack(kCscHand, WeightFormat::csc_ese);
    p.words[0] = (p.words[0] & ~0xFFFFull) | 4;
    expect_unpack_error(p, "csc_ese word 0: column 0 has depth 4, more than the 3 local rows");
    p = pack(kCscHand, WeightFormat::csc_ese);
    p.words[9] |= 1ull << 16;
    expect_unpack_error(p, "csc_ese word 9: column 5 is past the 5-column matrix");
    expect_error_containing(
        [&] {
            const WordReader read = [&](std::uint64_t i) { return p.words.at(9 + i); };
            segment_length(WeightFormat::csc_ese, {}, read, 1, 10, 5);
        },
        "segment 1 word 0: column 5");
    // cbs_bbs: depth 4 over bank width 3; a depth for row 6 (absent).
    p = pack(kRowHand, WeightFormat::cbs_bbs);
    p.words[0] = (p.words[0] & ~0xFFFFull) | 4;
    expect_unpack_error(p, "cbs_bbs word 0: row 0 has depth 4, more than the bank width 3");
    p = pack(kRowHand, WeightFormat::cbs_bbs);
    p.words[13] |= 1ull << 32;
    expect_unpack_error(p, "cbs_bbs word 13: row 6 is past the 6-row matrix");
    // csr: 11 entries in a 10-column row.
    p = pack(kRowHand, WeightFormat::csr);
    p.words[0] = (p.words[0] & ~0xFFFFull) | 11;
    expect_unpack_error(p, "csr word 0: row 0 counts 11");
    // esell: chunk width 5.
    p = pack(kEsellHand, WeightFormat::esell);
    p.words[3] = (p.words[3] & ~7ull) | 5;
    expect_unpack_error(p, "esell word 3: chunk width 5");
}

TEST(PackedMatrix, CscEseNonZeroPastTheRowsThrows) {
    // 10 rows: PE 2 has local rows 0, 1. Segment 1's entry lands PE 2 on local row 2 (row 10).
    PackedMatrix p = pack(kCscHand, WeightFormat::csc_ese);
    p.words[10] |= 2ull << 8;            // index of PE 2, entry row 0: skip 2
    p.words[11] |= 0x3C00ull << 32;      // and a value there
    expect_unpack_error(p, "csc_ese word 11: non-zero entry of PE 2 in column 4 lands on local row 2 (matrix row 10)");
    expect_error_containing(
        [&] { decode_segment(WeightFormat::csc_ese, {}, p.words.data() + 9, 3, 1, 10, 5); },
        "csc_ese segment 1 word 2: non-zero entry of PE 2");
    // A padding (zero) entry may go past the rows.
    p = pack(kCscHand, WeightFormat::csc_ese);
    p.words[10] |= 0xFull << 8;
    expect_same_bits(unpack(p), kCscHand);
    // Fixed 12: q = -2048 is out of range.
    PackOptions o;
    o.fixed12 = true;
    o.frac_bits = 2;
    p = pack(kCscHand, WeightFormat::csc_ese, o);
    p.words[7] = 0x800;
    expect_unpack_error(p, "csc_ese word 7: 12-bit value -2048");
}

TEST(PackedMatrix, CbsBbsBadColumnsThrow) {
    // Segment 0, r0 t0 (words 1, 2): bank 3 offset 1 is column 10, past the matrix.
    PackedMatrix p = pack(kRowHand, WeightFormat::cbs_bbs);
    p.words[1] |= 1ull << 48;
    expect_unpack_error(p, "cbs_bbs word 1: row 0, bank 3: in-bank column 1 is past the bank");
    // bank 0 offset 3 (= bank width) would be column 3, in bank 1.
    p = pack(kRowHand, WeightFormat::cbs_bbs);
    p.words[1] |= 3ull;
    expect_unpack_error(p, "cbs_bbs word 1: row 0, bank 0: in-bank column 3");
    // r0 t1 repeats bank 0's column 0 (t0 had column 0, t1 column 2).
    p = pack(kRowHand, WeightFormat::cbs_bbs);
    p.words[3] &= ~0xFFFFull;
    expect_unpack_error(p, "cbs_bbs word 3: row 0, bank 0: column 0 does not follow column 0");
    // Padding entries may hold any index.
    p = pack(kRowHand, WeightFormat::cbs_bbs);
    p.words[3] |= 0xFFFFull << 16;
    expect_same_bits(unpack(p), kRowHand);
}

TEST(PackedMatrix, CsrBadColumnsThrow) {
    // r0's columns 0 2 4 9: make them 0 4 2 9.
    PackedMatrix p = pack(kRowHand, WeightFormat::csr);
    p.words[1] = 0x0009'0002'0004'0000ull;
    expect_unpack_error(p, "csr word 1: entry 2 of row 0: column 2 does not follow column 4");
    p.words[1] = 0x0009'0004'0000'0000ull;  // repeated column 0
    expect_unpack_error(p, "csr word 1: entry 1 of row 0: column 0 does not follow column 0");
    p.words[1] = 0x000A'0004'0002'0000ull;  // column 10 of 10
    expect_unpack_error(p, "csr word 1: entry 3 of row 0: column 10 is past the 10-column matrix");
    // A zero inside the count, a non-zero in padding (r2 has 3 entries: lane 3 is padding).
    p = pack(kRowHand, WeightFormat::csr);
    p.words[2] &= ~0xFFFFull;
    expect_unpack_error(p, "csr word 2: entry 0 of row 0 is zero");
    p = pack(kRowHand, WeightFormat::csr);
    p.words[4] |= 0x3C00ull << 48;
    expect_unpack_error(p, "csr word 4: padding lane 3 of row 2 holds a non-zero value");
    expect_error_containing(
        [&] { decode_segment(WeightFormat::csr, {}, p.words.data(), 7, 0, 6, 10); }, "csr segment 0 word 4:");
}

TEST(PackedMatrix, SegmentCallsCheckTheirArguments) {
    const PackedMatrix p = pack(kCscHand, WeightFormat::csc_ese);
    expect_error_containing([&] { decode_segment(WeightFormat::csc_ese, {}, p.words.data(), 9, 2, 10, 5); },
                            "segment 2 out of range (2 segments)");
    const WordReader read = [&](std::uint64_t i) { return p.words.at(i); };
    expect_error_containing([&] { segment_length(WeightFormat::csc_ese, {}, read, 2, 10, 5); }, "out of range");
}

// ---- values pack refuses -----------------------------------------------------------

TEST(PackedMatrix, PackRejectsUnrepresentableValues) {
    DenseMatrix m(3, 3);
    m.at(1, 2) = 0.1f;  // not an fp16 value
    for (WeightFormat f : kAll)
        expect_error_containing([&] { pack(m, f); }, std::string(weight_format_name(f)) + ": weight (1, 2) = 0.100000001 is not an fp16 value");
    m.at(1, 2) = 1e-9f;  // rounds to fp16 zero
    expect_error_containing([&] { pack(m, WeightFormat::csr); }, "is not an fp16 value");
    m.at(1, 2) = 70000.0f;  // fp16 overflow
    expect_error_containing([&] { pack(m, WeightFormat::cbs_bbs); }, "is not an fp16 value");
    m.at(1, 2) = std::numeric_limits<float>::quiet_NaN();
    expect_error_containing([&] { pack(m, WeightFormat::esell); }, "is NaN");

    PackOptions o;
    o.fixed12 = true;
    o.frac_bits = 3;
    m.at(1, 2) = 0.0625f;  // 0.5 x 2^-3: not an integer q
    expect_error_containing([&] { pack(m, WeightFormat::csc_ese, o); }, "is not 12-bit fixed point");
    m.at(1, 2) = 256.0f;  // q = 2048
    expect_error_containing([&] { pack(m, WeightFormat::csc_ese, o); }, "is not 12-bit fixed point");
    m.at(1, 2) = -255.875f;  // q = -2047: fine
    EXPECT_NO_THROW(pack(m, WeightFormat::csc_ese, o));
    // The other formats also need an fp16 value: q x 2^-30 is not one.
    o.frac_bits = 30;
    m.at(1, 2) = std::ldexp(3.0f, -30);
    expect_error_containing([&] { pack(m, WeightFormat::csr, o); }, "is not an fp16 value");
    EXPECT_NO_THROW(pack(m, WeightFormat::csc_ese, o));
    expect_same_bits(unpack(pack(m, WeightFormat::csc_ese, o)), m);
}

TEST(PackedMatrix, PackRejectsOversizedSegmentsAndShapes) {
    // csr: a column index must fit 16 bits.
    expect_error_containing([] { pack(DenseMatrix(1, 65537), WeightFormat::csr); }, "65537 columns");
    EXPECT_NO_THROW(pack(DenseMatrix(1, 65536), WeightFormat::csr));
    // csr: a full row of 65536 columns counts more than 16 bits hold.
    DenseMatrix full(1, 65536);
    std::fill(full.values.begin(), full.values.end(), 1.0f);
    expect_error_containing([&] { pack(full, WeightFormat::csr); }, "row 0 has 65536 non-zeros");
    // cbs_bbs: bank width over 65536.
    expect_error_containing([] { pack(DenseMatrix(1, 4 * 65536 + 1), WeightFormat::cbs_bbs); }, "bank width 65537");
    // csc_ese: 4 dense columns of 52432 rows: 1 + 4 x (13108 + 3277) words > 65535.
    DenseMatrix tall(52432, 4);
    std::fill(tall.values.begin(), tall.values.end(), 1.0f);
    expect_error_containing([&] { pack(tall, WeightFormat::csc_ese); }, "csc_ese: segment 0 needs 65541 words");
    // A matrix whose values do not match its shape.
    DenseMatrix bad(2, 2);
    bad.values.pop_back();
    expect_error_containing([&] { pack(bad, WeightFormat::csr); }, "holds 3 values");
}

// ---- robustness --------------------------------------------------------------------

// Flipped bits: unpack either throws elstm::Error or returns a matrix that every segment decoder
// agrees with and that packs again.
TEST(PackedMatrix, CorruptedStreamsThrowOrDecodeConsistently) {
    std::mt19937 rng(17);
    for (WeightFormat f : kAll) {
        for (bool fixed : {false, true}) {
            if (fixed && f != WeightFormat::csc_ese) continue;
            PackOptions o;
            o.fixed12 = fixed;
            o.frac_bits = 4;
            std::uniform_int_distribution<int> q(-2047, 2047);
            const auto value = [&](std::mt19937& r) {
                const int v = q(r);
                return fixed ? std::ldexp(static_cast<float>(v ? v : 1), -4) : random_fp16(r);
            };
            const DenseMatrix m = random_matrix(37, 23, 0.8, rng, value);
            const PackedMatrix good = pack(m, f, o);
            std::size_t accepted = 0;
            for (int trial = 0; trial < 3000; ++trial) {
                PackedMatrix p = good;
                std::uniform_int_distribution<std::size_t> word(0, p.words.size() - 1);
                std::uniform_int_distribution<unsigned> bit(0, 63);
                for (int k = trial % 3; k >= 0; --k) p.words[word(rng)] ^= 1ull << bit(rng);
                DenseMatrix back;
                try {
                    back = unpack(p);
                } catch (const Error&) {
                    continue;
                }
                ++accepted;
                if (std::any_of(back.values.begin(), back.values.end(), [](float v) { return std::isnan(v); }))
                    continue;  // an fp16 NaN decodes, but pack refuses NaN weights
                check_consistent(p, back);
                expect_same_bits(unpack(pack(back, f, o)), back);
                if (HasFatalFailure() || HasNonfatalFailure()) return;
            }
            EXPECT_GT(accepted, 0u) << weight_format_name(f);  // value flips decode fine
        }
    }
}

}  // namespace
}  // namespace elstm
