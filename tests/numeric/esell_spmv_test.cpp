#include <elstm_vp/numeric/esell_spmv.hpp>

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
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/matrix.hpp>

namespace elstm::esell {
namespace {

// The hand-worked block of esell_test.cpp: one 8x4 block, 14 non-zeros, 6 words
// (head + 4 value words of chunk 0 + 1 of chunk 1).
DenseMatrix hand_block() {
    DenseMatrix m(8, 4);
    // clang-format off
    m.values = {
        0.0f, 0.0f, 0.0f, 3.0f,
        1.0f, 0.0f, -2.0f, 0.5f,
        0.0f, 0.0f, 0.0f, 0.0f,
        2.0f, -1.0f, 4.0f, 0.25f,
        0.0f, 1.5f, 0.0f, -0.5f,
        0.0f, 0.0f, 5.0f, 0.0f,
        6.0f, 0.0f, 0.0f, 7.0f,
        0.0f, 8.0f, 0.0f, 0.0f,
    };
    // clang-format on
    return m;
}
// hand_block() · (1, 2, 3, 4), row by row:
//   r0: 3·4 = 12            r1: 1 - 2·3 + 0.5·4 = -3   r2: 0   r3: 2 - 2 + 4·3 + 0.25·4 = 13
//   r4: 1.5·2 - 0.5·4 = 1   r5: 5·3 = 15               r6: 6 + 7·4 = 34   r7: 8·2 = 16
const std::vector<float> kHandX = {1.0f, 2.0f, 3.0f, 4.0f};
const std::vector<float> kHandY = {12.0f, -3.0f, 0.0f, 13.0f, 1.0f, 15.0f, 34.0f, 16.0f};

// hand_block() in columns 0..3 plus 1.0 at (0, 4): block column 1 is a head word and one
// value word, so the table is {6, 2}.
DenseMatrix hand_two_block_cols() {
    const DenseMatrix block = hand_block();
    DenseMatrix m(8, 8);
    for (std::size_t r = 0; r < 8; ++r) {
        for (std::size_t c = 0; c < 4; ++c) m.at(r, c) = block.at(r, c);
    }
    m.at(0, 4) = 1.0f;
    return m;
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(EsellSpmv, HandBlock) {
    const EsellMatrix e = encode(hand_block());
    std::vector<float> y(8, kNaN);  // y is overwritten, not accumulated into
    const WalkStats stats = spmv(e, kHandX.data(), y.data());
    EXPECT_EQ(y, kHandY);
    EXPECT_EQ(stats.words_read, 6u);
    EXPECT_EQ(stats.macs, 14u);
    EXPECT_EQ(stats.block_cols_skipped, 0u);
}

TEST(EsellSpmv, AccumulateBlockColumnAddsIntoY) {
    const EsellMatrix e = encode(hand_two_block_cols());
    const std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f, 10.0f, 0.0f, 0.0f, 0.0f};
    std::vector<float> y(8, 1.0f);
    EXPECT_EQ(accumulate_block_column(e.words.data(), 6, 0, 8, 8, x.data(), y.data()), 14u);
    for (std::size_t r = 0; r < 8; ++r) EXPECT_EQ(y[r], kHandY[r] + 1.0f) << r;
    EXPECT_EQ(accumulate_block_column(e.words.data() + 6, 2, 1, 8, 8, x.data(), y.data()), 1u);
    EXPECT_EQ(y[0], 12.0f + 1.0f + 10.0f);  // 1.0 · x[4]
}

TEST(EsellSpmv, HandSpmspvCountsWordsAndSkips) {
    const EsellMatrix e = encode(hand_two_block_cols());
    ASSERT_EQ(e.block_col_words, (std::vector<std::uint16_t>{6, 2}));
    const std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f, 10.0f, 0.0f, 0.0f, 0.0f};
    std::vector<float> y(8, kNaN);

