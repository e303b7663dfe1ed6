#include "numeric/packed_matrix.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "numeric/error.hpp"
#include "numeric/esell.hpp"
#include "numeric/fp16.hpp"

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
// csc_ese's decoder sees q: the fp16 formats do not recheck that a value is 12-bit fixed point.
namespace elstm {
namespace {

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

std::string str(std::size_t n) { return std::to_string(n); }
std::size_t ceil_div(std::size_t a, std::size_t b) { return a / b + (a % b != 0); }
std::uint16_t lane(std::uint64_t word, std::size_t k) { return static_cast<std::uint16_t>(word >> (kLaneBits * k)); }
std::uint64_t put(std::uint16_t value, std::size_t k) { return static_cast<std::uint64_t>(value) << (kLaneBits * k); }
bool fp16_zero(std::uint16_t bits) { return (bits & 0x7FFFu) == 0; }

std::string fmt_value(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

std::string name_of(WeightFormat f) { return weight_format_name(f); }

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
std::size_t local_rows(std::size_t rows, std::size_t p) { return rows > p ? ceil_div(rows - p, kPes) : 0; }
std::size_t bank_width(std::size_t cols) { return ceil_div(cols, kBanks); }

bool uses_q(WeightFormat f, const PackOptions& o) { return f == WeightFormat::csc_ese && o.fixed12; }

// Shape limits shared by pack and the decoders.
void check_shape(WeightFormat f, const PackOptions& o, std::size_t rows, std::size_t cols, bool packing) {
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

void check_segment(WeightFormat f, std::size_t seg, std::size_t rows, std::size_t cols) {
    const std::size_t n = segment_count(f, rows, cols);
    if (seg >= n) throw Error(name_of(f) + ": segment " + str(seg) + " out of range (" + str(n) + " segments)");
}

// ---- lengths -----------------------------------------------------------------------

// Words of segment `seg` by its head word(s); read(i) returns word i of the segment.
template <class Read>
std::size_t length_from_heads(WeightFormat f, const PackOptions& o, Read&& read, std::size_t seg,
                              std::size_t rows, std::size_t cols, const Site& site) {
    switch (f) {
        case WeightFormat::esell: {
            const std::size_t blocks = ceil_div(rows, esell::kBlockHeight);
            std::size_t pos = 0;
            for (std::size_t b = 0; b < blocks; ++b) {
                const std::uint64_t head = read(pos);
                const unsigned w0 = esell::chunk_width(static_cast<std::uint32_t>(head));
                const unsigned w1 = esell::chunk_width(static_cast<std::uint32_t>(head >> 32));
                if (w0 > esell::kBlockColWidth || w1 > esell::kBlockColWidth)
                    site.fail(pos, "chunk width " + str(std::max(w0, w1)) + " of block " + str(b) + " exceeds 4");
                pos += 1 + w0 + w1;
            }
            return pos;
        }
        case WeightFormat::csc_ese: {
            const std::uint64_t head = read(0);
            const std::size_t most = local_rows(rows, 0);
            std::size_t total = 1;
            for (std::size_t c = 0; c < kLanes; ++c) {
                const std::size_t d = lane(head, c);
                const std::size_t col = seg * kSegmentSpan + c;
                if (col >= cols && d != 0)
                    site.fail(0, "column " + str(col) + " is past the " + str(cols) + "-column matrix but has depth " + str(d));
                if (d > most)
                    site.fail(0, "column " + str(col) + " has depth " + str(d) + ", more than the " + str(most) +
                                     " local rows of a PE");
                total += o.fixed12 ? d : d + ceil_div(d, kEntryRowsPerIndexWord);
            }
            return total;
        }
        case WeightFormat::cbs_bbs:
        case WeightFormat::csr: {
            const std::uint64_t head = read(0);
            const bool csr = f == WeightFormat::csr;
            const std::size_t most = csr ? cols : bank_width(cols);
            std::size_t total = 1;
            for (std::size_t r = 0; r < kLanes; ++r) {
                const std::size_t d = lane(head, r);
                const std::size_t row = seg * kSegmentSpan + r;
                if (row >= rows && d != 0)
                    site.fail(0, "row " + str(row) + " is past the " + str(rows) + "-row matrix but has " +
                                     (csr ? "count " : "depth ") + str(d));
                if (d > most)
                    site.fail(0, "row " + str(row) + (csr ? " counts " : " has depth ") + str(d) + ", more than " +
                                     (csr ? "its " + str(cols) + " columns" : "the bank width " + str(most)));
                total += 2 * (csr ? ceil_div(d, kLanes) : d);
            }
            return total;
        }
    }
    throw Error("unknown weight format " + std::to_string(static_cast<unsigned>(f)));
}

// ---- decoding ----------------------------------------------------------------------

void decode_esell(const std::uint64_t* words, std::size_t count, std::size_t seg, std::size_t rows,
                  std::size_t cols, const Site& site, DecodedSegment& out) {
    out.slab.assign(kSegmentSpan * rows, 0.0f);
    esell::BlockColumnReader reader(words, count, site.global ? site.base : 0, seg, rows, cols);
    std::array<esell::DecodedBlock, 16> blocks;
    try {
        while (const std::size_t n = reader.read(blocks.data(), blocks.size())) {
            for (std::size_t b = 0; b < n; ++b) {
                const esell::DecodedBlock& block = blocks[b];
                out.nonzeros += block.nonzeros;
                // Each value at its row and column; padding (zero values, columns past the matrix)
                // adds nothing.
                for (const esell::DecodedChunk& chunk : block.chunk) {
                    for (std::size_t j = 0; j < esell::kChunkHeight; ++j) {
                        const std::size_t row = block.block_row * esell::kBlockHeight + chunk.row(j);
                        for (unsigned t = 0; t < esell::kBlockColWidth; ++t) {
                            const float v = chunk.value[t][j];
                            const int c = esell::decode_column(t, chunk.code(j));
                            if (v != 0.0f && c >= 0 && row < rows) out.slab[static_cast<std::size_t>(c) * rows + row] = v;
                        }
                    }
                }
            }
        }
    } catch (const Error& e) {
        if (site.global) throw;
        throw Error("esell segment " + str(seg) + ": " + e.what());
    }
}

// One entry of a csc_ese list as a decoder meets it: lands at position next + rel of its PE.
inline void csc_entry(std::size_t p, unsigned rel, bool zero, float value, std::size_t word, std::size_t col,
                      const std::array<std::size_t, kPes>& locals, std::array<std::size_t, kPes>& next,
                      float* column, const Site& site, DecodedSegment& out) {
    const std::size_t at = next[p] + rel;
    next[p] = at + 1;
    if (zero) return;
    if (at >= locals[p])
        site.fail(word, "non-zero entry of PE " + str(p) + " in column " + str(col) + " lands on local row " +
                            str(at) + " (matrix row " + str(at * kPes + p) + "), past its " + str(locals[p]) +
                            " local rows");
    column[at * kPes + p] = value;
    ++out.nonzeros;
}

void decode_csc(const PackOptions& o, const std::uint64_t* words, std::size_t seg, std::size_t rows,
                std::size_t cols, const Site& site, DecodedSegment& out) {
    (void)cols;  // depths past the matrix were checked to be 0
    out.slab.assign(kSegmentSpan * rows, 0.0f);
    std::array<std::size_t, kPes> locals{};
    for (std::size_t p = 0; p < kPes; ++p) locals[p] = local_rows(rows, p);
    const std::uint64_t head = words[0];
    std::size_t pos = 1;
    for (std::size_t c = 0; c < kSegmentSpan; ++c) {
        const std::size_t d = lane(head, c);
        const std::size_t col = seg * kSegmentSpan + c;
        float* column = out.slab.data() + c * rows;
        std::array<std::size_t, kPes> next{};
        if (o.fixed12) {
            for (std::size_t i = 0; i < d; ++i, ++pos) {
                const std::uint64_t w = words[pos];
                for (std::size_t p = 0; p < kPes; ++p) {
                    const unsigned l = lane(w, p);
                    const unsigned q12 = l & kQMask;
                    const int q = q12 & 0x800u ? static_cast<int>(q12) - (1 << kQBits) : static_cast<int>(q12);
                    if (q < -kMaxQ)
                        site.fail(pos, "12-bit value -2048 of PE " + str(p) + " in column " + str(col) +
                                           " outside ±2047");
                    const float v = std::ldexp(static_cast<float>(q), -o.frac_bits);
                    csc_entry(p, l >> kQBits, q == 0, v, pos, col, locals, next, column, site, out);
                }
            }
        } else {
            for (std::size_t g0 = 0; g0 < d; g0 += kEntryRowsPerIndexWord) {
                const std::size_t n = std::min(kEntryRowsPerIndexWord, d - g0);
                const std::uint64_t iw = words[pos];
                for (std::size_t g = 0; g < n; ++g) {
                    const std::size_t vpos = pos + 1 + g;
                    const std::uint64_t vw = words[vpos];
                    for (std::size_t p = 0; p < kPes; ++p) {
                        const unsigned rel = static_cast<unsigned>(iw >> (kLaneBits * g + kRelBits * p)) & kMaxGap;
                        const std::uint16_t bits = lane(vw, p);
                        csc_entry(p, rel, fp16_zero(bits), fp16_to_fp32(bits), vpos, col, locals, next, column, site,
                                  out);
                    }
                }
                pos += 1 + n;
            }
        }
    }
}

void decode_cbs(const std::uint64_t* words, std::size_t seg, std::size_t rows, std::size_t cols,
                const Site& site, DecodedSegment& out) {
    (void)rows;
    out.slab.assign(kSegmentSpan * cols, 0.0f);
    const std::size_t w = bank_width(cols);
    const std::uint64_t head = words[0];
    std::size_t pos = 1;
    for (std::size_t r = 0; r < kSegmentSpan; ++r) {
        const std::size_t depth = lane(head, r);
        float* row = out.slab.data() + r * cols;
        std::array<std::size_t, kBanks> next{};  // lowest column the next entry of bank k may take
        for (std::size_t k = 0; k < kBanks; ++k) next[k] = k * w;
        for (std::size_t t = 0; t < depth; ++t, pos += 2) {
            const std::uint64_t iw = words[pos], vw = words[pos + 1];
            for (std::size_t k = 0; k < kBanks; ++k) {
                const std::uint16_t bits = lane(vw, k);
                if (fp16_zero(bits)) continue;
                const std::size_t offset = lane(iw, k);
                const std::size_t col = k * w + offset;
                if (offset >= w || col >= cols)
                    site.fail(pos, "row " + str(seg * kSegmentSpan + r) + ", bank " + str(k) + ": in-bank column " +
                                       str(offset) + " is past the bank (width " + str(w) + ", " + str(cols) +
                                       " columns)");
                if (col < next[k])
                    site.fail(pos, "row " + str(seg * kSegmentSpan + r) + ", bank " + str(k) + ": column " + str(col) +
                                       " does not follow column " + str(next[k] - 1) + " in ascending order");
                row[col] = fp16_to_fp32(bits);
                next[k] = col + 1;
                ++out.nonzeros;
            }
        }
    }
}

void decode_csr(const std::uint64_t* words, std::size_t seg, std::size_t rows, std::size_t cols,
                const Site& site, DecodedSegment& out) {
    (void)rows;
    out.slab.assign(kSegmentSpan * cols, 0.0f);
    const std::uint64_t head = words[0];
    std::size_t pos = 1;
    for (std::size_t r = 0; r < kSegmentSpan; ++r) {
        const std::size_t nz = lane(head, r);
        const std::size_t matrix_row = seg * kSegmentSpan + r;
        float* row = out.slab.data() + r * cols;
        std::size_t next = 0;  // lowest column the next entry may take
        for (std::size_t e0 = 0; e0 < nz; e0 += kLanes, pos += 2) {
            const std::uint64_t iw = words[pos], vw = words[pos + 1];
            for (std::size_t k = 0; k < kLanes; ++k) {
                const std::size_t e = e0 + k;
                const std::uint16_t bits = lane(vw, k);
                if (e >= nz) {
                    if (!fp16_zero(bits))
                        site.fail(pos + 1, "padding lane " + str(k) + " of row " + str(matrix_row) +
                                               " holds a non-zero value (the row counts " + str(nz) + ")");
                    continue;
                }
                if (fp16_zero(bits))
                    site.fail(pos + 1, "entry " + str(e) + " of row " + str(matrix_row) + " is zero, but the row counts " +
                                           str(nz) + " non-zeros");
                const std::size_t col = lane(iw, k);
                if (col >= cols)
                    site.fail(pos, "entry " + str(e) + " of row " + str(matrix_row) + ": column " + str(col) +
                                       " is past the " + str(cols) + "-column matrix");
                if (col < next)
                    site.fail(pos, "entry " + str(e) + " of row " + str(matrix_row) + ": column " + str(col) +
                                       " does not follow column " + str(next - 1) + " in ascending order");
                row[col] = fp16_to_fp32(bits);
                next = col + 1;
                ++out.nonzeros;
            }
        }
    }
}

// Decodes a segment of `count` words after checking its length against its heads.
DecodedSegment decode_checked(WeightFormat f, const PackOptions& o, const std::uint64_t* words, std::size_t count,
                              std::size_t seg, std::size_t rows, std::size_t cols, const Site& site) {
    DecodedSegment out;
    if (f == WeightFormat::esell) {
        // The reader checks the heads and the length itself, in the words of eSELL's own messages.
        decode_esell(words, count, seg, rows, cols, site, out);
        return out;
    }
    const auto read = [&](std::size_t i) -> std::uint64_t {
        if (i >= count) site.fail(i, "the segment (" + str(count) + " words) ends before this head word");
        return words[i];
    };
    const std::size_t length = length_from_heads(f, o, read, seg, rows, cols, site);
    if (length != count)
        site.fail(std::min(length, count), "segment " + str(seg) + " is " + str(length) + " words by its head, not " +
                                               str(count));
    switch (f) {
        case WeightFormat::csc_ese: decode_csc(o, words, seg, rows, cols, site, out); break;
        case WeightFormat::cbs_bbs: decode_cbs(words, seg, rows, cols, site, out); break;
        case WeightFormat::csr: decode_csr(words, seg, rows, cols, site, out); break;
        case WeightFormat::esell: break;
    }
    return out;
}

// ---- encoding ----------------------------------------------------------------------

// kFp16Mask[exponent of an fp32 value]: the bits of (mantissa | 1 << 23) that must be zero for
// the value to be ±0 or an fp16 value exactly (what round_to_fp16 keeps bit for bit): normal fp16
// (2^-14..2^15) keeps 10 mantissa bits, subnormal fp16 (2^-24..2^-15) multiples of 2^-24, zero
// and infinity no mantissa bit; any other exponent (or a NaN) can not be one.
constexpr std::array<std::uint32_t, 256> kFp16Mask = [] {
    std::array<std::uint32_t, 256> mask{};
    for (int exp = 0; exp < 256; ++exp) {
        const int e = exp - 127;
        if (exp == 0 || exp == 255)
            mask[exp] = 0x7FFFFFu;
        else if (e < -24 || e > 15)
            mask[exp] = 0xFFFFFFu;
        else
            mask[exp] = (1u << (e >= -14 ? 13 : -1 - e)) - 1u;
    }
    return mask;
}();

bool fp16_or_zero(float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    return (((b & 0x7FFFFFu) | 0x800000u) & kFp16Mask[(b >> 23) & 0xFFu]) == 0;
}

[[noreturn]] void fail_value(WeightFormat f, std::size_t r, std::size_t c, float v, const std::string& why) {
    throw Error(name_of(f) + ": weight (" + str(r) + ", " + str(c) + ") = " + fmt_value(v) + " " + why);
}

// Throws unless every value is one the format stores exactly.
void validate_values(const DenseMatrix& m, WeightFormat f, const PackOptions& o) {
    if (m.values.size() != m.rows * m.cols)
        throw Error(name_of(f) + ": matrix of " + str(m.rows) + "x" + str(m.cols) + " holds " +
                    str(m.values.size()) + " values");
    const bool need_fp16 = !uses_q(f, o);
    // The common case without a branch per value; the slow loop below names the culprit.
    bool bad = false;
    if (need_fp16) {
        for (float v : m.values) bad |= !fp16_or_zero(v);
    }
    if (!bad && !o.fixed12) return;
    for (std::size_t r = 0; r < m.rows; ++r) {
        for (std::size_t c = 0; c < m.cols; ++c) {
            const float v = m.at(r, c);
            if (v == 0.0f) continue;  // either sign: a zero, never stored
            if (std::isnan(v)) fail_value(f, r, c, v, "is NaN");
            if (o.fixed12) {
                const double s = std::ldexp(static_cast<double>(v), o.frac_bits);
                if (!(std::fabs(s) <= kMaxQ) || s != std::nearbyint(s))
                    fail_value(f, r, c, v,
                               "is not 12-bit fixed point q·2^-" + std::to_string(o.frac_bits) + " with |q| <= 2047");
            }
            if (need_fp16 && !fp16_or_zero(v))
                fail_value(f, r, c, v, "is not an fp16 value (nearest: " + fmt_value(round_to_fp16(v)) + ")");
        }
    }
}

[[noreturn]] void fail_too_long(WeightFormat f, std::size_t seg, std::size_t words) {
    throw Error(name_of(f) + ": segment " + str(seg) + " needs " + str(words) + " words, more than the 16-bit table's " +
                str(kMaxSegmentWords));
}

void pack_esell(const DenseMatrix& m, PackedMatrix& p) {
    esell::EsellMatrix e = esell::encode(m);
    p.words = std::move(e.words);
    p.segment_words = std::move(e.block_col_words);
}

struct CscEntry {
    std::uint16_t value = 0;  // fp16 bits, or q & 0xFFF
    std::uint8_t rel = 0;
};

void pack_csc(const DenseMatrix& m, const PackOptions& o, PackedMatrix& p) {
    const std::size_t segs = segment_count(WeightFormat::csc_ese, m.rows, m.cols);
    std::array<std::vector<CscEntry>, kSegmentSpan * kPes> lists;  // [c * kPes + pe]
    for (std::size_t j = 0; j < segs; ++j) {
        const std::size_t col0 = j * kSegmentSpan;
        const std::size_t width = std::min(kSegmentSpan, m.cols - col0);
        for (auto& l : lists) l.clear();
        std::array<std::size_t, kSegmentSpan * kPes> next{};
        for (std::size_t r = 0; r < m.rows; ++r) {
            const std::size_t pe = r % kPes, local = r / kPes;
            const float* row = m.values.data() + r * m.cols + col0;
            for (std::size_t c = 0; c < width; ++c) {
                const float v = row[c];
                if (v == 0.0f) continue;
                const std::size_t k = c * kPes + pe;
                const std::size_t gap = local - next[k];
                // Each padding entry skips 15 zeros and stands on the 16th position itself.
                lists[k].insert(lists[k].end(), gap / (kMaxGap + 1), CscEntry{0, static_cast<std::uint8_t>(kMaxGap)});
                CscEntry e;
                e.rel = static_cast<std::uint8_t>(gap % (kMaxGap + 1));
                if (o.fixed12) {
                    const int q = static_cast<int>(std::ldexp(static_cast<double>(v), o.frac_bits));
                    e.value = static_cast<std::uint16_t>(static_cast<unsigned>(q) & kQMask);
                } else {
                    e.value = fp32_to_fp16(v);
                }
                lists[k].push_back(e);
                next[k] = local + 1;
            }
        }
        std::array<std::size_t, kSegmentSpan> depth{};
        std::size_t total = 1;
        for (std::size_t c = 0; c < kSegmentSpan; ++c) {
            for (std::size_t pe = 0; pe < kPes; ++pe) depth[c] = std::max(depth[c], lists[c * kPes + pe].size());
            total += o.fixed12 ? depth[c] : depth[c] + ceil_div(depth[c], kEntryRowsPerIndexWord);
        }
        if (total > kMaxSegmentWords) fail_too_long(WeightFormat::csc_ese, j, total);

        std::uint64_t head = 0;
        for (std::size_t c = 0; c < kSegmentSpan; ++c) head |= put(static_cast<std::uint16_t>(depth[c]), c);
        p.words.push_back(head);
        for (std::size_t c = 0; c < kSegmentSpan; ++c) {
            const auto entry = [&](std::size_t pe, std::size_t i) {
                const std::vector<CscEntry>& l = lists[c * kPes + pe];
                return i < l.size() ? l[i] : CscEntry{};  // filler (0, 0)
            };
            if (o.fixed12) {
                for (std::size_t i = 0; i < depth[c]; ++i) {
                    std::uint64_t w = 0;
                    for (std::size_t pe = 0; pe < kPes; ++pe) {
                        const CscEntry e = entry(pe, i);
                        w |= put(static_cast<std::uint16_t>(e.value | e.rel << kQBits), pe);
                    }
                    p.words.push_back(w);
                }
                continue;
            }
            for (std::size_t g0 = 0; g0 < depth[c]; g0 += kEntryRowsPerIndexWord) {
                const std::size_t n = std::min(kEntryRowsPerIndexWord, depth[c] - g0);
                std::uint64_t iw = 0;
                for (std::size_t g = 0; g < n; ++g) {
                    for (std::size_t pe = 0; pe < kPes; ++pe)
                        iw |= static_cast<std::uint64_t>(entry(pe, g0 + g).rel) << (kLaneBits * g + kRelBits * pe);
                }
                p.words.push_back(iw);
                for (std::size_t g = 0; g < n; ++g) {
                    std::uint64_t vw = 0;
                    for (std::size_t pe = 0; pe < kPes; ++pe) vw |= put(entry(pe, g0 + g).value, pe);
                    p.words.push_back(vw);
                }
            }
        }
        p.segment_words.push_back(static_cast<std::uint16_t>(total));
    }
}

struct RowEntry {
    std::uint16_t index = 0;  // cbs_bbs: in-bank offset; csr: column
    std::uint16_t value = 0;  // fp16 bits
};

void pack_cbs(const DenseMatrix& m, PackedMatrix& p) {
    const std::size_t segs = segment_count(WeightFormat::cbs_bbs, m.rows, m.cols);
    const std::size_t w = bank_width(m.cols);
    std::array<std::array<std::vector<RowEntry>, kBanks>, kSegmentSpan> banks;  // [row][bank]
    for (std::size_t i = 0; i < segs; ++i) {
        std::array<std::size_t, kSegmentSpan> depth{};
        std::size_t total = 1;
        for (std::size_t r = 0; r < kSegmentSpan; ++r) {
            const std::size_t row = i * kSegmentSpan + r;
            for (std::size_t k = 0; k < kBanks; ++k) {
                std::vector<RowEntry>& bank = banks[r][k];
                bank.clear();
                if (row >= m.rows) continue;
                const std::size_t begin = std::min(m.cols, k * w), end = std::min(m.cols, begin + w);
                const float* values = m.values.data() + row * m.cols;
                for (std::size_t c = begin; c < end; ++c) {
                    if (values[c] != 0.0f)
                        bank.push_back({static_cast<std::uint16_t>(c - begin), fp32_to_fp16(values[c])});
                }
                depth[r] = std::max(depth[r], bank.size());
            }
            total += 2 * depth[r];
        }
        if (total > kMaxSegmentWords) fail_too_long(WeightFormat::cbs_bbs, i, total);
        std::uint64_t head = 0;
        for (std::size_t r = 0; r < kSegmentSpan; ++r) head |= put(static_cast<std::uint16_t>(depth[r]), r);
        p.words.push_back(head);
        for (std::size_t r = 0; r < kSegmentSpan; ++r) {
            for (std::size_t t = 0; t < depth[r]; ++t) {
                std::uint64_t iw = 0, vw = 0;
                for (std::size_t k = 0; k < kBanks; ++k) {
                    if (t >= banks[r][k].size()) continue;  // padding (offset 0, value 0)
                    iw |= put(banks[r][k][t].index, k);
                    vw |= put(banks[r][k][t].value, k);
                }
                p.words.push_back(iw);
                p.words.push_back(vw);
            }
        }
        p.segment_words.push_back(static_cast<std::uint16_t>(total));
    }
}

void pack_csr(const DenseMatrix& m, PackedMatrix& p) {
    const std::size_t segs = segment_count(WeightFormat::csr, m.rows, m.cols);
    std::array<std::vector<RowEntry>, kSegmentSpan> entries;
    for (std::size_t i = 0; i < segs; ++i) {
        std::size_t total = 1;
        for (std::size_t r = 0; r < kSegmentSpan; ++r) {
            const std::size_t row = i * kSegmentSpan + r;
            entries[r].clear();
            if (row >= m.rows) continue;
            const float* values = m.values.data() + row * m.cols;
            for (std::size_t c = 0; c < m.cols; ++c) {
                if (values[c] != 0.0f) entries[r].push_back({static_cast<std::uint16_t>(c), fp32_to_fp16(values[c])});
            }
            if (entries[r].size() > std::numeric_limits<std::uint16_t>::max())
                throw Error("csr: row " + str(row) + " has " + str(entries[r].size()) +
                            " non-zeros, more than its 16-bit count holds");
            total += 2 * ceil_div(entries[r].size(), kLanes);
        }
        if (total > kMaxSegmentWords) fail_too_long(WeightFormat::csr, i, total);
        std::uint64_t head = 0;
        for (std::size_t r = 0; r < kSegmentSpan; ++r) head |= put(static_cast<std::uint16_t>(entries[r].size()), r);
        p.words.push_back(head);
        for (std::size_t r = 0; r < kSegmentSpan; ++r) {
            const std::vector<RowEntry>& e = entries[r];
            for (std::size_t e0 = 0; e0 < e.size(); e0 += kLanes) {
                std::uint64_t iw = 0, vw = 0;
                for (std::size_t k = 0; k < kLanes && e0 + k < e.size(); ++k) {
                    iw |= put(e[e0 + k].index, k);
                    vw |= put(e[e0 + k].value, k);
                }
                p.words.push_back(iw);
                p.words.push_back(vw);
            }
        }
        p.segment_words.push_back(static_cast<std::uint16_t>(total));
    }
}

}  // namespace

const char* weight_format_name(WeightFormat f) {
    switch (f) {
        case WeightFormat::esell: return "esell";
        case WeightFormat::csc_ese: return "csc_ese";
        case WeightFormat::cbs_bbs: return "cbs_bbs";
        case WeightFormat::csr: return "csr";
    }
    return "unknown";
}

bool parse_weight_format(const std::string& name, WeightFormat& out) {
    for (std::size_t k = 0; k < kWeightFormats; ++k) {
        const auto f = static_cast<WeightFormat>(k);
        if (name == weight_format_name(f)) {
            out = f;
            return true;
        }
    }
    return false;
}

bool is_column_format(WeightFormat f) { return f == WeightFormat::esell || f == WeightFormat::csc_ese; }

std::size_t segment_count(WeightFormat f, std::size_t rows, std::size_t cols) {
    return ceil_div(is_column_format(f) ? cols : rows, kSegmentSpan);
}

PackedMatrix pack(const DenseMatrix& m, WeightFormat f, const PackOptions& options) {
    if (static_cast<std::size_t>(f) >= kWeightFormats)
        throw Error("unknown weight format " + std::to_string(static_cast<unsigned>(f)));
    check_shape(f, options, m.rows, m.cols, true);
    validate_values(m, f, options);
    PackedMatrix p;
    p.format = f;
    p.options = options;
    p.rows = m.rows;
    p.cols = m.cols;
    switch (f) {
        case WeightFormat::esell: pack_esell(m, p); break;
        case WeightFormat::csc_ese: pack_csc(m, options, p); break;
        case WeightFormat::cbs_bbs: pack_cbs(m, p); break;
        case WeightFormat::csr: pack_csr(m, p); break;
    }
    return p;
}

DenseMatrix unpack(const PackedMatrix& p) {
    const WeightFormat f = p.format;
    if (static_cast<std::size_t>(f) >= kWeightFormats)
        throw Error("unknown weight format " + std::to_string(static_cast<unsigned>(f)));
    check_shape(f, p.options, p.rows, p.cols, false);
    const std::size_t segs = segment_count(f, p.rows, p.cols);
    if (p.segment_words.size() != segs)
        throw Error(name_of(f) + ": word table has " + str(p.segment_words.size()) + " entries for " + str(segs) +
                    " segments of a " + str(p.rows) + "x" + str(p.cols) + " matrix");
    const std::size_t size = p.words.size();
    // Every segment's length by its heads first: this bounds the shape by the stream before the
    // matrix is allocated.
    std::size_t offset = 0;
    for (std::size_t s = 0; s < segs; ++s) {
        const Site site{f, s, offset, true};
        const std::size_t entry = p.segment_words[s];
        const auto read = [&](std::size_t i) -> std::uint64_t {
            if (offset + i >= size)
                site.fail(i, "the stream (" + str(size) + " words) ends before this head word of segment " + str(s));
            return p.words[offset + i];
        };
        const std::size_t length = length_from_heads(f, p.options, read, s, p.rows, p.cols, site);
        if (length != entry)
            site.fail(0, "segment " + str(s) + " is " + str(length) + " words by its heads, the word table gives " +
                             str(entry));
        if (entry > size - offset)
            site.fail(size - offset, "segment " + str(s) + " (" + str(entry) + " words) runs past the end of the " +
                                         str(size) + "-word stream");
        offset += entry;
    }
    if (offset != size)
        throw Error(name_of(f) + " word " + str(offset) + ": the word table counts " + str(offset) +
                    " words, the stream has " + str(size));

    DenseMatrix m(p.rows, p.cols);
    offset = 0;
    for (std::size_t s = 0; s < segs; ++s) {
        const std::size_t count = p.segment_words[s];
        const Site site{f, s, offset, true};
        const DecodedSegment d =
            decode_checked(f, p.options, p.words.data() + offset, count, s, p.rows, p.cols, site);
        const std::size_t first = s * kSegmentSpan;
        if (is_column_format(f)) {
            for (std::size_t c = 0; c < kSegmentSpan && first + c < p.cols; ++c) {
                const float* column = d.slab.data() + c * p.rows;
                for (std::size_t r = 0; r < p.rows; ++r) m.at(r, first + c) = column[r];
            }
        } else {
            for (std::size_t r = 0; r < kSegmentSpan && first + r < p.rows; ++r)
                std::copy_n(d.slab.data() + r * p.cols, p.cols, m.values.data() + (first + r) * p.cols);
        }
        offset += count;
    }
    return m;
}

std::size_t segment_length(WeightFormat f, const PackOptions& options, const WordReader& read, std::size_t seg,
                           std::size_t rows, std::size_t cols) {
    if (static_cast<std::size_t>(f) >= kWeightFormats)
        throw Error("unknown weight format " + std::to_string(static_cast<unsigned>(f)));
    check_shape(f, options, rows, cols, false);
    check_segment(f, seg, rows, cols);
    const Site site{f, seg, 0, false};
    return length_from_heads(f, options, [&read](std::size_t i) { return read(i); }, seg, rows, cols, site);
}

DecodedSegment decode_segment(WeightFormat f, const PackOptions& options, const std::uint64_t* words,
                              std::size_t count, std::size_t seg, std::size_t rows, std::size_t cols) {
    if (static_cast<std::size_t>(f) >= kWeightFormats)
        throw Error("unknown weight format " + std::to_string(static_cast<unsigned>(f)));
    check_shape(f, options, rows, cols, false);
    check_segment(f, seg, rows, cols);
    if (count != 0 && words == nullptr) throw Error(name_of(f) + ": segment " + str(seg) + " has no words");
    return decode_checked(f, options, words, count, seg, rows, cols, Site{f, seg, 0, false});
}

void segment_word_slots(WeightFormat f, const PackOptions& options, const std::uint64_t* words, std::size_t count,
                        std::size_t seg, std::size_t rows, std::size_t cols, std::vector<std::uint8_t>& out) {
    (void)seg;
    (void)cols;
    if (count == 0) return;
    constexpr std::uint8_t kSteer = 0, kValues = 4;
    switch (f) {
        case WeightFormat::esell: {
            const std::size_t blocks = ceil_div(rows, esell::kBlockHeight);
            std::size_t pos = 0;
            for (std::size_t b = 0; b < blocks && pos < count; ++b) {
                const std::uint64_t head = words[pos];
                const std::size_t values = esell::chunk_width(static_cast<std::uint32_t>(head)) +
                                           esell::chunk_width(static_cast<std::uint32_t>(head >> 32));
                out.push_back(kSteer);
                out.insert(out.end(), values, kValues);
                pos += 1 + values;
            }
            return;
        }
        case WeightFormat::csc_ese: {
            const std::uint64_t head = words[0];
            out.push_back(kSteer);
            for (std::size_t c = 0; c < kSegmentSpan; ++c) {
                const std::size_t d = lane(head, c);
                if (options.fixed12) {
                    out.insert(out.end(), d, kValues);
                    continue;
                }
                for (std::size_t g0 = 0; g0 < d; g0 += kEntryRowsPerIndexWord) {
                    out.push_back(kSteer);
                    out.insert(out.end(), std::min(kEntryRowsPerIndexWord, d - g0), kValues);
                }
            }
            return;
        }
        case WeightFormat::cbs_bbs:
        case WeightFormat::csr: {
            const std::uint64_t head = words[0];
            out.push_back(kSteer);
            for (std::size_t r = 0; r < kSegmentSpan; ++r) {
                const std::size_t d = lane(head, r);
                const std::size_t pairs = f == WeightFormat::csr ? ceil_div(d, kLanes) : d;
                for (std::size_t t = 0; t < pairs; ++t) {
                    out.push_back(kSteer);
                    out.push_back(kValues);
                }
            }
            return;
        }
    }
}

std::vector<std::uint8_t> word_slots(const PackedMatrix& p) {
    std::vector<std::uint8_t> slots;
    slots.reserve(p.words.size());
    std::size_t first = 0;
    for (std::size_t j = 0; j < p.segment_words.size(); ++j) {
        segment_word_slots(p.format, p.options, p.words.data() + first, p.segment_words[j], j, p.rows, p.cols, slots);
        first += p.segment_words[j];
    }
    return slots;
}

std::size_t value_words(const PackedMatrix& p) {
    const std::vector<std::uint8_t> slots = word_slots(p);
    return static_cast<std::size_t>(std::count_if(slots.begin(), slots.end(), [](std::uint8_t s) { return s != 0; }));
}

}  // namespace elstm
