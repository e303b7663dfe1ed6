// libFuzzer target: the packed weight formats (numeric/packed_matrix: esell, csc_ese, cbs_bbs,
// csr) decoding arbitrary 64-bit words through unpack, decode_segment, segment_length and
// segment_word_slots.
//
// Input layout (everything past the end of the input reads as zero):
//   byte 0      flags: bits 0-1 the format (0 esell, 1 csc_ese, 2 cbs_bbs, 3 csr); bit 2
//               fixed12; bit 3 derived word table (walk the segment heads with segment_length,
//               so that the table mostly agrees with the stream and the fuzzer gets past the
//               table checks; else the table is read from the input)
//   byte 1      frac_bits, modulo 20
//   byte 2, 3   rows, cols, each modulo 80
//   table       one byte per segment (explicit table only)
//   the rest    64-bit little-endian words (a trailing partial word is dropped; with a derived
//               table, so are the words past the last segment)
//
// unpack may throw elstm::Error; anything else is a finding, and so is, for a stream unpack
// accepts: decode_segment rejecting one of its segments or decoding it to other values,
// segment_word_slots not giving one slot per word, or pack refusing the matrix or packing it
// into a stream that unpacks to another matrix.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_input.hpp"
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/matrix.hpp>
#include <elstm_vp/numeric/packed_matrix.hpp>

namespace {

using elstm::fuzz::Reader;

[[noreturn]] void finding(const char* what) { elstm::fuzz::finding("fuzz_packed", what); }

// Bit for bit (a decoder must not turn -0 into +0 or the like), any NaN matching any NaN.
bool same_bits(float a, float b) {
    return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

// The derived table: each segment's length by its heads, from where the previous one ended
// (0 for a segment whose heads are malformed or run past the stream). Drops the words past the
// last segment, which would only fail the table's total.
void derive_table(elstm::PackedMatrix& p) {
    const std::size_t segs = elstm::segment_count(p.format, p.rows, p.cols);
    std::size_t at = 0;
    for (std::size_t s = 0; s < segs; ++s) {
        const elstm::WordReader read = [&](std::uint64_t i) -> std::uint64_t {
            if (at + i >= p.words.size()) throw elstm::Error("past the stream");
            return p.words[at + i];
        };
        std::size_t length = 0;
        try {
            length = elstm::segment_length(p.format, p.options, read, s, p.rows, p.cols);
        } catch (const elstm::Error&) {
            length = 0;
        }
        p.segment_words.push_back(static_cast<std::uint16_t>(length));
        at += length;
    }
    if (at < p.words.size()) p.words.resize(at);
}

// Every segment of a stream unpack accepted, on its own: decode_segment must accept it and
// land the values unpack returned (zeros past the matrix), segment_word_slots give one slot
// per word.
void check_segments(const elstm::PackedMatrix& p, const elstm::DenseMatrix& m) {
    const bool column_format = elstm::is_column_format(p.format);
    const std::size_t length = column_format ? p.rows : p.cols;  // of one slab column / row
    const std::size_t segs = elstm::segment_count(p.format, p.rows, p.cols);
    std::size_t at = 0;
    for (std::size_t s = 0; s < segs; ++s) {
        const std::size_t count = p.segment_words[s];
        const std::uint64_t* words = p.words.data() + at;
        elstm::DecodedSegment d;
        try {
            d = elstm::decode_segment(p.format, p.options, words, count, s, p.rows, p.cols);
        } catch (const elstm::Error&) {
            finding("decode_segment rejects a segment unpack accepts");
        }
        std::vector<std::uint8_t> slots;
        elstm::segment_word_slots(p.format, p.options, words, count, s, p.rows, p.cols, slots);
        if (slots.size() != count) finding("segment_word_slots does not give one slot per word");
        for (std::size_t a = 0; a < elstm::kSegmentSpan; ++a) {
            for (std::size_t b = 0; b < length; ++b) {
                const std::size_t r = column_format ? b : s * elstm::kSegmentSpan + a;
                const std::size_t c = column_format ? s * elstm::kSegmentSpan + a : b;
                const float want = r < p.rows && c < p.cols ? m.at(r, c) : 0.0f;
                if (!same_bits(d.slab[a * length + b], want)) finding("decode_segment differs from unpack");
            }
        }
        at += count;
    }
}

// Packing the unpacked matrix again gives a stream that unpacks to the same matrix.
void check_repack(const elstm::PackedMatrix& p, const elstm::DenseMatrix& m) {
    for (const float v : m.values)
        if (std::isnan(v)) return;  // pack refuses NaN weights; any fp16 pattern decodes
    elstm::PackOptions options = p.options;
    // Only csc_ese decodes 12-bit q; the fp16 formats do not recheck that a value is 12-bit
    // fixed point, so pack with fixed12 could rightly refuse what they decode.
    if (p.format != elstm::WeightFormat::csc_ese) options.fixed12 = false;
    elstm::PackedMatrix again;
    try {
        again = elstm::pack(m, p.format, options);
    } catch (const elstm::Error&) {
        finding("pack refuses a matrix unpack returned");
    }
    if (!(elstm::unpack(again) == m)) finding("unpack(pack(unpack(p))) != unpack(p)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    const unsigned flags = static_cast<unsigned>(in.take(1));
    elstm::PackedMatrix p;
    p.format = static_cast<elstm::WeightFormat>(flags & 3u);
    p.options.fixed12 = (flags & 4u) != 0;
    p.options.frac_bits = static_cast<int>(in.take(1) % 20);
    p.rows = in.take(1) % 80;
    p.cols = in.take(1) % 80;
    const bool derived = (flags & 8u) != 0;
    if (!derived) {
        const std::size_t segs = elstm::segment_count(p.format, p.rows, p.cols);
        for (std::size_t s = 0; s < segs; ++s) p.segment_words.push_back(static_cast<std::uint16_t>(in.take(1)));
    }
    p.words = in.words();
    if (derived) derive_table(p);

    elstm::DenseMatrix m;
    try {
        m = elstm::unpack(p);
    } catch (const elstm::Error&) {
        return 0;
    }
    check_segments(p, m);
    check_repack(p, m);
    return 0;
}