    WalkStats s = spmspv(e, x.data(), {true, true}, y.data());
    EXPECT_EQ(y[0], 22.0f);
    EXPECT_EQ(s.words_read, 8u);
    EXPECT_EQ(s.macs, 15u);
    EXPECT_EQ(s.block_cols_skipped, 0u);

    s = spmspv(e, x.data(), {true, false}, y.data());
    EXPECT_EQ(y, kHandY);
    EXPECT_EQ(s.words_read, 6u);
    EXPECT_EQ(s.macs, 14u);
    EXPECT_EQ(s.block_cols_skipped, 1u);

    s = spmspv(e, x.data(), {false, true}, y.data());
    EXPECT_EQ(y, (std::vector<float>{10.0f, 0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(s.words_read, 2u);
    EXPECT_EQ(s.macs, 1u);
    EXPECT_EQ(s.block_cols_skipped, 1u);

    s = spmspv(e, x.data(), {false, false}, y.data());
    EXPECT_EQ(y, std::vector<float>(8, 0.0f));
    EXPECT_EQ(s.words_read, 0u);
    EXPECT_EQ(s.macs, 0u);
    EXPECT_EQ(s.block_cols_skipped, 2u);
}

struct Case {
    DenseMatrix w;  // fp16-representable
    std::vector<float> x;
};

// Integer weights in [-8, 8] and x in [-8, 8]: every product and partial sum (|sum| <= 40·64)
// is an integer below 2^24, so fp32 computes it exactly in any order.
Case integer_case(std::mt19937& rng) {
    std::uniform_int_distribution<std::size_t> dim(1, 40);
    std::uniform_int_distribution<int> small(-8, 8);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    Case c{DenseMatrix(dim(rng), dim(rng)), {}};
    const double density = unit(rng);
    for (float& v : c.w.values) v = unit(rng) < density ? static_cast<float>(small(rng)) : 0.0f;
    for (std::size_t k = 0; k < c.w.cols; ++k) c.x.push_back(static_cast<float>(small(rng)));
    return c;
}

Case float_case(std::mt19937& rng) {
    std::uniform_int_distribution<std::size_t> dim(1, 40);
    std::uniform_real_distribution<float> value(-4.0f, 4.0f);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    Case c{DenseMatrix(dim(rng), dim(rng)), {}};
    const double density = unit(rng);
    for (float& v : c.w.values) v = unit(rng) < density ? value(rng) : 0.0f;
    c.w = rounded_to_fp16(c.w);
    for (std::size_t k = 0; k < c.w.cols; ++k) c.x.push_back(value(rng));
    return c;
}

std::vector<float> dense_product(const DenseMatrix& w, const std::vector<float>& x) {
    std::vector<float> y(w.rows);
    dense_matvec(w, x.data(), y.data());
    return y;
}

// A float's bits with -0 taken as +0: eSELL skips the zero weights dense_matvec multiplies, and
// adding w·x = ±0 can only flip the sign of a zero sum, so results are compared up to that.
std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
    std::vector<std::uint32_t> out(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) {
        const float f = v[k] == 0.0f ? 0.0f : v[k];
        std::memcpy(&out[k], &f, sizeof f);
    }
    return out;
}

// A value whose magnitude spans many binades, so that the order of a sum decides its rounding.
float wide_value(std::mt19937& rng) {
    std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
    std::uniform_int_distribution<int> exponent(-12, 12);
    return std::ldexp(mantissa(rng), exponent(rng));
}

// Random fp16 weights at the given zero fraction and a random x; the shapes cover full and
// partial blocks (rows % 8, cols % 4) and several block rows and columns.
Case wide_case(std::mt19937& rng, std::size_t rows, std::size_t cols, double sparsity) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    Case c{DenseMatrix(rows, cols), {}};
    for (float& v : c.w.values) v = unit(rng) < sparsity ? 0.0f : wide_value(rng);
    c.w = rounded_to_fp16(c.w);
    for (std::size_t k = 0; k < cols; ++k) c.x.push_back(wide_value(rng));
    return c;
}

constexpr std::size_t kShapes[][2] = {{1, 1},   {8, 4},   {7, 3},    {9, 5},   {16, 8},
                                      {23, 13}, {40, 37}, {67, 130}, {203, 61}};
constexpr double kSparsities[] = {0.0, 0.1, 0.3, 0.5, 0.7, 0.9};

// The simulator's golden check relies on this: each y[r] sums its terms in ascending column order
// from 0, as dense_matvec does, so eSELL SpMV is the dense product of the same fp16 weights bit
// for bit.
TEST(EsellSpmv, BitIdenticalToDense) {
    std::mt19937 rng(7);
    for (const auto& shape : kShapes) {
        for (const double sparsity : kSparsities) {
            for (int trial = 0; trial < 4; ++trial) {
                const Case c = wide_case(rng, shape[0], shape[1], sparsity);
                std::vector<float> y(c.w.rows, kNaN);
                spmv(encode(c.w), c.x.data(), y.data());
                EXPECT_EQ(bits_of(y), bits_of(dense_product(c.w, c.x)))
                    << shape[0] << "x" << shape[1] << " sparsity " << sparsity << " trial " << trial;
            }
        }
    }
}

TEST(EsellSpmv, SpmspvBitIdenticalToDenseWithPrunedBlocksZeroed) {
    std::mt19937 rng(23);
    std::bernoulli_distribution coin(0.5);
    for (const auto& shape : kShapes) {
        for (const double sparsity : kSparsities) {
            const Case c = wide_case(rng, shape[0], shape[1], sparsity);
            const EsellMatrix e = encode(c.w);
            std::vector<bool> keep(e.block_cols());
            std::vector<float> x_kept = c.x;
            for (std::size_t j = 0; j < keep.size(); ++j) {
                keep[j] = coin(rng);
                for (std::size_t col = 4 * j; col < std::min(4 * j + 4, c.w.cols); ++col) {
                    if (!keep[j]) x_kept[col] = 0.0f;
                }
            }
            std::vector<float> y(c.w.rows, kNaN);
            spmspv(e, c.x.data(), keep, y.data());
            EXPECT_EQ(bits_of(y), bits_of(dense_product(c.w, x_kept)))
                << shape[0] << "x" << shape[1] << " sparsity " << sparsity;
        }
    }
}

// nvec vectors of x, and as many y buffers filled with NaN, for the multi-vector kernels.
struct Vectors {
    std::vector<std::vector<float>> x, y;
    std::vector<const float*> xs;
    std::vector<float*> ys;

