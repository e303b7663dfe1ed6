#include <elstm_vp/numeric/esell.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>

namespace elstm::esell {
namespace {

constexpr unsigned kValueBits = 16;
constexpr std::size_t kMaxBlockColWords = std::numeric_limits<std::uint16_t>::max();
constexpr unsigned kAllBlockRows = (1u << kBlockHeight) - 1u;  // IDX_row permutation check

// EIDX_col by column mask (bit c = column c), docs/design.md §2.
constexpr std::uint8_t kEncodeTable[16] = {0, 0, 4, 0, 6, 2, 4, 0, 7, 3, 5, 1, 6, 2, 4, 0};
// Column of the i-th packed value by EIDX_col, -1 where the spec defines none.
constexpr std::int8_t kDecodeTable[kBlockColWidth][8] = {
    {0, 0, 0, 0, 1, 1, 2, 3},
    {1, 1, 2, 3, 2, 3, 3, -1},
    {2, 3, 3, -1, 3, -1, -1, -1},
    {3, -1, -1, -1, -1, -1, -1, -1},
};

// Slot (t, j) of a chunk, the t-th packed value of chunk row j, is bit kChunkHeight*t + j of
// a slot mask. kSlotsInRange[w][code]: the slots t of row 0 with EIDX_col `code` whose column
// is defined and below w, the matrix columns the block column really has (shift by j for row j).
constexpr std::array<std::array<std::uint16_t, 8>, kBlockColWidth + 1> slots_in_range() {
    std::array<std::array<std::uint16_t, 8>, kBlockColWidth + 1> table{};
    for (std::size_t w = 0; w <= kBlockColWidth; ++w) {
        for (unsigned code = 0; code < 8; ++code) {
            for (unsigned t = 0; t < kBlockColWidth; ++t) {
                const int c = kDecodeTable[t][code];
                if (c >= 0 && static_cast<std::size_t>(c) < w) table[w][code] |= 1u << (kChunkHeight * t);
            }
        }
    }
    return table;
}
constexpr auto kSlotsInRange = slots_in_range();

// Either sign of fp16 zero: never stored, and the only legal padding value.
bool is_zero(std::uint16_t bits) { return (bits & 0x7FFFu) == 0; }

std::string str(std::size_t n) { return std::to_string(n); }

[[noreturn]] void fail_at(std::size_t word, const std::string& what) {
    throw Error("eSELL word " + str(word) + ": " + what);
}

// ---- encoding ----------------------------------------------------------------------

// The 8 rows x 4 columns of one block as fp16, each row's non-zeros packed left.
struct BlockRows {
    std::array<std::array<std::uint16_t, kBlockColWidth>, kBlockHeight> packed{};
    std::array<unsigned, kBlockHeight> mask{};   // columns holding a non-zero
    std::array<unsigned, kBlockHeight> count{};  // non-zeros of the row
};

BlockRows gather_block(const DenseMatrix& m, std::size_t block_row, std::size_t block_col) {
    BlockRows b;
    const std::size_t row0 = block_row * kBlockHeight;
    const std::size_t col0 = block_col * kBlockColWidth;
    // Rows and columns past the matrix stay zero: that is the padding.
    const std::size_t height = std::min(kBlockHeight, m.rows - row0);
    const std::size_t width = std::min(kBlockColWidth, m.cols - col0);
    for (std::size_t r = 0; r < height; ++r) {
        for (std::size_t c = 0; c < width; ++c) {
            const std::uint16_t bits = fp32_to_fp16(m.at(row0 + r, col0 + c));
            if (is_zero(bits)) continue;
            b.packed[r][b.count[r]++] = bits;
            b.mask[r] |= 1u << c;
        }
    }
    return b;
}

// Sorted row r -> original row: descending non-zero count, ties keep their order.
std::array<std::uint8_t, kBlockHeight> sort_rows(const BlockRows& b) {
    std::array<std::uint8_t, kBlockHeight> order{};
    std::size_t n = 0;
    for (unsigned k = kBlockColWidth + 1; k-- > 0;) {
        for (std::size_t r = 0; r < kBlockHeight; ++r) {
            if (b.count[r] == k) order[n++] = static_cast<std::uint8_t>(r);
        }
    }
    return order;
}

ChunkHead chunk_head(const BlockRows& b, const std::uint8_t* rows) {
    ChunkHead head;
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        head.row[j] = rows[j];
        head.eidx[j] = encode_columns(b.mask[rows[j]]);
        head.width = std::max(head.width, b.count[rows[j]]);
    }
    return head;
}

void append_block(const DenseMatrix& m, std::size_t block_row, std::size_t block_col,
                  std::vector<std::uint64_t>& out) {
    const BlockRows b = gather_block(m, block_row, block_col);
    const auto order = sort_rows(b);
    std::array<ChunkHead, kChunksPerBlock> heads;
    for (std::size_t c = 0; c < kChunksPerBlock; ++c) heads[c] = chunk_head(b, &order[c * kChunkHeight]);

    out.push_back(pack_chunk_head(heads[0]) | static_cast<std::uint64_t>(pack_chunk_head(heads[1])) << 32);
    for (const ChunkHead& head : heads) {
        for (unsigned t = 0; t < head.width; ++t) {
            std::uint64_t word = 0;
            for (std::size_t j = 0; j < kChunkHeight; ++j) {
                word |= static_cast<std::uint64_t>(b.packed[head.row[j]][t]) << (kValueBits * j);
            }
            out.push_back(word);
        }
    }
}

// ---- decoding ----------------------------------------------------------------------

constexpr unsigned kChunkFieldBits = kFieldBits * kChunkHeight;  // one 3-bit field per chunk row
constexpr unsigned kChunkFieldMask = (1u << kChunkFieldBits) - 1u;

// Matrix columns that block column `block_col` really has, 0..4 (0 past the matrix).
std::size_t columns_in(std::size_t block_col, std::size_t cols) {
    const std::size_t block_cols = cols / kBlockColWidth + (cols % kBlockColWidth != 0);
    if (block_col >= block_cols) return 0;
    return std::min(kBlockColWidth, cols - block_col * kBlockColWidth);
}

// Where a block sits in the matrix, for turning block coordinates into matrix ones.
struct BlockPlace {
    std::size_t row0;
    std::size_t col0;
    std::size_t rows;  // matrix shape
    std::size_t cols;
    std::size_t rows_here;  // matrix rows in this block, 1..8
    std::size_t cols_here;  // matrix columns in this block column, 0..4
};

unsigned code_fields(std::uint32_t chunk) { return (chunk >> kEidxShift) & kChunkFieldMask; }
unsigned row_fields(std::uint32_t chunk) { return (chunk >> kRowShift) & kChunkFieldMask; }

// Block rows named by a chunk's four IDX_row fields: the permutation check is two look-ups.
constexpr auto kRowsNamed = [] {
    std::array<std::uint8_t, 1u << kChunkFieldBits> table{};
    for (unsigned f = 0; f < table.size(); ++f) {
        for (unsigned j = 0; j < kChunkHeight; ++j) table[f] |= 1u << ((f >> (kFieldBits * j)) & kFieldMask);
    }
    return table;
}();

// Legal slots of a chunk by its four EIDX_col fields, in a block column 4 matrix columns wide.
constexpr auto kLegalFullWidth = [] {
    std::array<std::uint16_t, 1u << kChunkFieldBits> table{};
    for (unsigned f = 0; f < table.size(); ++f) {
        for (unsigned j = 0; j < kChunkHeight; ++j)
            table[f] |= kSlotsInRange[kBlockColWidth][(f >> (kFieldBits * j)) & kFieldMask] << j;
    }
    return table;
}();

// Slots where a chunk may hold a non-zero: a defined column inside the matrix, a row inside it.
// Only the last block column and block row can be narrower than 4 columns / 8 rows.
inline unsigned legal_slots(std::uint32_t chunk, const BlockPlace& place) {
    unsigned legal = 0;
    if (place.cols_here == kBlockColWidth) {
        legal = kLegalFullWidth[code_fields(chunk)];
    } else {
        for (std::size_t j = 0; j < kChunkHeight; ++j)
            legal |= static_cast<unsigned>(kSlotsInRange[place.cols_here][chunk_code(chunk, j)]) << j;
    }
    if (place.rows_here < kBlockHeight) {
        for (std::size_t j = 0; j < kChunkHeight; ++j) {
            if (chunk_row(chunk, j) >= place.rows_here) legal &= ~(0x1111u << j);  // all slots of row j
        }
    }
    return legal;
}

// The failures of a block head, kept out of line so that the checks inline into the hot loop.
[[noreturn]] void fail_width(std::size_t at, std::size_t chunk, unsigned width) {
    fail_at(at, "chunk " + str(chunk) + " width " + str(width) + " exceeds " + str(kBlockColWidth));
}
[[noreturn]] void fail_permutation(std::size_t at) {
    fail_at(at, "IDX_row of the block is not a permutation of rows 0..7");
}

inline void check_heads(const std::array<std::uint32_t, kChunksPerBlock>& chunks, std::size_t at) {
    for (std::size_t c = 0; c < kChunksPerBlock; ++c) {
        if (chunk_width(chunks[c]) > kBlockColWidth) fail_width(at, c, chunk_width(chunks[c]));
    }
    if ((kRowsNamed[row_fields(chunks[0])] | kRowsNamed[row_fields(chunks[1])]) != kAllBlockRows)
        fail_permutation(at);
}

// Set bits of a 16-bit slot mask, by byte.
constexpr auto kBitCount = [] {
    std::array<std::uint8_t, 256> table{};
    for (unsigned n = 1; n < table.size(); ++n) table[n] = static_cast<std::uint8_t>(table[n / 2] + n % 2);
    return table;
}();
inline unsigned count_slots(unsigned slots) { return kBitCount[slots & 0xFFu] + kBitCount[slots >> 8]; }

// A chunk's 4 value words, those past its width zero: slot 4t+j (value word t, chunk row j) is
// the fp16 in bits 16j..16j+15 of word t. Widths vary at random, so all 4 words are always
// decoded instead of branching on the width.
using ChunkValues = std::array<std::array<float, kChunkHeight>, kBlockColWidth>;

#if defined(__SSE2__)
// Words 0,1 and 2,3 as two registers of 8 fp16 lanes each.
struct ChunkWords {
    __m128i pair[2];
};

// The width words copied into zeros, for the last chunks of a buffer, where loading 4 words
// would read past its end.
ChunkWords load_words_at_end(const std::uint64_t* words, unsigned width) {
    alignas(16) std::array<std::uint64_t, kBlockColWidth> copy{};
    std::copy_n(words, width, copy.begin());
    const auto* p = reinterpret_cast<const __m128i*>(copy.data());
    return {{_mm_load_si128(p), _mm_load_si128(p + 1)}};
}

// `avail` words from `words` lie inside the buffer (at least `width`).
inline ChunkWords load_words(const std::uint64_t* words, unsigned width, std::size_t avail) {
    alignas(16) static constexpr std::uint64_t kKeep[kBlockColWidth + 1][kBlockColWidth] = {
        {0, 0, 0, 0},
        {~0ull, 0, 0, 0},
        {~0ull, ~0ull, 0, 0},
        {~0ull, ~0ull, ~0ull, 0},
        {~0ull, ~0ull, ~0ull, ~0ull}};
    if (avail < kBlockColWidth) return load_words_at_end(words, width);
    const auto* p = reinterpret_cast<const __m128i*>(words);
    const auto* keep = reinterpret_cast<const __m128i*>(kKeep[width]);
    return {{_mm_and_si128(_mm_loadu_si128(p), _mm_load_si128(keep)),
             _mm_and_si128(_mm_loadu_si128(p + 1), _mm_load_si128(keep + 1))}};
}

inline __m128i magnitude_of(__m128i h) { return _mm_and_si128(h, _mm_set1_epi16(0x7FFF)); }

// Slots holding a non-zero; either sign of zero is a zero.
inline unsigned nonzero_slots(const ChunkWords& w) {
    const __m128i zero = _mm_setzero_si128();
    const __m128i z01 = _mm_cmpeq_epi16(magnitude_of(w.pair[0]), zero);
    const __m128i z23 = _mm_cmpeq_epi16(magnitude_of(w.pair[1]), zero);
    return ~static_cast<unsigned>(_mm_movemask_epi8(_mm_packs_epi16(z01, z23))) & 0xFFFFu;
}

// fp16 -> fp32 of 8 lanes, exactly as fp16_to_fp32. An fp16 magnitude shifted into an fp32 is
// 2^-112 times its value for zero, subnormals and normals alike, so one multiply rebiases it
// (fp16 subnormals pass through fp32 denormals: exact unless the FPU treats denormal inputs as
// zero, which only -ffast-math style startup code would ask for); inf and NaN then come out with
// exponent 143 and their payload, and or-ing in exponent 255 fixes them. The sign and that
// exponent are merged at 16 bits and widened with one unpack.
inline void widen_pair(__m128i h, float* out) {
    const __m128i zero = _mm_setzero_si128();
    const __m128i magnitude = magnitude_of(h);
    const __m128i special = _mm_cmpgt_epi16(magnitude, _mm_set1_epi16(0x7BFF));
    const __m128i high =
        _mm_or_si128(_mm_xor_si128(h, magnitude), _mm_and_si128(special, _mm_set1_epi16(0x7F80)));
    const __m128 rebias = _mm_set1_ps(0x1p112f);
    const auto half = [&rebias](__m128i magnitude32, __m128i high32) {  // 16-bit lanes at the top of 32
        const __m128 finite = _mm_mul_ps(_mm_castsi128_ps(_mm_srli_epi32(magnitude32, 3)), rebias);
        return _mm_or_ps(finite, _mm_castsi128_ps(high32));
    };
    _mm_storeu_ps(out, half(_mm_unpacklo_epi16(zero, magnitude), _mm_unpacklo_epi16(zero, high)));
    _mm_storeu_ps(out + kChunkHeight,
                  half(_mm_unpackhi_epi16(zero, magnitude), _mm_unpackhi_epi16(zero, high)));
}

inline void widen(const ChunkWords& w, ChunkValues& out) {
    widen_pair(w.pair[0], out[0].data());
    widen_pair(w.pair[1], out[2].data());
}
#else
using ChunkWords = std::array<std::uint64_t, kBlockColWidth>;

inline ChunkWords load_words(const std::uint64_t* words, unsigned width, std::size_t) {
    ChunkWords w{};
    std::copy_n(words, width, w.begin());
    return w;
}

std::uint16_t slot_bits(const ChunkWords& w, std::size_t t, std::size_t j) {
    return static_cast<std::uint16_t>(w[t] >> (kValueBits * j));
}

inline unsigned nonzero_slots(const ChunkWords& w) {
    unsigned slots = 0;
    for (std::size_t t = 0; t < kBlockColWidth; ++t) {
        for (std::size_t j = 0; j < kChunkHeight; ++j)
            slots |= static_cast<unsigned>(!is_zero(slot_bits(w, t, j))) << (kChunkHeight * t + j);
    }
    return slots;
}

inline void widen(const ChunkWords& w, ChunkValues& out) {
    for (std::size_t t = 0; t < kBlockColWidth; ++t) {
        for (std::size_t j = 0; j < kChunkHeight; ++j) out[t][j] = fp16_to_fp32(slot_bits(w, t, j));
    }
}
#endif

// Names the first misplaced non-zero value of a chunk: at an undefined packed position, or in
// padding. `at` is the stream index of the chunk's first value word.
[[noreturn]] void fail_slots(std::size_t at, unsigned bad_slots, std::uint32_t chunk, BlockPlace place) {
    unsigned slot = 0;
    while (((bad_slots >> slot) & 1u) == 0) ++slot;
    const unsigned t = slot / kChunkHeight;
    const std::size_t j = slot % kChunkHeight;
    const unsigned code = chunk_code(chunk, j);
    const int c = kDecodeTable[t][code];
    if (c < 0) {
        fail_at(at + t, "non-zero value of chunk row " + str(j) + " at packed position " + str(t) +
                            ", where EIDX_col " + str(code) + " defines no column");
    }
    fail_at(at + t, "non-zero value at padding row " + str(place.row0 + chunk_row(chunk, j)) + ", column " +
                        str(place.col0 + static_cast<std::size_t>(c)) + " of a " + str(place.rows) + "x" +
                        str(place.cols) + " matrix");
}

// Decodes one chunk whose value words start at `words` (stream index `at`), `avail` of them inside
// the buffer; returns its non-zeros.
inline std::size_t read_chunk(std::uint32_t chunk, const std::uint64_t* words, std::size_t avail,
                              std::size_t at, const BlockPlace& place, DecodedChunk& out) {
    const ChunkWords w = load_words(words, chunk_width(chunk), avail);
    const unsigned stored = nonzero_slots(w);
    if (const unsigned bad = stored & ~legal_slots(chunk, place); bad != 0) fail_slots(at, bad, chunk, place);
    out.head = chunk;
    widen(w, out.value);
    return count_slots(stored);
}

// The failures of a block column, out of line like those of a head.
[[noreturn]] void fail_missing_head(std::size_t at, std::size_t block_col, std::size_t count,
                                    std::size_t block) {
    fail_at(at, "block column " + str(block_col) + " (" + str(count) +
                    " words) ends before the head of block " + str(block));
}
[[noreturn]] void fail_past_end(std::size_t at, std::size_t value_words, std::size_t block_col,
                                std::size_t count) {
    fail_at(at, "block needs " + str(value_words) + " value words, past the end of block column " +
                    str(block_col) + " (" + str(count) + " words)");
}
[[noreturn]] void fail_leftover(std::size_t at, std::size_t block_col, std::size_t count) {
    fail_at(at, "block column " + str(block_col) + " ends here but the word table gives it " + str(count) +
                    " words");
}

// Calls f(block, block_col) for every block of a matrix whose table was checked.
template <class F>
void for_each_block(const EsellMatrix& e, F&& f) {
    std::array<DecodedBlock, 16> blocks;  // one reader call per 16 blocks
    std::size_t offset = 0;
    for (std::size_t j = 0; j < e.block_cols(); ++j) {
        BlockColumnReader reader(e.words.data() + offset, e.block_col_words[j], offset, j, e.rows, e.cols);
        while (const std::size_t n = reader.read(blocks.data(), blocks.size())) {
            for (std::size_t k = 0; k < n; ++k) f(blocks[k], j);
        }
        offset += e.block_col_words[j];
    }
}

}  // namespace

