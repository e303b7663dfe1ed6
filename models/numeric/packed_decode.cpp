#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/packed_layout.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>

// Decoding: word stream to values, checking every word (the layouts are in numeric/packed_layout.hpp).
namespace elstm {
namespace {

using namespace packed_detail;

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

}  // namespace

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
