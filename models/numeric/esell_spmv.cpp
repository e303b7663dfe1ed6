#include <elstm_vp/numeric/esell_spmv.hpp>

#include <algorithm>
#include <array>
#include <string>

#include <elstm_vp/numeric/error.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace elstm::esell {
namespace {

// Blocks decoded per reader call.
constexpr std::size_t kBatch = 16;

// A chunk's rows and x layouts, read from its head once for every vector it is applied to.
struct ChunkFields {
    std::array<unsigned, kChunkHeight> row;
    std::array<unsigned, kChunkHeight / 2> code_pair;  // rows 0,1 and 2,3
};

inline ChunkFields fields_of(const DecodedChunk& chunk) {
    ChunkFields f;
    for (std::size_t j = 0; j < kChunkHeight; ++j) f.row[j] = chunk.row(j);
    for (std::size_t k = 0; k < f.code_pair.size(); ++k) f.code_pair[k] = chunk_code_pair(chunk.head, k);
    return f;
}

// Adds one chunk into yb, the 8 y elements of its block row. Chunk row j takes its 4 slots in
// packed order, which is ascending column order, into its running sum: the order dense_matvec
// adds in. Padding slots add ±0, which changes a sum at most in the sign of a zero.
#if defined(__SSE2__)
// The 4 chunk rows run side by side in the 4 lanes.
inline void apply_chunk(const DecodedChunk& chunk, const ChunkFields& f, const PackedX& xp, float* yb) {
    const auto& x01 = xp[f.code_pair[0]];
    const auto& x23 = xp[f.code_pair[1]];
    const auto x_of_slot = [&](std::size_t t) {  // lane j: the x slot (t, j) multiplies
        const __m128 low = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x01[t].data())));
        return _mm_loadh_pi(low, reinterpret_cast<const __m64*>(x23[t].data()));
    };
    __m128 acc = _mm_setr_ps(yb[f.row[0]], yb[f.row[1]], yb[f.row[2]], yb[f.row[3]]);
    for (std::size_t t = 0; t < kBlockColWidth; ++t)
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_load_ps(chunk.value[t].data()), x_of_slot(t)));
    std::array<float, kChunkHeight> sums;
    _mm_storeu_ps(sums.data(), acc);
    for (std::size_t j = 0; j < kChunkHeight; ++j) yb[f.row[j]] = sums[j];
}
#else
inline void apply_chunk(const DecodedChunk& chunk, const ChunkFields& f, const PackedX& xp, float* yb) {
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        float acc = yb[f.row[j]];
        for (std::size_t t = 0; t < kBlockColWidth; ++t)
            acc += chunk.value[t][j] * xp[f.code_pair[j / 2]][t][j % 2];
        yb[f.row[j]] = acc;
    }
}
#endif

// The last block of a matrix whose rows are not a multiple of 8 goes through a scratch copy, so
// its padding rows (all zero, the reader checked) are never written past y's end.
void apply_partial(const DecodedBlock& block, const PackedX& xg, float* yb, std::size_t height) {
    std::array<float, kBlockHeight> scratch{};
    std::copy_n(yb, height, scratch.begin());
    for (const DecodedChunk& chunk : block.chunk) apply_chunk(chunk, fields_of(chunk), xg, scratch.data());
    std::copy_n(scratch.begin(), height, yb);
}

// Applies one block to every vector, reading each chunk's fields once.
inline void apply_block(const DecodedBlock& block, const PackedX* xg, float* const* ys, std::size_t nvec,
                        std::size_t rows) {
    const std::size_t row0 = block.block_row * kBlockHeight;
    if (rows - row0 < kBlockHeight) {
        for (std::size_t v = 0; v < nvec; ++v) apply_partial(block, xg[v], ys[v] + row0, rows - row0);
        return;
    }
    for (const DecodedChunk& chunk : block.chunk) {
        const ChunkFields fields = fields_of(chunk);
        for (std::size_t v = 0; v < nvec; ++v) apply_chunk(chunk, fields, xg[v], ys[v] + row0);
    }
}

// accumulate_block_column_multi with error messages naming stream indices (words[0] is `first_word`).
std::uint64_t accumulate(const std::uint64_t* words, std::size_t count, std::size_t first_word,
                         std::size_t block_col, std::size_t rows, std::size_t cols, const float* const* xs,
                         float* const* ys, std::size_t nvec) {
    std::vector<PackedX> xg(nvec);
    for (std::size_t v = 0; v < nvec; ++v) gather_x(xs[v], block_col, cols, xg[v]);
    BlockColumnReader reader(words, count, first_word, block_col, rows, cols);
    std::array<DecodedBlock, kBatch> blocks;
    std::uint64_t macs = 0;
    while (const std::size_t n = reader.read(blocks.data(), blocks.size())) {
        for (std::size_t k = 0; k < n; ++k) {
            apply_block(blocks[k], xg.data(), ys, nvec, rows);
            macs += blocks[k].nonzeros;
        }
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
