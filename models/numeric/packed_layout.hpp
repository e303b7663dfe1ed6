// Internal to the packed-matrix codec (packed_matrix.cpp packs, packed_decode.cpp decodes):
// the word layouts of the formats and the helpers both sides share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>

// Word layouts (a lane is 16 bits, lane k = bits 16k..16k+15 of a 64-bit word):
//
// esell    docs/design.md §2 through numeric/esell.hpp; segment j = block column j.
//
// csc_ese  Row r belongs to PE p = r % 4 as local row r / 4. Segment j = columns 4j..4j+3.
//          Head word: lane c = depth d_c of column 4j+c (0 past the matrix). Then per column
//          its d_c entry rows; lane p of entry row i = entry i of PE p's list for the column.
//          A list holds the PE's non-zeros in ascending local row, each with a 4-bit relative
//          index = zero positions skipped since the previous entry (from local row 0); before
//          an entry whose gap g exceeds 15 go g / 16 padding entries (0, 15), each covering 16
//          positions, and the entry then has index g % 16 (formats.cpp, ese_column_entries).
//          Lists shorter than d_c end in fillers (0, 0).
//           - fixed12: an entry row is one word, lane p = (q & 0xFFF) | index << 12.
//           - fp16: entry rows in groups of 4 (the last may be shorter): one index word
//             (index of entry row g of the group, PE p at bits 16g + 4p) then the group's value
//             words (lane p = fp16 value). A column takes d + ceil(d / 4) words.
// cbs_bbs  Bank width w = ceil(cols / 4), bank k = columns [k w, min(cols, (k+1) w)).
//          Segment i = rows 4i..4i+3. Head word: lane r = depth m_r of row 4i+r (the most
//          non-zeros of one bank; 0 past the matrix). Then per row m_r pairs (index word: lane k
//          = in-bank column offset of entry t of bank k; value word: lane k = its fp16 value),
//          each bank's entries in ascending column, then padding (offset 0, value 0).
// csr      Segment i = rows 4i..4i+3. Head word: lane r = non-zero count nz_r of row 4i+r.
//          Then per row ceil(nz_r / 4) pairs (index word: lane k = column of entry 4t+k;
//          value word: lane k = its fp16 value), columns strictly ascending; the lanes past nz_r
//          of the last pair are padding (column 0, value 0).
//
// Decoders: a value slot holding ±0 is padding (csr: only past the row's count); -0.0 weights
// are packed as zeros, so unpack returns +0.0 for them. Bits that carry nothing (the index of
// a padding entry in cbs_bbs and csr, the nibbles of absent entry rows of a csc_ese index word)
// are ignored. Everything else is checked: depths against the shape, rows and columns against
// the matrix, ascending columns, the 12-bit range, the word counts. Any fp16 pattern decodes
// (NaN and infinities too: pack refuses NaN weights but takes ±inf), and with `fixed12` only
namespace elstm::packed_detail {

constexpr std::size_t kLanes = 4;
constexpr unsigned kLaneBits = 16;
constexpr std::size_t kMaxSegmentWords = std::numeric_limits<std::uint16_t>::max();
constexpr std::size_t kPes = 4;                          // csc_ese PEs (= lanes)
constexpr std::size_t kBanks = 4;                        // cbs_bbs banks (= lanes)
constexpr unsigned kRelBits = 4;                         // csc_ese relative index
constexpr std::size_t kMaxGap = (1u << kRelBits) - 1u;   // 15 zeros
constexpr std::size_t kEntryRowsPerIndexWord = 4;        // csc_ese fp16: 4 x 4 x 4 bits
constexpr unsigned kQBits = 12;
constexpr unsigned kQMask = (1u << kQBits) - 1u;
constexpr int kMaxQ = 2047;
// q·2^-f for |q| ≤ 2047 is an exact, finite fp32 value for these f.
constexpr int kMinFracBits = -116;
constexpr int kMaxFracBits = 149;
constexpr std::size_t kMaxIndexed = std::size_t{1} << kLaneBits;  // csr cols, cbs_bbs bank width

inline std::string str(std::size_t n) { return std::to_string(n); }
inline std::size_t ceil_div(std::size_t a, std::size_t b) { return a / b + (a % b != 0); }
inline std::uint16_t lane(std::uint64_t word, std::size_t k) { return static_cast<std::uint16_t>(word >> (kLaneBits * k)); }
inline std::uint64_t put(std::uint16_t value, std::size_t k) { return static_cast<std::uint64_t>(value) << (kLaneBits * k); }
inline bool fp16_zero(std::uint16_t bits) { return (bits & 0x7FFFu) == 0; }

inline std::string fmt_value(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

inline std::string name_of(WeightFormat f) { return weight_format_name(f); }

// Names a word in a decoder's message: in the whole stream (unpack) or within a segment.
struct Site {
    WeightFormat format;
    std::size_t seg;
    std::size_t base;  // stream index of the segment's word 0
    bool global;
    [[noreturn]] void fail(std::size_t word, const std::string& what) const {
        if (global) throw Error(name_of(format) + " word " + str(base + word) + ": " + what);
        throw Error(name_of(format) + " segment " + str(seg) + " word " + str(word) + ": " + what);
    }
};

// Local rows of csc_ese PE p in a matrix of `rows` rows.
inline std::size_t local_rows(std::size_t rows, std::size_t p) { return rows > p ? ceil_div(rows - p, kPes) : 0; }
inline std::size_t bank_width(std::size_t cols) { return ceil_div(cols, kBanks); }

inline bool uses_q(WeightFormat f, const PackOptions& o) { return f == WeightFormat::csc_ese && o.fixed12; }

// Shape limits shared by pack and the decoders.
inline void check_shape(WeightFormat f, const PackOptions& o, std::size_t rows, std::size_t cols, bool packing) {
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols / sizeof(float))
        throw Error(name_of(f) + ": shape " + str(rows) + "x" + str(cols) + " out of range");
    if (f == WeightFormat::csr && cols > kMaxIndexed)
        throw Error("csr: " + str(cols) + " columns, more than the 16-bit column index addresses (65536)");
    if (f == WeightFormat::cbs_bbs && bank_width(cols) > kMaxIndexed)
        throw Error("cbs_bbs: bank width " + str(bank_width(cols)) + " (" + str(cols) +
                    " columns), more than the 16-bit in-bank index addresses (65536)");
    if ((packing ? o.fixed12 : uses_q(f, o)) && (o.frac_bits < kMinFracBits || o.frac_bits > kMaxFracBits))
        throw Error(name_of(f) + ": frac_bits " + std::to_string(o.frac_bits) + " outside [" +
                    std::to_string(kMinFracBits) + ", " + std::to_string(kMaxFracBits) + "]");
}

inline void check_segment(WeightFormat f, std::size_t seg, std::size_t rows, std::size_t cols) {
    const std::size_t n = segment_count(f, rows, cols);
    if (seg >= n) throw Error(name_of(f) + ": segment " + str(seg) + " out of range (" + str(n) + " segments)");
}

}  // namespace elstm::packed_detail
