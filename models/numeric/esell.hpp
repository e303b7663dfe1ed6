#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <elstm_vp/numeric/matrix.hpp>

// eSELL, bit-exact to docs/design.md §2. A matrix is cut into block columns of 4 matrix
// columns; each block column into blocks of 8 rows (two chunks of 4 rows). Rows beyond
// the matrix (rows % 8 != 0) and columns beyond it (cols % 4 != 0) are padded with zeros:
// they hold no non-zero, so they cost only head bits, and decode() drops them again.
namespace elstm::esell {

constexpr std::size_t kChunkHeight = 4;
constexpr std::size_t kChunksPerBlock = 2;
constexpr std::size_t kBlockHeight = kChunkHeight * kChunksPerBlock;  // 8 rows
constexpr std::size_t kBlockColWidth = 4;                             // 4 matrix columns
constexpr std::size_t kTableEntriesPerWord = 4;                       // 16-bit word counts
constexpr std::size_t kBiasPerWord = 4;                               // fp16 values per word

struct ChunkHead {
    unsigned width = 0;                  // CHK_w, 0..4 value words
    std::array<std::uint8_t, 4> eidx{};  // EIDX_col of chunk row j
    std::array<std::uint8_t, 4> row{};   // IDX_row of chunk row j: original row 0..7 in the block
};

// Chunk head bit fields (docs/design.md §2): CHK_w in bits 0-2, EIDX_col of chunk row j in bits
// 3+3j..5+3j, IDX_row of chunk row j in bits 15+3j..17+3j. Everything reading a head uses these.
constexpr unsigned kFieldBits = 3;
constexpr unsigned kFieldMask = (1u << kFieldBits) - 1u;
constexpr unsigned kEidxShift = 3;
constexpr unsigned kRowShift = 15;
constexpr unsigned chunk_width(std::uint32_t head) { return head & kFieldMask; }
constexpr unsigned chunk_code(std::uint32_t head, std::size_t j) {
    return (head >> (kEidxShift + kFieldBits * j)) & kFieldMask;
}
constexpr unsigned chunk_row(std::uint32_t head, std::size_t j) {
    return (head >> (kRowShift + kFieldBits * j)) & kFieldMask;
}
// EIDX_col of chunk rows 2k and 2k+1 as one index, code(2k) | code(2k+1) << 3 (k = 0, 1).
constexpr unsigned chunk_code_pair(std::uint32_t head, std::size_t k) {
    return (head >> (kEidxShift + 2 * kFieldBits * k)) & ((1u << (2 * kFieldBits)) - 1u);
}

std::uint32_t pack_chunk_head(const ChunkHead& head);
ChunkHead unpack_chunk_head(std::uint32_t bits);

// EIDX_col of a row whose non-zeros sit at the columns set in `mask` (bit c = column c).
std::uint8_t encode_columns(unsigned mask);
// Column of the i-th packed value of a row with code `code`; -1 where the spec defines
// no column (a decoder must then find a zero padding value there).
int decode_column(unsigned i, unsigned code);

struct EsellMatrix {
    std::size_t rows = 0;  // logical shape, before padding
    std::size_t cols = 0;
    std::vector<std::uint64_t> words;            // block column by block column, blocks top to bottom
    std::vector<std::uint16_t> block_col_words;  // 64-bit words of each block column

    std::size_t block_rows() const { return (rows + kBlockHeight - 1) / kBlockHeight; }
    std::size_t block_cols() const { return (cols + kBlockColWidth - 1) / kBlockColWidth; }
    std::size_t nonzeros() const;  // non-zero fp16 values in the value words
    // Throws elstm::Error unless the table has one entry per block column, each entry holds
    // at least the block heads, and the entries add up to words.size().
    void check_word_table() const;
};

// Values are rounded to fp16. Throws elstm::Error when a block column would need more
// words than its 16-bit table entry holds.
EsellMatrix encode(const DenseMatrix& m);
// Throws elstm::Error naming the word index on a malformed stream (bad width, IDX_row not
// a permutation, non-zero value at an undefined column, table and stream disagreeing).
DenseMatrix decode(const EsellMatrix& e);

// One chunk of a block, decoded and checked, as the eSELL decoder hands it to a PE.
struct DecodedChunk {
    // The chunk head, checked; row(j) is the IDX_row (block row 0..7) of chunk row j, code(j)
    // its EIDX_col.
    std::uint32_t head = 0;
    unsigned row(std::size_t j) const { return chunk_row(head, j); }
    unsigned code(std::size_t j) const { return chunk_code(head, j); }
    // value[t][j]: the t-th packed value of chunk row j as fp32. All 16 slots are set (padding
    // and slots past CHK_w hold ±0), so a kernel can do a chunk's MACs without branching.
    // Aligned so that a kernel can load value[t] as one 16-byte vector.
    alignas(16) std::array<std::array<float, kChunkHeight>, kBlockColWidth> value{};
};

struct DecodedBlock {
    std::size_t block_row = 0;  // block index in its block column; rows 8*block_row..+7
    std::size_t nonzeros = 0;   // non-zero values stored: the useful MACs
    std::array<DecodedChunk, kChunksPerBlock> chunk{};
};

// x of one block column laid out for pairs of chunk rows: [pair][t] holds, for the t-th packed
// value of a row with EIDX_col pair & 7 and of one with pair >> 3, the x element it multiplies;
// 0 where the code defines no column at t or the column lies past the matrix. Indexed by
// chunk_code_pair, it hands a kernel the x of two chunk rows for a slot in one 8-byte load.
// Built once per block column, it spares the kernels any column decoding.
using PackedX = std::array<std::array<std::array<float, 2>, kBlockColWidth>, 64>;
void gather_x(const float* x, std::size_t block_col, std::size_t cols, PackedX& out);

// Walks the `count` words of block column `block_col` of a rows x cols matrix block by
// block, making every check decode() makes. `first_word` is the stream index of words[0],
// used in error messages. decode() and the SpMV kernels share it, so the format is read
// in one place.
class BlockColumnReader {
public:
    BlockColumnReader(const std::uint64_t* words, std::size_t count, std::size_t first_word,
                      std::size_t block_col, std::size_t rows, std::size_t cols);
    // Decodes up to `max` next blocks into out[0..]; returns how many, 0 once every block was
    // read. Having read the last block it checks that the blocks used up the words exactly.
    // Blocks come in batches so that a kernel's loop, not a call, is paid per block.
    std::size_t read(DecodedBlock* out, std::size_t max);

private:
    const std::uint64_t* words_;
    std::size_t count_;
    std::size_t first_word_;
    std::size_t block_col_;
    std::size_t rows_;
    std::size_t cols_;
    std::size_t block_rows_;     // blocks in the block column
    std::size_t cols_here_;      // matrix columns in this block column, 0..4
    std::size_t pos_ = 0;        // next word to read, relative to words_
    std::size_t block_row_ = 0;  // next block to read
};

// The per-block-column word-count table as it sits in memory: entry k in bits 16*(k%4).
std::vector<std::uint64_t> pack_word_table(const std::vector<std::uint16_t>& counts);
std::vector<std::uint16_t> unpack_word_table(const std::vector<std::uint64_t>& words, std::size_t entries);

// Bias: fp16 values, 4 per word, value k in bits 16*(k%4); the last word is zero-padded.
std::vector<std::uint64_t> pack_bias(const std::vector<float>& bias);
std::vector<float> unpack_bias(const std::vector<std::uint64_t>& words, std::size_t count);

}  // namespace elstm::esell
