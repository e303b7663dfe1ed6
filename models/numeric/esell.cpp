#include "numeric/esell.hpp"

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "numeric/error.hpp"
#include "numeric/fp16.hpp"

namespace elstm::esell {
namespace {

constexpr unsigned kFieldBits = 3;  // CHK_w, EIDX_col and IDX_row are 3 bits each
constexpr unsigned kFieldMask = (1u << kFieldBits) - 1u;
constexpr unsigned kEidxShift = 3;
constexpr unsigned kRowShift = 15;
constexpr unsigned kValueBits = 16;
constexpr std::size_t kMaxBlockColWords = std::numeric_limits<std::uint16_t>::max();
constexpr unsigned kAllBlockRows = (1u << kBlockHeight) - 1u;  // IDX_row permutation check

// EIDX_col by column mask (bit c = column c), DESIGN.md §3.
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
    std::size_t rows;       // matrix shape
    std::size_t cols;
    std::size_t rows_here;  // matrix rows in this block, 1..8
    std::size_t cols_here;  // matrix columns in this block column, 0..4
};

// Chunk head fields read straight from the bits: the hot loop avoids building a ChunkHead.
unsigned width_of(std::uint32_t chunk) { return chunk & kFieldMask; }
unsigned eidx_of(std::uint32_t chunk, std::size_t j) {
    return (chunk >> (kEidxShift + kFieldBits * j)) & kFieldMask;
}
unsigned row_of(std::uint32_t chunk, std::size_t j) {
    return (chunk >> (kRowShift + kFieldBits * j)) & kFieldMask;
}
unsigned eidx_fields(std::uint32_t chunk) { return (chunk >> kEidxShift) & kChunkFieldMask; }
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
unsigned legal_slots(std::uint32_t chunk, const BlockPlace& place) {
    unsigned legal = 0;
    if (place.cols_here == kBlockColWidth) {
        legal = kLegalFullWidth[eidx_fields(chunk)];
    } else {
        for (std::size_t j = 0; j < kChunkHeight; ++j)
            legal |= static_cast<unsigned>(kSlotsInRange[place.cols_here][eidx_of(chunk, j)]) << j;
    }
    if (place.rows_here < kBlockHeight) {
        for (std::size_t j = 0; j < kChunkHeight; ++j) {
            if (row_of(chunk, j) >= place.rows_here) legal &= ~(0x1111u << j);  // all slots of row j
        }
    }
    return legal;
}

void check_heads(const std::array<std::uint32_t, kChunksPerBlock>& chunks, std::size_t at) {
    for (std::size_t c = 0; c < kChunksPerBlock; ++c) {
        if (width_of(chunks[c]) > kBlockColWidth) {
            fail_at(at, "chunk " + str(c) + " width " + str(width_of(chunks[c])) + " exceeds " +
                            str(kBlockColWidth));
        }
    }
    if ((kRowsNamed[row_fields(chunks[0])] | kRowsNamed[row_fields(chunks[1])]) != kAllBlockRows)
        fail_at(at, "IDX_row of the block is not a permutation of rows 0..7");
}

// Set bits of a 16-bit slot mask, by byte.
constexpr auto kBitCount = [] {
    std::array<std::uint8_t, 256> table{};
    for (unsigned n = 1; n < table.size(); ++n) table[n] = static_cast<std::uint8_t>(table[n / 2] + n % 2);
    return table;
}();
unsigned count_slots(unsigned slots) { return kBitCount[slots & 0xFFu] + kBitCount[slots >> 8]; }

// A chunk's 4 value words, those past its width zero: slot 4t+j (value word t, chunk row j) is
// the fp16 in bits 16j..16j+15 of word t. Widths vary at random, so all 4 words are always
// decoded instead of branching on the width.
using ChunkValues = std::array<std::array<float, kChunkHeight>, kBlockColWidth>;

#if defined(__SSE2__)
// Words 0,1 and 2,3 as two registers of 8 fp16 lanes each.
struct ChunkWords {
    __m128i pair[2];
};

// `avail` words from `words` lie inside the buffer (at least `width`). Most chunks have 4, so all
// are loaded at once and those past the width masked off; near the end of the buffer the width
// words are copied first, so nothing past it is read.
ChunkWords load_words(const std::uint64_t* words, unsigned width, std::size_t avail) {
    alignas(16) static constexpr std::uint64_t kKeep[kBlockColWidth + 1][kBlockColWidth] = {
        {0, 0, 0, 0}, {~0ull, 0, 0, 0}, {~0ull, ~0ull, 0, 0}, {~0ull, ~0ull, ~0ull, 0}, {~0ull, ~0ull, ~0ull, ~0ull}};
    std::array<std::uint64_t, kBlockColWidth> copy{};
    const std::uint64_t* src = words;
    if (avail < kBlockColWidth) src = std::copy_n(words, width, copy.begin()) - width;
    ChunkWords w;
    for (std::size_t p = 0; p < 2; ++p) {
        const auto* keep = reinterpret_cast<const __m128i*>(&kKeep[width][2 * p]);
        w.pair[p] = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * p)), _mm_load_si128(keep));
    }
    return w;
}