    Vectors(std::mt19937& rng, std::size_t nvec, std::size_t cols, std::size_t rows)
        : x(nvec), y(nvec, std::vector<float>(rows, kNaN)) {
        for (std::size_t v = 0; v < nvec; ++v) {
            for (std::size_t k = 0; k < cols; ++k) x[v].push_back(wide_value(rng));
            xs.push_back(x[v].data());
            ys.push_back(y[v].data());
        }
    }
};

std::vector<std::uint32_t> raw_bits(const std::vector<float>& v) {
    std::vector<std::uint32_t> out(v.size());
    std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
    return out;
}

// Applying one walk to many vectors changes nothing for any of them, not even a zero's sign.
TEST(EsellSpmv, SpmvMultiEqualsSpmvPerVector) {
    std::mt19937 rng(29);
    for (const auto& shape : kShapes) {
        for (const std::size_t nvec : {std::size_t{1}, std::size_t{3}, std::size_t{6}, std::size_t{16}}) {
            const Case c = wide_case(rng, shape[0], shape[1], 0.4);
            const EsellMatrix e = encode(c.w);
            Vectors vs(rng, nvec, c.w.cols, c.w.rows);
            const WalkStats multi = spmv_multi(e, vs.xs.data(), vs.ys.data(), nvec);
            for (std::size_t v = 0; v < nvec; ++v) {
                std::vector<float> y(c.w.rows, kNaN);
                const WalkStats one = spmv(e, vs.xs[v], y.data());
                EXPECT_EQ(raw_bits(vs.y[v]), raw_bits(y)) << shape[0] << "x" << shape[1] << " vector " << v;
                EXPECT_EQ(multi.macs, one.macs);
                EXPECT_EQ(multi.words_read, one.words_read);
            }
        }
    }
}

TEST(EsellSpmv, AccumulateBlockColumnMultiAddsEachVector) {
    const EsellMatrix e = encode(hand_two_block_cols());
    const std::vector<float> x0 = {1.0f, 2.0f, 3.0f, 4.0f, 10.0f, 0.0f, 0.0f, 0.0f};
    const std::vector<float> x1 = {2.0f, 4.0f, 6.0f, 8.0f, -1.0f, 0.0f, 0.0f, 0.0f};
    std::vector<float> y0(8, 1.0f), y1(8, 0.0f);
    const float* xs[] = {x0.data(), x1.data()};
    float* ys[] = {y0.data(), y1.data()};
    // MACs count one vector: the block column's non-zeros, whatever nvec is.
    EXPECT_EQ(accumulate_block_column_multi(e.words.data(), 6, 0, 8, 8, xs, ys, 2), 14u);
    for (std::size_t r = 0; r < 8; ++r) {
        EXPECT_EQ(y0[r], kHandY[r] + 1.0f) << r;
        EXPECT_EQ(y1[r], 2.0f * kHandY[r]) << r;
    }
    EXPECT_EQ(accumulate_block_column_multi(e.words.data() + 6, 2, 1, 8, 8, xs, ys, 2), 1u);
    EXPECT_EQ(y0[0], 12.0f + 1.0f + 10.0f);
    EXPECT_EQ(y1[0], 24.0f - 1.0f);
    EXPECT_EQ(accumulate_block_column_multi(e.words.data() + 6, 2, 1, 8, 8, xs, ys, 0), 1u);
}

TEST(EsellSpmv, MultiRejectsMalformedStreamsNamingTheWord) {
    EsellMatrix e = encode(hand_two_block_cols());
    e.words[6] |= 1ull << 15;  // block column 1's head: IDX_row not a permutation
    std::mt19937 rng(31);
    Vectors vs(rng, 3, e.cols, e.rows);
    EXPECT_NE(error_of([&] { spmv_multi(e, vs.xs.data(), vs.ys.data(), 3); }).find("word 6:"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  accumulate_block_column_multi(e.words.data() + 6, 2, 1, 8, 8, vs.xs.data(), vs.ys.data(),
                                                3);
              }).find("word 0:"),
              std::string::npos);
}

// The reader widens fp16 without fp16_to_fp32; every one of the 65536 patterns must come out with
// the same bits (NaN payloads, infinities, subnormals, both zeros). One block column per 16
// patterns: chunk 0 holds rows 0..3 at EIDX_col 0 (4 columns) with 4 value words.
TEST(EsellSpmv, EveryFp16PatternWidensExactly) {
    constexpr std::size_t kPatterns = 1u << 16;
    EsellMatrix e;
    e.rows = 8;
    e.cols = kPatterns / 4;
    const std::uint64_t head = 0x07D60000'03440004ull;  // IDX_row j = j, chunk 0 CHK_w 4, chunk 1 empty
    for (std::size_t p = 0; p < kPatterns; p += 16) {
        e.words.push_back(head);
        for (std::size_t t = 0; t < 4; ++t) {
            std::uint64_t word = 0;
            for (std::size_t j = 0; j < 4; ++j) word |= static_cast<std::uint64_t>(p + 4 * t + j) << (16 * j);
            e.words.push_back(word);
        }
        e.block_col_words.push_back(5);
    }
    const DenseMatrix m = decode(e);
    for (std::size_t p = 0; p < kPatterns; ++p) {
        // Pattern p sits in block column p / 16, value word t (column t), chunk row j (row j).
        const std::size_t t = p / 4 % 4, j = p % 4;
        const float got = m.at(j, p / 16 * 4 + t);
        const float want = (p & 0x7FFFu) == 0 ? 0.0f : fp16_to_fp32(static_cast<std::uint16_t>(p));
        std::uint32_t got_bits, want_bits;
        std::memcpy(&got_bits, &got, sizeof got);
        std::memcpy(&want_bits, &want, sizeof want);
        ASSERT_EQ(got_bits, want_bits) << "fp16 pattern " << p;
    }
}

TEST(EsellSpmv, ExactOnIntegerValues) {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 200; ++trial) {
        const Case c = integer_case(rng);
        const EsellMatrix e = encode(c.w);
        std::vector<float> y(c.w.rows, kNaN);
        const WalkStats s = spmv(e, c.x.data(), y.data());
        EXPECT_EQ(y, dense_product(c.w, c.x)) << "trial " << trial;
        EXPECT_EQ(s.words_read, e.words.size());
        EXPECT_EQ(s.macs, c.w.nonzeros());
        EXPECT_EQ(s.block_cols_skipped, 0u);
    }
}