std::uint32_t pack_chunk_head(const ChunkHead& head) {
    if (head.width > kBlockColWidth) throw Error("eSELL chunk width " + str(head.width) + " exceeds 4");
    std::uint32_t bits = head.width;
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        if (head.eidx[j] > kFieldMask || head.row[j] > kFieldMask) {
            throw Error("eSELL chunk head field of row " + str(j) + " does not fit 3 bits");
        }
        bits |= static_cast<std::uint32_t>(head.eidx[j]) << (kEidxShift + kFieldBits * j);
        bits |= static_cast<std::uint32_t>(head.row[j]) << (kRowShift + kFieldBits * j);
    }
    return bits;
}

ChunkHead unpack_chunk_head(std::uint32_t bits) {
    ChunkHead head;
    head.width = chunk_width(bits);
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        head.eidx[j] = static_cast<std::uint8_t>(chunk_code(bits, j));
        head.row[j] = static_cast<std::uint8_t>(chunk_row(bits, j));
    }
    return head;
}

std::uint8_t encode_columns(unsigned mask) {
    if (mask >= std::size(kEncodeTable))
        throw Error("eSELL column mask " + str(mask) + " has more than 4 columns");
    return kEncodeTable[mask];
}

int decode_column(unsigned i, unsigned code) {
    if (i >= kBlockColWidth || code > kFieldMask) return -1;
    return kDecodeTable[i][code];
}

