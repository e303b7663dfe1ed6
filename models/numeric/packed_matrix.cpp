#include <elstm_vp/numeric/packed_matrix.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/esell.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/packed_layout.hpp>

// Packing: dense matrix to word stream (the layouts are in numeric/packed_layout.hpp).
namespace elstm {
namespace {

using namespace packed_detail;

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

}  // namespace elstm