TEST(EsellSpmv, SpmspvEqualsDenseWithPrunedBlocksZeroed) {
    std::mt19937 rng(13);
    std::bernoulli_distribution coin(0.5);
    for (int trial = 0; trial < 200; ++trial) {
        const Case c = integer_case(rng);
        const EsellMatrix e = encode(c.w);
        std::vector<bool> keep(e.block_cols());
        for (std::size_t j = 0; j < keep.size(); ++j) keep[j] = coin(rng);

        // Expected results from the matrix and the table alone.
        std::vector<float> x_kept = c.x;
        WalkStats want;
        for (std::size_t j = 0; j < keep.size(); ++j) {
            for (std::size_t col = 4 * j; col < std::min(4 * j + 4, c.w.cols); ++col) {
                if (!keep[j]) x_kept[col] = 0.0f;
                for (std::size_t r = 0; r < c.w.rows; ++r) want.macs += keep[j] && c.w.at(r, col) != 0.0f;
            }
            want.words_read += keep[j] ? e.block_col_words[j] : 0;
            want.block_cols_skipped += keep[j] ? 0 : 1;
        }

        std::vector<float> y(c.w.rows, kNaN);
        const WalkStats s = spmspv(e, c.x.data(), keep, y.data());
        EXPECT_EQ(y, dense_product(c.w, x_kept)) << "trial " << trial;
        EXPECT_EQ(s.words_read, want.words_read);
        EXPECT_EQ(s.macs, want.macs);
        EXPECT_EQ(s.block_cols_skipped, want.block_cols_skipped);

        std::vector<float> y_all(c.w.rows, kNaN);
        const WalkStats all = spmspv(e, c.x.data(), std::vector<bool>(keep.size(), true), y_all.data());
        std::vector<float> y_spmv(c.w.rows, kNaN);
        const WalkStats plain = spmv(e, c.x.data(), y_spmv.data());
        EXPECT_EQ(y_all, y_spmv);
        EXPECT_EQ(all.words_read, plain.words_read);
        EXPECT_EQ(all.macs, plain.macs);
    }
}