std::size_t EsellMatrix::nonzeros() const {
    check_word_table();
    std::size_t n = 0;
    for_each_block(*this, [&n](const DecodedBlock& block, std::size_t) { n += block.nonzeros; });
    return n;
}

void EsellMatrix::check_word_table() const {
    // Bounds the shape so block_rows()/block_cols() cannot wrap; the table bounds it further.
    constexpr std::size_t kMaxDim = std::numeric_limits<std::uint32_t>::max();
    if (rows > kMaxDim || cols > kMaxDim)
        throw Error("eSELL shape " + str(rows) + "x" + str(cols) + " out of range");
    if (block_col_words.size() != block_cols()) {
        throw Error("eSELL word table has " + str(block_col_words.size()) + " entries for " +
                    str(block_cols()) + " block columns");
    }
    std::size_t total = 0;
    for (std::size_t j = 0; j < block_col_words.size(); ++j) {
        // Every block has a head word, so this also bounds the shape by the stream length.
        if (block_col_words[j] < block_rows()) {
            fail_at(total, "word table gives block column " + str(j) + " " + str(block_col_words[j]) +
                               " words, fewer than its " + str(block_rows()) + " block heads");
        }
        total += block_col_words[j];
    }
    if (total != words.size()) {
        fail_at(std::min(total, words.size()),
                "word table counts " + str(total) + " words, the stream has " + str(words.size()));
    }
}

