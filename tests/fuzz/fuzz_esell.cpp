// libFuzzer target: the eSELL decoder and the SpMV kernels walking arbitrary 64-bit words.
//
// Input layout (everything past the end of the input reads as zero):
//   byte 0      flags: bit 0 wide shape (rows, cols as 16-bit values, else one byte each,
//               modulo 65); bits 1-2 word-table mode (0: one byte per entry, 1: two bytes per
//               entry, 2 and 3: derived by walking the chunk heads, so that the table mostly
//               agrees with the stream and the fuzzer gets past the table checks); bits 4-5 the
//               number of vectors for the multi-vector kernels minus 1
//   byte 1      keep mask of spmspv (block column j is kept when bit j % 8 is set)
//   shape       rows, cols
//   table       one entry per block column (modes 0 and 1 only)
//   the rest    64-bit little-endian words (a trailing partial word is dropped)
//
// Every kernel may throw elstm::Error; anything else (another exception, a sanitizer report,
// a result that differs from the dense product of the decoded matrix) is a finding.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_input.hpp"
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/esell_spmv.hpp>
#include <elstm_vp/numeric/matrix.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>

namespace {

using namespace elstm;
using namespace elstm::esell;

using fuzz::Reader;

[[noreturn]] void finding(const char* what) { fuzz::finding("fuzz_esell", what); }

bool same(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// x values that make every product count: small, distinct, finite.
std::vector<float> make_x(std::size_t n, unsigned salt) {
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(static_cast<int>((i * 7 + salt) % 11) - 5) * 0.25f;
    return x;
}

// The table mode 2/3: walk each block column's heads as the decoder would, so the entries
// add up to the words the blocks take (clamped to what is left of the stream).
std::vector<std::uint16_t> derived_table(const std::vector<std::uint64_t>& words, std::size_t block_rows,
                                         std::size_t block_cols) {
    std::vector<std::uint16_t> table;
    std::size_t pos = 0;
    for (std::size_t j = 0; j < block_cols; ++j) {
        const std::size_t start = pos;
        for (std::size_t b = 0; b < block_rows && pos < words.size(); ++b) {
            const std::uint64_t head = words[pos];
            pos += 1 + chunk_width(static_cast<std::uint32_t>(head)) + chunk_width(static_cast<std::uint32_t>(head >> 32));
        }
        if (j + 1 == block_cols) pos = words.size();  // the last block column takes the rest
        pos = std::min(pos, words.size());
        table.push_back(static_cast<std::uint16_t>(std::min<std::size_t>(pos - start, 0xFFFF)));
    }
    return table;
}

template <class F>
void expect_error(const char* what, F&& f) {
    try {
        f();
    } catch (const Error&) {
        return;
    }
    finding(what);
}

bool all_finite(const DenseMatrix& m) {
    for (const float v : m.values)
        if (!std::isfinite(v)) return false;
    return true;
}

void whole_matrix(const EsellMatrix& e, unsigned nvec, unsigned keep_bits) {
    try {
        e.check_word_table();
    } catch (const Error&) {
        // A rejected table: every whole-matrix kernel must refuse the stream before it touches
        // x or y, so it gets none (a null pointer; a write through it is a crash).
        std::vector<const float*> xs(nvec, nullptr);
        std::vector<float*> ys(nvec, nullptr);
        expect_error("nonzeros accepted a bad word table", [&] { (void)e.nonzeros(); });
        expect_error("decode accepted a bad word table", [&] { (void)decode(e); });
        expect_error("spmv accepted a bad word table", [&] { spmv(e, nullptr, nullptr); });
        expect_error("spmv_multi accepted a bad word table", [&] { spmv_multi(e, xs.data(), ys.data(), nvec); });
        if (e.block_cols() <= (1u << 16)) {
            expect_error("spmspv accepted a bad word table",
                         [&] { spmspv(e, nullptr, std::vector<bool>(e.block_cols(), true), nullptr); });
        }
        return;
    }
    // The table holds a head word per block, so rows x cols is at most 32 x the stream's words,
    // unless there are no rows: then only the table's size bounds the block columns, and the
    // kernels' per-block-column work (gathering x) would slow the fuzzer down to a crawl.
    if (e.rows == 0 && e.block_cols() > 1024) {
        try {
            (void)e.nonzeros();
            (void)decode(e);
        } catch (const Error&) {
        }
        return;
    }
    const std::vector<float> x = make_x(e.cols, 1);
    std::vector<float> y(e.rows);
    DenseMatrix dense;
    bool decoded = false;
    try {
        const std::size_t nonzeros = e.nonzeros();
        dense = decode(e);
        decoded = true;
        if (dense.nonzeros() > nonzeros) finding("decode found more non-zeros than nonzeros() counts");
    } catch (const Error&) {
    }
    try {
        spmv(e, x.data(), y.data());
        if (!decoded) finding("spmv accepted a stream that decode rejects");
        // The kernels add in the dense product's order, so for finite weights the results agree.
        if (all_finite(dense)) {
            std::vector<float> ref(e.rows);
            dense_matvec(dense, x.data(), ref.data());
            for (std::size_t r = 0; r < e.rows; ++r)
                if (!same(y[r], ref[r])) finding("spmv differs from the dense product of the decoded matrix");
        }
    } catch (const Error&) {
        if (decoded) finding("spmv rejects a stream that decode accepts");
    }
    // Re-encoding the decoded matrix gives back the same matrix.
    if (decoded && all_finite(dense) && !(decode(encode(dense)) == dense))
        finding("decode(encode(decode(e))) != decode(e)");
    try {
        std::vector<std::vector<float>> xs, ys(nvec, std::vector<float>(e.rows));
        std::vector<const float*> xp;
        std::vector<float*> yp;
        for (unsigned v = 0; v < nvec; ++v) xs.push_back(make_x(e.cols, v + 1));
        for (unsigned v = 0; v < nvec; ++v) {
            xp.push_back(xs[v].data());
            yp.push_back(ys[v].data());
        }
        spmv_multi(e, xp.data(), yp.data(), nvec);
        if (!decoded) finding("spmv_multi accepted a stream that decode rejects");
        for (std::size_t r = 0; r < e.rows; ++r)
            if (!same(ys[0][r], y[r])) finding("spmv_multi differs from spmv");
    } catch (const Error&) {
        if (decoded) finding("spmv_multi rejects a stream that decode accepts");
    }
    try {
        std::vector<bool> keep(e.block_cols());
        for (std::size_t j = 0; j < keep.size(); ++j) keep[j] = (keep_bits >> (j % 8)) & 1u;
        spmspv(e, x.data(), keep, y.data());
    } catch (const Error&) {
    }
    expect_error("spmspv accepted a keep mask of the wrong size",
                 [&] { spmspv(e, x.data(), std::vector<bool>(e.block_cols() + 1, true), y.data()); });
}

// The block-column kernels on their own, each block column in a buffer of exactly its words so
// that a read past `count` is a heap overflow.
void block_columns(const EsellMatrix& e, unsigned nvec) {
    const std::vector<float> x = make_x(e.cols, 3);
    std::vector<float> y(e.rows), y2(e.rows);
    std::vector<std::vector<float>> ys(nvec, std::vector<float>(e.rows));
    std::vector<const float*> xs(nvec, x.data());
    std::vector<float*> yp;
    for (auto& v : ys) yp.push_back(v.data());
    bool all_ok = true;  // a block column that throws may leave partial sums in y
    std::size_t offset = 0;
    for (std::size_t j = 0; j <= e.block_col_words.size(); ++j) {
        // One block column past the table too: it reads as a block column past the matrix.
        const std::size_t want = j < e.block_col_words.size() ? e.block_col_words[j] : e.words.size() - offset;
        const std::size_t count = std::min(want, e.words.size() - offset);
        const std::vector<std::uint64_t> own(e.words.begin() + static_cast<std::ptrdiff_t>(offset),
                                             e.words.begin() + static_cast<std::ptrdiff_t>(offset + count));
        const std::uint64_t* words = own.empty() ? nullptr : own.data();
        std::uint64_t macs = 0;
        bool ok = false;
        try {
            macs = accumulate_block_column(words, count, j, e.rows, e.cols, x.data(), y.data());
            ok = true;
        } catch (const Error&) {
            all_ok = false;
        }
        if (j < e.block_col_words.size()) {
            // The decoder the simulator's PEs use (via the decode cache) against the kernel.
            try {
                const DecodedSegment d = decode_segment(WeightFormat::esell, {}, words, count, j, e.rows, e.cols);
                if (!ok) finding("decode_segment accepted a block column accumulate_block_column rejects");
                if (d.nonzeros != macs) finding("decode_segment and accumulate_block_column count different non-zeros");
                for (std::size_t c = 0; c < kBlockColWidth && kBlockColWidth * j + c < e.cols; ++c)
                    for (std::size_t r = 0; r < e.rows; ++r)
                        y2[r] += d.slab[c * e.rows + r] * x[kBlockColWidth * j + c];
            } catch (const Error&) {
                if (ok) finding("decode_segment rejects a block column accumulate_block_column accepts");
            }
        }
        try {
            accumulate_block_column_multi(words, count, j, e.rows, e.cols, xs.data(), yp.data(), nvec);
        } catch (const Error&) {
        }
        offset += count;
    }
    for (std::size_t r = 0; all_ok && r < e.rows; ++r)
        if (!same(y[r], y2[r])) finding("the decoded segments multiply differently from accumulate_block_column");
}

// The small helpers on the same bytes: heads, column codes, the packed table and bias.
void helpers(const std::vector<std::uint64_t>& words, std::size_t entries) {
    for (const std::uint64_t w : words) {
        for (const std::uint32_t bits : {static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(w >> 32)}) {
            const ChunkHead head = unpack_chunk_head(bits);
            try {
                if (pack_chunk_head(head) != (bits & 0x7FFFFFFu)) finding("pack_chunk_head(unpack_chunk_head(b)) != b");
            } catch (const Error&) {
                if (head.width <= kBlockColWidth) finding("pack_chunk_head refused an unpacked head");
            }
            (void)decode_column(bits & 7u, (bits >> 3) & 15u);
            try {
                (void)encode_columns(bits & 31u);
            } catch (const Error&) {
            }
        }
    }
    try {
        const std::vector<std::uint16_t> table = unpack_word_table(words, entries);
        const std::vector<std::uint64_t> again = pack_word_table(table);
        if (unpack_word_table(again, entries) != table) finding("word table does not round-trip");
    } catch (const Error&) {
    }
    try {
        (void)unpack_bias(words, entries);
    } catch (const Error&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    const unsigned flags = static_cast<unsigned>(in.take(1));
    const unsigned keep_bits = static_cast<unsigned>(in.take(1));
    const unsigned nvec = 1 + ((flags >> 4) & 3u);
    EsellMatrix e;
    if (flags & 1u) {
        e.rows = in.take(2);
        e.cols = in.take(2);
    } else {
        e.rows = in.take(1) % 65;
        e.cols = in.take(1) % 65;
    }
    const unsigned table_mode = (flags >> 1) & 3u;
    if (table_mode < 2) {
        for (std::size_t j = 0; j < e.block_cols(); ++j)
            e.block_col_words.push_back(static_cast<std::uint16_t>(in.take(table_mode == 0 ? 1 : 2)));
    }
    e.words = in.words();
    if (table_mode >= 2) e.block_col_words = derived_table(e.words, e.block_rows(), e.block_cols());

    // The whole-matrix walks bound a wide shape by the stream before they allocate; the
    // block-column kernels get x and y of the shape up front, so only up to 256 x 256.
    whole_matrix(e, nvec, keep_bits);
    if (e.rows <= 256 && e.cols <= 256) block_columns(e, nvec);
    helpers(e.words, e.block_col_words.size());
    return 0;
}
