#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include <elstm_vp/numeric/esell.hpp>

// Sparse products computed straight from packed eSELL words, walking them the way the
// hardware does: block column by block column, head word then value words, results
// accumulated into the rows named by IDX_row.
namespace elstm::esell {

struct WalkStats {
    std::uint64_t words_read = 0;          // head + value words actually walked
    std::uint64_t block_cols_skipped = 0;  // pruned block columns jumped over via the table
    std::uint64_t macs = 0;                // non-zero multiply-accumulates
};

// Accumulates one block column (`count` words starting at `words`) into y:
// y[row] += value * x[4*block_col + col]. `rows`/`cols` are the logical matrix shape; x has
// `cols` elements, y has `rows`. Returns the MACs done. Throws elstm::Error on a malformed
// block (same checks as decode()).
std::uint64_t accumulate_block_column(const std::uint64_t* words, std::size_t count, std::size_t block_col,
                                      std::size_t rows, std::size_t cols, const float* x, float* y);

// accumulate_block_column for nvec vectors at once: ys[v] += block column · xs[v]. Each block
// is decoded (and checked) once and applied to every vector, as the SpMV PEs fusing several
// time steps share one W stream. Returns the MACs of ONE vector (the block column's non-zeros),
// so the result does not depend on nvec. Throws like accumulate_block_column; ys may then
// hold partial sums.
std::uint64_t accumulate_block_column_multi(const std::uint64_t* words, std::size_t count,
                                            std::size_t block_col, std::size_t rows, std::size_t cols,
                                            const float* const* xs, float* const* ys, std::size_t nvec);

// y = E·x (y is overwritten; rows elements). Each y[r] sums its terms in ascending column
// order from 0.0f, like dense_matvec, so the result is bit-identical to the dense product of the
// same fp16 weights for finite x (up to the sign of a zero result).
WalkStats spmv(const EsellMatrix& e, const float* x, float* y);

// ys[v] = E·xs[v] for v < nvec, walking the stream once; ys[v] equals spmv(e, xs[v], ys[v])
// bit for bit. Stats count one walk (macs for one vector).
WalkStats spmv_multi(const EsellMatrix& e, const float* const* xs, float* const* ys, std::size_t nvec);

// y = E·x where block column j takes part only if keep[j]; skipped block columns are never
// read, their offset is advanced by the word-count table.
WalkStats spmspv(const EsellMatrix& e, const float* x, const std::vector<bool>& keep, float* y);

}  // namespace elstm::esell