BlockColumnReader::BlockColumnReader(const std::uint64_t* words, std::size_t count, std::size_t first_word,
                                     std::size_t block_col, std::size_t rows, std::size_t cols)
    : words_(words),
      count_(count),
      first_word_(first_word),
      block_col_(block_col),
      rows_(rows),
      cols_(cols),
      block_rows_(rows / kBlockHeight + (rows % kBlockHeight != 0)),
      cols_here_(columns_in(block_col, cols)) {}

std::size_t BlockColumnReader::read(DecodedBlock* out, std::size_t max) {
    // Everything the loop uses lives in locals: the stores into `out` could alias members, which
    // would then be reloaded for every block.
    const std::uint64_t* const words = words_;
    const std::size_t count = count_, first_word = first_word_, block_col = block_col_, rows = rows_;
    const std::size_t block_rows = block_rows_;
    BlockPlace place{0, block_col * kBlockColWidth, rows, cols_, 0, cols_here_};
    std::size_t pos = pos_;
    std::size_t block_row = block_row_;
    std::size_t n = 0;
    for (; n < max && block_row < block_rows; ++n, ++block_row) {
        const std::size_t at = first_word + pos;
        if (pos == count) fail_missing_head(at, block_col, count, block_row);
        const std::uint64_t head = words[pos];
        const std::array<std::uint32_t, kChunksPerBlock> chunks = {static_cast<std::uint32_t>(head),
                                                                   static_cast<std::uint32_t>(head >> 32)};
        check_heads(chunks, at);
        const std::size_t value_words = chunk_width(chunks[0]) + chunk_width(chunks[1]);
        if (value_words > count - pos - 1) fail_past_end(at, value_words, block_col, count);

        place.row0 = block_row * kBlockHeight;
        place.rows_here = std::min(kBlockHeight, rows - place.row0);
        std::size_t nonzeros = 0;
        ++pos;
        for (std::size_t c = 0; c < kChunksPerBlock; ++c) {
            nonzeros +=
                read_chunk(chunks[c], words + pos, count - pos, first_word + pos, place, out[n].chunk[c]);
            pos += chunk_width(chunks[c]);
        }
        out[n].block_row = block_row;
        out[n].nonzeros = nonzeros;
    }
    pos_ = pos;
    block_row_ = block_row;
    if (block_row == block_rows && pos != count) fail_leftover(first_word + pos, block_col, count);
    return n;
}