// Slots holding a non-zero; either sign of zero is a zero.
unsigned nonzero_slots(const ChunkWords& w) {
    const __m128i magnitude = _mm_set1_epi16(0x7FFF);
    const __m128i zero = _mm_setzero_si128();
    const __m128i z01 = _mm_cmpeq_epi16(_mm_and_si128(w.pair[0], magnitude), zero);
    const __m128i z23 = _mm_cmpeq_epi16(_mm_and_si128(w.pair[1], magnitude), zero);
    return ~static_cast<unsigned>(_mm_movemask_epi8(_mm_packs_epi16(z01, z23))) & 0xFFFFu;
}

// fp16 -> fp32 of 4 lanes (low or high half of 8), exactly as fp16_to_fp32: the fp16 magnitude
// shifted into an fp32 is 2^-112 times its value for zero, subnormals and normals alike, so one
// multiply rebiases it; inf and NaN take exponent 255 with their payload.
template <bool kHigh>
__m128 widen_half(__m128i magnitude, __m128i sign, __m128i special) {
    const __m128i zero = _mm_setzero_si128();
    const auto unpack = [&zero](__m128i v) {
        return kHigh ? _mm_unpackhi_epi16(zero, v) : _mm_unpacklo_epi16(zero, v);  // v << 16 per 32-bit lane
    };
    const __m128i shifted = _mm_srli_epi32(unpack(magnitude), 3);  // magnitude << 13
    const __m128i finite = _mm_castps_si128(_mm_mul_ps(_mm_castsi128_ps(shifted), _mm_set1_ps(0x1p112f)));
    const __m128i inf_nan = _mm_or_si128(shifted, _mm_set1_epi32(0x7F800000));
    const __m128i is_special = _mm_srai_epi32(unpack(special), 16);
    const __m128i bits = _mm_or_si128(_mm_andnot_si128(is_special, finite), _mm_and_si128(is_special, inf_nan));
    return _mm_castsi128_ps(_mm_or_si128(bits, unpack(sign)));
}

void widen(const ChunkWords& w, ChunkValues& out) {
    for (std::size_t p = 0; p < 2; ++p) {
        const __m128i magnitude = _mm_and_si128(w.pair[p], _mm_set1_epi16(0x7FFF));
        const __m128i sign = _mm_xor_si128(w.pair[p], magnitude);
        const __m128i special = _mm_cmpgt_epi16(magnitude, _mm_set1_epi16(0x7BFF));
        _mm_storeu_ps(out[2 * p].data(), widen_half<false>(magnitude, sign, special));
        _mm_storeu_ps(out[2 * p + 1].data(), widen_half<true>(magnitude, sign, special));
    }
}
#else
using ChunkWords = std::array<std::uint64_t, kBlockColWidth>;

ChunkWords load_words(const std::uint64_t* words, unsigned width, std::size_t) {
    ChunkWords w{};
    std::copy_n(words, width, w.begin());
    return w;
}

std::uint16_t slot_bits(const ChunkWords& w, std::size_t t, std::size_t j) {
    return static_cast<std::uint16_t>(w[t] >> (kValueBits * j));
}

unsigned nonzero_slots(const ChunkWords& w) {
    unsigned slots = 0;
    for (std::size_t t = 0; t < kBlockColWidth; ++t) {
        for (std::size_t j = 0; j < kChunkHeight; ++j)
            slots |= static_cast<unsigned>(!is_zero(slot_bits(w, t, j))) << (kChunkHeight * t + j);
    }
    return slots;
}

void widen(const ChunkWords& w, ChunkValues& out) {
    for (std::size_t t = 0; t < kBlockColWidth; ++t) {
        for (std::size_t j = 0; j < kChunkHeight; ++j) out[t][j] = fp16_to_fp32(slot_bits(w, t, j));
    }
}
#endif

// Names the first misplaced non-zero value of a chunk: at an undefined packed position, or in padding.
[[noreturn]] void fail_value(std::size_t at, unsigned t, std::size_t j, unsigned eidx, std::size_t row,
                             const BlockPlace& place) {
    const int c = kDecodeTable[t][eidx];
    if (c < 0) {
        fail_at(at, "non-zero value of chunk row " + str(j) + " at packed position " + str(t) +
                        ", where EIDX_col " + str(eidx) + " defines no column");
    }
    fail_at(at, "non-zero value at padding row " + str(row) + ", column " +
                    str(place.col0 + static_cast<std::size_t>(c)) + " of a " + str(place.rows) + "x" +
                    str(place.cols) + " matrix");
}

