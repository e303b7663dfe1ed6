#include "numeric/esell_spmv.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "numeric/error.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace elstm::esell {
namespace {

#if defined(__SSE2__)
// One chunk with its 4 rows in the 4 lanes: lane j takes y[row j], then adds slot (0, j) .. (3, j),
// so the 4 row sums run side by side, each in its own column order.
void apply_chunk(const DecodedChunk& chunk, const PackedX& xg, float* yb) {
    __m128 x0 = _mm_loadu_ps(xg[chunk.code[0]].data());
    __m128 x1 = _mm_loadu_ps(xg[chunk.code[1]].data());
    __m128 x2 = _mm_loadu_ps(xg[chunk.code[2]].data());
    __m128 x3 = _mm_loadu_ps(xg[chunk.code[3]].data());
    _MM_TRANSPOSE4_PS(x0, x1, x2, x3);  // x_t: lane j = the x of slot (t, j)
    __m128 acc = _mm_setr_ps(yb[chunk.row[0]], yb[chunk.row[1]], yb[chunk.row[2]], yb[chunk.row[3]]);
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(chunk.value[0].data()), x0));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(chunk.value[1].data()), x1));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(chunk.value[2].data()), x2));
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(chunk.value[3].data()), x3));
    std::array<float, kChunkHeight> sums;
    _mm_storeu_ps(sums.data(), acc);
    for (std::size_t j = 0; j < kChunkHeight; ++j) yb[chunk.row[j]] = sums[j];
}
#else
void apply_chunk(const DecodedChunk& chunk, const PackedX& xg, float* yb) {
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        const auto& xr = xg[chunk.code[j]];
        float acc = yb[chunk.row[j]];
        for (std::size_t t = 0; t < kBlockColWidth; ++t) acc += chunk.value[t][j] * xr[t];
        yb[chunk.row[j]] = acc;
    }
}
#endif

// Adds one decoded block into yb, the 8 y elements of its block row. Each chunk row takes its
// 4 slots in packed order, which is ascending column order, into its running sum: the order
// dense_matvec adds in. Padding slots add ±0, which changes a sum at most in the sign of a zero.
void apply_block(const DecodedBlock& block, const PackedX& xg, float* yb) {
    for (const DecodedChunk& chunk : block.chunk) apply_chunk(chunk, xg, yb);
}

// The last block of a matrix whose rows are not a multiple of 8 goes through a scratch copy,
// so its padding rows (all zero, the reader checked) are never written past y's end.
void apply(const DecodedBlock& block, const PackedX& xg, float* y, std::size_t rows) {
    const std::size_t row0 = block.block_row * kBlockHeight;
    if (rows - row0 >= kBlockHeight) {
        apply_block(block, xg, y + row0);
        return;
    }
    std::array<float, kBlockHeight> scratch{};
    std::copy(y + row0, y + rows, scratch.begin());
    apply_block(block, xg, scratch.data());
    std::copy_n(scratch.begin(), rows - row0, y + row0);
}

// accumulate_block_column_multi with error messages naming stream indices (words[0] is `first_word`).
std::uint64_t accumulate(const std::uint64_t* words, std::size_t count, std::size_t first_word,
                         std::size_t block_col, std::size_t rows, std::size_t cols, const float* const* xs,
                         float* const* ys, std::size_t nvec) {
    std::vector<PackedX> xg(nvec);
    for (std::size_t v = 0; v < nvec; ++v) gather_x(xs[v], block_col, cols, xg[v]);
    BlockColumnReader reader(words, count, first_word, block_col, rows, cols);
    DecodedBlock block;
    std::uint64_t macs = 0;
    while (reader.next(block)) {
        for (std::size_t v = 0; v < nvec; ++v) apply(block, xg[v], ys[v], rows);
        macs += block.nonzeros;
    }
    return macs;
}

// ys[v] = E·xs[v] over the block columns j with keep(j); the others are jumped over unread.
template <class Keep>
WalkStats walk(const EsellMatrix& e, const float* const* xs, float* const* ys, std::size_t nvec, Keep keep) {
    e.check_word_table();
    for (std::size_t v = 0; v < nvec; ++v) std::fill_n(ys[v], e.rows, 0.0f);
    WalkStats stats;
    std::size_t offset = 0;  // the table is what lets a pruned block column be jumped over unread
    for (std::size_t j = 0; j < e.block_cols(); ++j) {
        const std::size_t count = e.block_col_words[j];
        if (keep(j)) {
            stats.macs += accumulate(e.words.data() + offset, count, offset, j, e.rows, e.cols, xs, ys, nvec);
            stats.words_read += count;
        } else {
            ++stats.block_cols_skipped;
        }
        offset += count;
    }
    return stats;
}

bool keep_all(std::size_t) { return true; }

}  // namespace

std::uint64_t accumulate_block_column(const std::uint64_t* words, std::size_t count, std::size_t block_col,
                                      std::size_t rows, std::size_t cols, const float* x, float* y) {
    return accumulate(words, count, 0, block_col, rows, cols, &x, &y, 1);
}

std::uint64_t accumulate_block_column_multi(const std::uint64_t* words, std::size_t count,
                                            std::size_t block_col, std::size_t rows, std::size_t cols,
                                            const float* const* xs, float* const* ys, std::size_t nvec) {
    return accumulate(words, count, 0, block_col, rows, cols, xs, ys, nvec);
}

WalkStats spmv(const EsellMatrix& e, const float* x, float* y) { return walk(e, &x, &y, 1, keep_all); }

WalkStats spmv_multi(const EsellMatrix& e, const float* const* xs, float* const* ys, std::size_t nvec) {
    return walk(e, xs, ys, nvec, keep_all);
}

WalkStats spmspv(const EsellMatrix& e, const float* x, const std::vector<bool>& keep, float* y) {
    if (keep.size() != e.block_cols()) {
        throw Error("SpMSpV keep mask has " + std::to_string(keep.size()) + " entries for " +
                    std::to_string(e.block_cols()) + " block columns");
    }
    return walk(e, &x, &y, 1, [&keep](std::size_t j) { return keep[j]; });
}

}  // namespace elstm::esell