void gather_x(const float* x, std::size_t block_col, std::size_t cols, PackedX& out) {
    const std::size_t here = columns_in(block_col, cols);
    std::array<std::array<float, kBlockColWidth>, 8> by_code;  // [code][t]
    for (unsigned code = 0; code < by_code.size(); ++code) {
        for (unsigned t = 0; t < kBlockColWidth; ++t) {
            const int c = kDecodeTable[t][code];
            const bool inside = c >= 0 && static_cast<std::size_t>(c) < here;
            by_code[code][t] = inside ? x[block_col * kBlockColWidth + static_cast<std::size_t>(c)] : 0.0f;
        }
    }
    for (unsigned pair = 0; pair < out.size(); ++pair) {
        for (unsigned t = 0; t < kBlockColWidth; ++t)
            out[pair][t] = {by_code[pair & 7u][t], by_code[pair >> 3][t]};
    }
}

EsellMatrix encode(const DenseMatrix& m) {
    EsellMatrix e;
    e.rows = m.rows;
    e.cols = m.cols;
    for (std::size_t j = 0; j < e.block_cols(); ++j) {
        const std::size_t start = e.words.size();
        for (std::size_t i = 0; i < e.block_rows(); ++i) append_block(m, i, j, e.words);
        const std::size_t count = e.words.size() - start;
        if (count > kMaxBlockColWords) {
            throw Error("eSELL block column " + str(j) + " needs " + str(count) +
                        " words, more than the table's " + str(kMaxBlockColWords));
        }
        e.block_col_words.push_back(static_cast<std::uint16_t>(count));
    }
    return e;
}