TEST(EsellSpmv, AllPrunedReadsNothing) {
    std::mt19937 rng(17);
    const Case c = float_case(rng);
    const EsellMatrix e = encode(c.w);
    std::vector<float> y(c.w.rows, kNaN);
    const WalkStats s = spmspv(e, c.x.data(), std::vector<bool>(e.block_cols(), false), y.data());
    EXPECT_EQ(y, std::vector<float>(c.w.rows, 0.0f));
    EXPECT_EQ(s.words_read, 0u);
    EXPECT_EQ(s.macs, 0u);
    EXPECT_EQ(s.block_cols_skipped, e.block_cols());
}

TEST(EsellSpmv, PrunedBlockColumnIsNeverRead) {
    EsellMatrix e = encode(hand_two_block_cols());
    e.words[6] |= 0x7;  // block column 1's head now says CHK_w = 7+: reading it must fail
    const std::vector<float> x(8, 1.0f);
    std::vector<float> y(8);
    EXPECT_NO_THROW(spmspv(e, x.data(), {true, false}, y.data()));
    EXPECT_THROW(spmspv(e, x.data(), {true, true}, y.data()), Error);
}

TEST(EsellSpmv, KeepMustCoverEveryBlockColumn) {
    const EsellMatrix e = encode(hand_two_block_cols());
    const std::vector<float> x(8, 1.0f);
    std::vector<float> y(8);
    EXPECT_THROW(spmspv(e, x.data(), {true}, y.data()), Error);
    EXPECT_THROW(spmspv(e, x.data(), {true, true, true}, y.data()), Error);
}