// `at` is the stream index of the chunk's first value word.
[[noreturn]] void fail_slots(std::size_t at, unsigned bad_slots, std::uint32_t chunk, const BlockPlace& place) {
    unsigned slot = 0;
    while (((bad_slots >> slot) & 1u) == 0) ++slot;
    const unsigned t = slot / kChunkHeight;
    const std::size_t j = slot % kChunkHeight;
    fail_value(at + t, t, j, eidx_of(chunk, j), place.row0 + row_of(chunk, j), place);
}

// Decodes one chunk whose value words start at `words` (stream index `at`), `avail` of them inside
// the buffer; returns its non-zeros.
std::size_t read_chunk(std::uint32_t chunk, const std::uint64_t* words, std::size_t avail, std::size_t at,
                       const BlockPlace& place, DecodedChunk& out) {
    const ChunkWords w = load_words(words, width_of(chunk), avail);
    const unsigned stored = nonzero_slots(w);
    if (const unsigned bad = stored & ~legal_slots(chunk, place); bad != 0) fail_slots(at, bad, chunk, place);
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        out.row[j] = static_cast<std::uint8_t>(row_of(chunk, j));
        out.code[j] = static_cast<std::uint8_t>(eidx_of(chunk, j));
    }
    widen(w, out.value);
    return count_slots(stored);
}

// Calls f(block, block_col) for every block of a matrix whose table was checked.
template <class F>
void for_each_block(const EsellMatrix& e, F&& f) {
    DecodedBlock block;
    std::size_t offset = 0;
    for (std::size_t j = 0; j < e.block_cols(); ++j) {
        BlockColumnReader reader(e.words.data() + offset, e.block_col_words[j], offset, j, e.rows, e.cols);
        while (reader.next(block)) f(block, j);
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
    head.width = width_of(bits);
    for (std::size_t j = 0; j < kChunkHeight; ++j) {
        head.eidx[j] = static_cast<std::uint8_t>(eidx_of(bits, j));
        head.row[j] = static_cast<std::uint8_t>(row_of(bits, j));
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
      cols_here_(columns_in(block_col, cols)) {}

bool BlockColumnReader::next(DecodedBlock& out) {
    const std::size_t at = first_word_ + pos_;
    if (block_row_ == (rows_ + kBlockHeight - 1) / kBlockHeight) {
        if (pos_ != count_) {
            fail_at(at, "block column " + str(block_col_) + " ends here but the word table gives it " +
                            str(count_) + " words");
        }
        return false;
    }
    if (pos_ == count_) {
        fail_at(at, "block column " + str(block_col_) + " (" + str(count_) +
                        " words) ends before the head of block " + str(block_row_));
    }
    const std::uint64_t head = words_[pos_];
    const std::array<std::uint32_t, kChunksPerBlock> chunks = {static_cast<std::uint32_t>(head),
                                                               static_cast<std::uint32_t>(head >> 32)};
    check_heads(chunks, at);
    const std::size_t value_words = width_of(chunks[0]) + width_of(chunks[1]);
    if (value_words > count_ - pos_ - 1) {
        fail_at(at, "block needs " + str(value_words) + " value words, past the end of block column " +
                        str(block_col_) + " (" + str(count_) + " words)");
    }

    const std::size_t row0 = block_row_ * kBlockHeight;
    const BlockPlace place{row0,  block_col_ * kBlockColWidth, rows_, cols_, std::min(kBlockHeight, rows_ - row0),
                           cols_here_};
    out.block_row = block_row_;
    out.nonzeros = 0;
    std::size_t pos = pos_ + 1;
    for (std::size_t c = 0; c < kChunksPerBlock; ++c) {
        out.nonzeros += read_chunk(chunks[c], words_ + pos, count_ - pos, first_word_ + pos, place, out.chunk[c]);
        pos += width_of(chunks[c]);
    }
    pos_ = pos;
    ++block_row_;
    return true;
}

void gather_x(const float* x, std::size_t block_col, std::size_t cols, PackedX& out) {
    const std::size_t here = columns_in(block_col, cols);
    for (unsigned code = 0; code < out.size(); ++code) {
        for (unsigned t = 0; t < kBlockColWidth; ++t) {
            const int c = kDecodeTable[t][code];
            const bool inside = c >= 0 && static_cast<std::size_t>(c) < here;
            out[code][t] = inside ? x[block_col * kBlockColWidth + static_cast<std::size_t>(c)] : 0.0f;
        }
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
                    m.at(block.block_row * kBlockHeight + chunk.row[j],
                         block_col * kBlockColWidth + static_cast<std::size_t>(kDecodeTable[t][chunk.code[j]])) =
                        chunk.value[t][j];
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