DenseMatrix decode(const EsellMatrix& e) {
    e.check_word_table();  // before allocating: it bounds the shape by the stream length
    DenseMatrix m(e.rows, e.cols);
    for_each_block(e, [&m](const DecodedBlock& block, std::size_t block_col) {
        // The reader let non-zeros through only at defined columns and rows inside the matrix.
        for (const DecodedChunk& chunk : block.chunk) {
            for (unsigned t = 0; t < kBlockColWidth; ++t) {
                for (std::size_t j = 0; j < kChunkHeight; ++j) {
                    if (chunk.value[t][j] == 0.0f) continue;
                    m.at(block.block_row * kBlockHeight + chunk.row(j),
                         block_col * kBlockColWidth +
                             static_cast<std::size_t>(kDecodeTable[t][chunk.code(j)])) = chunk.value[t][j];
                }
            }
        }
    });
    return m;
}

std::vector<std::uint64_t> pack_word_table(const std::vector<std::uint16_t>& counts) {
    std::vector<std::uint64_t> words((counts.size() + kTableEntriesPerWord - 1) / kTableEntriesPerWord, 0);
    for (std::size_t k = 0; k < counts.size(); ++k) {
        words[k / kTableEntriesPerWord] |= static_cast<std::uint64_t>(counts[k])
                                           << (kValueBits * (k % kTableEntriesPerWord));
    }
    return words;
}