TEST(EsellSpmv, MalformedStreamErrorsNameTheWord) {
    EsellMatrix e = encode(hand_two_block_cols());
    const std::vector<float> x(8, 1.0f);
    std::vector<float> y(8);
    e.words[6] |= 1ull << 15;  // block column 1's head: IDX_row of chunk 0 row 0 from 0 to 1, twice 1
    EXPECT_NE(error_of([&] { spmv(e, x.data(), y.data()); }).find("word 6:"), std::string::npos);
    // accumulate_block_column counts words from the pointer it is given.
    EXPECT_NE(error_of([&] {
                  accumulate_block_column(e.words.data() + 6, 2, 1, 8, 8, x.data(), y.data());
              }).find("word 0:"),
              std::string::npos);
    e.block_col_words = {6, 3};  // table says 9 words, stream has 8
    EXPECT_NE(error_of([&] { spmv(e, x.data(), y.data()); }).find("word 8:"), std::string::npos);
}

// Random bit flips in the words, the table and the shape: decode and spmv share one reader, so
// they must accept or reject each stream alike, and never read outside it (checked under ASan).
// When accepted, integer weights make spmv exactly the dense product of what decode returned.
TEST(EsellSpmv, CorruptStreamsAreRejectedAlike) {
    std::mt19937 rng(19);
    std::uniform_int_distribution<int> bit(0, 63);
    int rejected = 0;
    for (int trial = 0; trial < 2000; ++trial) {
        const Case c = integer_case(rng);
        EsellMatrix e = encode(c.w);
        const int flips = 1 + trial % 3;
        for (int f = 0; f < flips; ++f) {
            switch (rng() % 4) {
                case 0:
                case 1:
                    e.words[rng() % e.words.size()] ^= 1ull << bit(rng);
                    break;
                case 2:
                    e.block_col_words[rng() % e.block_col_words.size()] ^= 1u << (bit(rng) % 16);
                    break;
                default:
                    e.rows ^= 1u << (bit(rng) % 5);
                    break;
            }
        }
        std::vector<float> x(e.cols, 1.0f);
        std::vector<float> y(e.rows);
        bool decoded = true;
        DenseMatrix d;
        try {
            d = decode(e);
        } catch (const Error&) {
            decoded = false;
            ++rejected;
        }
        if (!decoded) {
            EXPECT_THROW(spmv(e, x.data(), y.data()), Error) << "trial " << trial;
            continue;
        }
        spmv(e, x.data(), y.data());
        EXPECT_EQ(y, dense_product(d, x)) << "trial " << trial;
    }
    EXPECT_GT(rejected, 500);  // the checks do fire on most corruptions
}

}  // namespace
}  // namespace elstm::esell
