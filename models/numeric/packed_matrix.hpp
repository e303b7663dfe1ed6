#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <elstm_vp/numeric/matrix.hpp>

// A weight matrix packed for streaming through the 64-bit RoCC port, in one of four formats:
// E-LSTM's eSELL, ESE's interleaved CSC, BBS's CBS and plain CSR. Every format cuts the
// matrix into segments, each self-delimiting from its first word(s), and has a 16-bit
// word-count table with one entry per segment (4 entries per 64-bit word, as eSELL's).
//  - Column formats (esell, csc_ese): segment j holds matrix columns [4j, 4j+4), so U·h can
//    skip the segment of a pruned (or unchanged) block of h by the table alone.
//  - Row formats (cbs_bbs, csr): segment i holds matrix rows [4i, 4i+4); a block of h can not
//    be skipped without reading every segment.
// Value slots hold fp16 bit patterns (fixed-point weights are quantized to values fp16 holds
// exactly); only csc_ese with `fixed12` packs a 12-bit value and its 4-bit index in 16 bits.
// The bit layouts are in README ("Weight formats").
namespace elstm {

enum class WeightFormat : std::uint8_t { esell = 0, csc_ese = 1, cbs_bbs = 2, csr = 3 };
constexpr std::size_t kWeightFormats = 4;

const char* weight_format_name(WeightFormat f);  // "esell", "csc_ese", "cbs_bbs", "csr"
// False if `name` is none of the names above.
bool parse_weight_format(const std::string& name, WeightFormat& out);

// Column formats: segments are 4-column block columns; row formats: 4-row groups.
bool is_column_format(WeightFormat f);
constexpr std::size_t kSegmentSpan = 4;  // columns (column formats) or rows (row formats)
std::size_t segment_count(WeightFormat f, std::size_t rows, std::size_t cols);

struct PackOptions {
    // Weights are 12-bit fixed point: every value is q·2^-f with |q| ≤ 2047 (checked).
    // csc_ese then uses ESE's 16-bit entries (12-bit q, 4-bit relative row index) and needs
    // `frac_bits` = f to rebuild the values; the other formats store the values as fp16.
    bool fixed12 = false;
    int frac_bits = 0;
};

struct PackedMatrix {
    WeightFormat format = WeightFormat::esell;
    PackOptions options;
    std::size_t rows = 0, cols = 0;
    std::vector<std::uint64_t> words;
    std::vector<std::uint16_t> segment_words;  // words of each segment, segment_count entries
};

// Throws elstm::Error when a value is not representable (not fp16, or not 12-bit fixed point
// with `fixed12`), a segment needs more than 65535 words, or (csr) cols > 65536.
PackedMatrix pack(const DenseMatrix& m, WeightFormat f, const PackOptions& options = {});
// Throws elstm::Error naming the word index on a malformed stream.
DenseMatrix unpack(const PackedMatrix& p);

// Reads word i of a stream (a memory read, for the controller sizing a stream before it
// streams it). May throw.
using WordReader = std::function<std::uint64_t(std::uint64_t index)>;

// Length in words of segment `seg` of a rows × cols matrix, whose first word is word 0 of
// `read`; reads only the head words it needs. Throws elstm::Error on a malformed head.
std::size_t segment_length(WeightFormat f, const PackOptions& options, const WordReader& read, std::size_t seg,
                           std::size_t rows, std::size_t cols);

// One segment decoded (every check unpack() makes; throws elstm::Error naming the word
// index within the segment). The dense slab holds the segment's part of the matrix:
//  - column formats: kSegmentSpan columns × rows, column c at slab[c * rows + r];
//  - row formats: kSegmentSpan rows × cols, row r (local) at slab[r * cols + c].
// Rows/columns past the matrix are zero. `nonzeros` counts the non-zero values.
struct DecodedSegment {
    std::vector<float> slab;
    std::uint64_t nonzeros = 0;
};
DecodedSegment decode_segment(WeightFormat f, const PackOptions& options, const std::uint64_t* words,
                              std::size_t count, std::size_t seg, std::size_t rows, std::size_t cols);

// Which words of a segment carry weights: appends, per word in stream order, 4 for a word whose
// 4 slots feed the MAC lanes (values, padding included) and 0 for a word that only steers
// the decoder (heads, index words). A PE takes a 0-word in one cycle and a 4-word in
// ceil(4 / macc_per_cycle) cycles per step. Assumes a well-formed segment.
void segment_word_slots(WeightFormat f, const PackOptions& options, const std::uint64_t* words, std::size_t count,
                        std::size_t seg, std::size_t rows, std::size_t cols, std::vector<std::uint8_t>& out);
// segment_word_slots over every segment of p, in stream order.
std::vector<std::uint8_t> word_slots(const PackedMatrix& p);
// The words of p whose slots feed the MACs (the others steer the decoder).
std::size_t value_words(const PackedMatrix& p);

}  // namespace elstm