std::vector<std::uint16_t> unpack_word_table(const std::vector<std::uint64_t>& words, std::size_t entries) {
    if (entries > words.size() * kTableEntriesPerWord) {
        throw Error("eSELL word table of " + str(entries) + " entries needs more than its " +
                    str(words.size()) + " words");
    }
    std::vector<std::uint16_t> counts(entries);
    for (std::size_t k = 0; k < entries; ++k) {
        counts[k] = static_cast<std::uint16_t>(words[k / kTableEntriesPerWord] >>
                                               (kValueBits * (k % kTableEntriesPerWord)));
    }
    return counts;
}

std::vector<std::uint64_t> pack_bias(const std::vector<float>& bias) {
    std::vector<std::uint64_t> words((bias.size() + kBiasPerWord - 1) / kBiasPerWord, 0);
    for (std::size_t k = 0; k < bias.size(); ++k) {
        words[k / kBiasPerWord] |= static_cast<std::uint64_t>(fp32_to_fp16(bias[k]))
                                   << (kValueBits * (k % kBiasPerWord));
    }
    return words;
}

std::vector<float> unpack_bias(const std::vector<std::uint64_t>& words, std::size_t count) {
    if (count > words.size() * kBiasPerWord) {
        throw Error("eSELL bias of " + str(count) + " values needs more than its " + str(words.size()) +
                    " words");
    }
    std::vector<float> bias(count);
    for (std::size_t k = 0; k < count; ++k) {
        bias[k] = fp16_to_fp32(
            static_cast<std::uint16_t>(words[k / kBiasPerWord] >> (kValueBits * (k % kBiasPerWord))));
    }
    return bias;
}

}  // namespace elstm::esell
