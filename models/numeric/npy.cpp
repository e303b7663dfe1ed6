#include <elstm_vp/numeric/npy.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>
#include <elstm_vp/numeric/regular_file.hpp>

namespace elstm {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw Error(path + ": " + what);
}

std::string shape_string(const std::vector<std::size_t>& shape) {
    std::ostringstream s;
    s << "(";
    for (std::size_t k = 0; k < shape.size(); ++k) s << (k ? ", " : "") << shape[k];
    s << (shape.size() == 1 ? ",)" : ")");
    return s.str();
}

std::uint32_t read_le(const std::string& bytes, std::size_t pos, std::size_t len) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < len; ++k)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[pos + k])) << (8 * k);
    return v;
}

void append_le(std::string& out, std::uint32_t v, std::size_t len) {
    for (std::size_t k = 0; k < len; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFFu));
}

struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::size_t> shape;
};

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (3, 4), }. A small recursive-descent reader for exactly that subset.
class HeaderParser {
public:
    HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

    Header parse() {
        Header h;
        bool seen[3] = {false, false, false};
        expect('{');
        while (!peek('}')) {
            const std::string key = string_literal();
            expect(':');
            if (key == "descr") {
                h.descr = string_literal();
                seen[0] = true;
            } else if (key == "fortran_order") {
                h.fortran_order = boolean();
                seen[1] = true;
            } else if (key == "shape") {
                h.shape = tuple();
                seen[2] = true;
            } else {
                error("unexpected key '" + key + "'");
            }
            if (!peek('}')) expect(',');
        }
        expect('}');
        if (!(seen[0] && seen[1] && seen[2]))
            error("'descr', 'fortran_order' and 'shape' are all required");
        return h;
    }

private:
    [[noreturn]] void error(const std::string& what) const {
        fail(path_, "malformed .npy header: " + what);
    }

    void skip_space() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }

    bool peek(char c) {
        skip_space();
        return pos_ < s_.size() && s_[pos_] == c;
    }

    void expect(char c) {
        if (!peek(c)) error(std::string("expected '") + c + "' at offset " + std::to_string(pos_));
        ++pos_;
    }

    std::string string_literal() {
        skip_space();
        const char quote = pos_ < s_.size() ? s_[pos_] : '\0';
        if (quote != '\'' && quote != '"') error("expected a string at offset " + std::to_string(pos_));
        const std::size_t end = s_.find(quote, pos_ + 1);
        if (end == std::string::npos) error("unterminated string");
        std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
        pos_ = end + 1;
        return out;
    }

    bool boolean() {
        skip_space();
        for (const bool value : {true, false}) {
            const char* word = value ? "True" : "False";
            if (s_.compare(pos_, std::strlen(word), word) == 0) {
                pos_ += std::strlen(word);
                return value;
            }
        }
        error("'fortran_order' must be True or False");
    }

    std::vector<std::size_t> tuple() {
        std::vector<std::size_t> dims;
        expect('(');
        while (!peek(')')) {
            dims.push_back(integer());
            if (!peek(')')) expect(',');
        }
        expect(')');
        return dims;
    }

    std::size_t integer() {
        skip_space();
        if (pos_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[pos_])))
            error("expected a non-negative integer in 'shape'");
        std::size_t v = 0;
        for (; pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_])); ++pos_) {
            const std::size_t digit = static_cast<std::size_t>(s_[pos_] - '0');
            if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) error("dimension too large");
            v = v * 10 + digit;
        }
        return v;
    }

    const std::string& s_;
    const std::string& path_;
    std::size_t pos_ = 0;
};

std::size_t element_count(const std::vector<std::size_t>& shape, const std::string& path) {
    std::size_t count = 1;
    for (const std::size_t d : shape) {
        if (d != 0 && count > std::numeric_limits<std::size_t>::max() / d)
            fail(path, "shape " + shape_string(shape) + " is too large");
        count *= d;
    }
    return count;
}

// Only explicit little-endian floats: '=' (native) and '|' leave a float's byte order
// to the machine that wrote the file, so they are as ambiguous as they are rare.
std::size_t item_size(const std::string& descr, const std::string& path) {
    if (descr == "<f4") return 4;
    if (descr == "<f2") return 2;
    fail(path, "unsupported dtype '" + descr + "' (expected little-endian float32 '<f4' or float16 '<f2')");
}

// Integers: one byte ('|u1', '|i1') or explicit little-endian ('<i2' ... '<u8'); is_signed says which.
std::size_t int_item_size(const std::string& descr, const std::string& path, bool* is_signed) {
    const bool byte = descr.size() == 3 && descr[2] == '1' && (descr[0] == '|' || descr[0] == '<');
    const bool wide = descr.size() == 3 && descr[0] == '<' && (descr[2] == '2' || descr[2] == '4' || descr[2] == '8');
    if ((byte || wide) && (descr[1] == 'i' || descr[1] == 'u')) {
        *is_signed = descr[1] == 'i';
        return static_cast<std::size_t>(descr[2] - '0');
    }
    fail(path, "unsupported dtype '" + descr + "' (expected an integer: '|u1', '|i1' or little-endian '<i2' .. '<u8')");
}

// `count` items of `item` bytes at `bytes`, converted to fp32 into `out`.
void decode(const unsigned char* bytes, std::size_t count, std::size_t item, float* out) {
    for (std::size_t k = 0; k < count; ++k) {
        std::uint32_t bits = 0;
        for (std::size_t b = 0; b < item; ++b) bits |= static_cast<std::uint32_t>(bytes[k * item + b]) << (8 * b);
        if (item == 2) {
            out[k] = fp16_to_fp32(static_cast<std::uint16_t>(bits));
        } else {
            std::memcpy(&out[k], &bits, sizeof(float));
        }
    }
}

// The preamble before the data: magic, version, header length, header.
constexpr std::size_t kPreambleStart = 12;  // enough for the header length of every version
// A header describes one array in a few dozen bytes; anything longer is not one.
constexpr std::size_t kMaxHeaderLen = 1u << 20;

// From the file's first bytes (up to kPreambleStart of them): where its data starts.
std::size_t data_offset(const std::string& first, const std::string& path) {
    if (first.size() < 10 || first.compare(0, kMagicLen, kMagic) != 0) fail(path, "not a .npy file (bad magic)");
    const int major = static_cast<unsigned char>(first[6]);
    const int minor = static_cast<unsigned char>(first[7]);
    if (major < 1 || major > 3)
        fail(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
    // Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one.
    const std::size_t len_size = major == 1 ? 2 : 4;
    if (first.size() < 8 + len_size) fail(path, "truncated header");
    const std::size_t header_len = read_le(first, 8, len_size);
    if (header_len > kMaxHeaderLen)
        fail(path, "malformed .npy header: " + std::to_string(header_len) + " bytes long (at most " +
                       std::to_string(kMaxHeaderLen) + ")");
    return 8 + len_size + header_len;
}

// What the header says and where the data is; checked against the file's size before any
// data is read.
struct Layout {
    Header header;
    std::size_t offset = 0, item = 0, count = 0;
};

// `is_signed` null: a float array; else an integer one, and it says whether the integers are signed.
Layout parse_layout(const std::string& preamble, std::uint64_t file_size, const std::string& path,
                    bool* is_signed = nullptr) {
    Layout l;
    l.offset = preamble.size();
    const std::size_t len_size = preamble[6] == 1 ? 2 : 4;
    l.header = HeaderParser(preamble.substr(8 + len_size), path).parse();
    const Header& h = l.header;
    if (h.fortran_order) fail(path, "fortran_order True is not supported (C order expected)");
    l.item = is_signed ? int_item_size(h.descr, path, is_signed) : item_size(h.descr, path);
    l.count = element_count(h.shape, path);
    if (l.count > std::numeric_limits<std::size_t>::max() / l.item)
        fail(path, "shape " + shape_string(h.shape) + " is too large");
    const std::uint64_t expected = l.count * l.item;
    const std::uint64_t actual = file_size - l.offset;
    if (actual != expected) {
        fail(path, std::string(actual < expected ? "truncated" : "oversized") + " data: shape " +
                       shape_string(h.shape) + " of '" + h.descr + "' needs " + std::to_string(expected) +
                       " bytes, the file has " + std::to_string(actual));
    }
    return l;
}

// Reads the preamble of `f`, which is then positioned at its data.
Layout read_layout(RegularFile& f, bool* is_signed = nullptr) {
    std::string first(static_cast<std::size_t>(std::min<std::uint64_t>(f.size(), kPreambleStart)), '\0');
    f.read(first.data(), first.size());
    const std::size_t offset = data_offset(first, f.path());
    if (f.size() < offset) fail(f.path(), "truncated header");
    std::string preamble = first;
    preamble.resize(offset);
    f.read(preamble.data() + first.size(), offset - first.size());
    return parse_layout(preamble, f.size(), f.path(), is_signed);
}

std::string header_text(const std::vector<std::size_t>& shape, bool as_fp16) {
    std::string h = std::string("{'descr': '") + (as_fp16 ? "<f2" : "<f4") +
                    "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
    // Pad with spaces and end with '\n' so the data starts 64-byte aligned (10-byte preamble).
    const std::size_t unpadded = 10 + h.size() + 1;
    h.append((64 - unpadded % 64) % 64, ' ');
    h.push_back('\n');
    return h;
}

// Rounds every value to fp16 in place.
void round_to_fp16_values(std::vector<float>& values, const std::string& path) {
    for (std::size_t k = 0; k < values.size(); ++k) {
        const float v = values[k];
        values[k] = round_to_fp16(v);
        if (!std::isfinite(values[k])) {
            std::ostringstream msg;
            msg << "element " << k << " = " << v << " is not a finite fp16 value";
            fail(path, msg.str());
        }
    }
}

[[noreturn]] void shape_mismatch(const std::string& path, const std::vector<std::size_t>& shape,
                                 const std::string& expected) {
    fail(path, "shape " + shape_string(shape) + " does not match the expected " + expected);
}

}  // namespace

NpyArray load_npy(const std::string& path) {
    RegularFile f(path);
    const Layout l = read_layout(f);
    // Straight from the file into the array, a chunk at a time: the array is the only copy.
    NpyArray a{l.header.shape, std::vector<float>(l.count)};
    constexpr std::size_t kChunkItems = 1u << 18;
    std::vector<unsigned char> chunk(std::min(l.count, kChunkItems) * l.item);
    for (std::size_t done = 0; done < l.count;) {
        const std::size_t items = std::min(l.count - done, kChunkItems);
        f.read(chunk.data(), items * l.item);
        decode(chunk.data(), items, l.item, a.data.data() + done);
        done += items;
    }
    return a;
}

std::vector<std::size_t> npy_shape(const std::string& path) {
    RegularFile f(path);
    return read_layout(f).header.shape;
}

NpyIntArray load_npy_int(const std::string& path) {
    RegularFile f(path);
    bool is_signed = false;
    const Layout l = read_layout(f, &is_signed);
    std::vector<unsigned char> bytes(l.count * l.item);
    f.read(bytes.data(), bytes.size());
    NpyIntArray a{l.header.shape, std::vector<std::int64_t>(l.count)};
    for (std::size_t k = 0; k < l.count; ++k) {
        std::uint64_t bits = 0;
        for (std::size_t b = 0; b < l.item; ++b) bits |= std::uint64_t{bytes[k * l.item + b]} << (8 * b);
        const unsigned width = static_cast<unsigned>(8 * l.item);
        if (is_signed && width < 64 && (bits >> (width - 1)) != 0) bits |= ~std::uint64_t{0} << width;  // sign-extend
        if (!is_signed && width == 64 && bits > std::uint64_t{std::numeric_limits<std::int64_t>::max()})
            fail(path, "element " + std::to_string(k) + " = " + std::to_string(bits) + " does not fit int64");
        a.data[k] = static_cast<std::int64_t>(bits);
    }
    return a;
}

NpyArray load_npy_bytes(const std::string& bytes, const std::string& path) {
    const std::size_t offset = data_offset(bytes.substr(0, kPreambleStart), path);
    if (bytes.size() < offset) fail(path, "truncated header");
    const Layout l = parse_layout(bytes.substr(0, offset), bytes.size(), path);
    NpyArray a{l.header.shape, std::vector<float>(l.count)};
    decode(reinterpret_cast<const unsigned char*>(bytes.data()) + l.offset, l.count, l.item, a.data.data());
    return a;
}

std::string npy_preamble(const std::vector<std::size_t>& shape, bool as_fp16, const std::string& path) {
    const std::string header = header_text(shape, as_fp16);
    if (header.size() > 0xFFFF) fail(path, "shape " + shape_string(shape) + " is too long for a v1.0 header");
    std::string out(kMagic, kMagicLen);
    out.push_back('\x01');
    out.push_back('\x00');
    append_le(out, static_cast<std::uint32_t>(header.size()), 2);
    return out + header;
}

std::string npy_data(const float* values, std::size_t count, bool as_fp16) {
    std::string out;
    out.reserve(count * (as_fp16 ? 2 : 4));
    for (std::size_t k = 0; k < count; ++k) {
        if (as_fp16) {
            append_le(out, fp32_to_fp16(values[k]), 2);
        } else {
            std::uint32_t bits;
            std::memcpy(&bits, &values[k], sizeof bits);
            append_le(out, bits, 4);
        }
    }
    return out;
}

void save_npy(const std::string& path, const std::vector<std::size_t>& shape,
              const std::vector<float>& data, bool as_fp16) {
    const std::size_t count = element_count(shape, path);
    if (count != data.size())
        fail(path, "shape " + shape_string(shape) + " has " + std::to_string(count) +
                       " elements but the data has " + std::to_string(data.size()));
    const std::string out = npy_preamble(shape, as_fp16, path) + npy_data(data.data(), data.size(), as_fp16);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) fail(path, "cannot open for writing");
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.close();
    if (!f) fail(path, "write error");
}

DenseMatrix npy_to_matrix(NpyArray a, const std::string& path) {
    if (a.shape.size() != 1 && a.shape.size() != 2)
        fail(path, "expected a 1-D or 2-D array, got shape " + shape_string(a.shape));
    DenseMatrix m;
    m.rows = a.shape[0];
    m.cols = a.shape.size() == 2 ? a.shape[1] : 1;
    if (a.data.size() != m.rows * m.cols)
        fail(path, "shape " + shape_string(a.shape) + " does not match its " +
                       std::to_string(a.data.size()) + " values");
    m.values = std::move(a.data);
    return m;
}

DenseMatrix npy_fp16_matrix(NpyArray a, const std::string& path) {
    DenseMatrix m = npy_to_matrix(std::move(a), path);
    round_to_fp16_values(m.values, path);
    return m;
}

LstmLayerWeights load_layer_npy(const std::string& w_path, const std::string& u_path,
                                const std::string& bias_path) {
    // n comes from U (4n × n); W and the bias are then checked against it, each from its
    // header before its data is read.
    const std::vector<std::size_t> u_shape = npy_shape(u_path);
    const std::size_t n = u_shape.size() == 2 ? u_shape[1] : 0;
    const std::string rows_text = std::to_string(4 * n);
    if (n == 0 || u_shape[0] != 4 * n)
        shape_mismatch(u_path, u_shape,
                       n ? "(4n, n) = (" + rows_text + ", " + std::to_string(n) + ")" : "(4n, n) with n > 0");
    const std::string from_u = " (n = " + std::to_string(n) + " from " + u_path + ")";

    const std::vector<std::size_t> w_shape = npy_shape(w_path);
    if (w_shape.size() != 2 || w_shape[0] != 4 * n || w_shape[1] == 0)
        shape_mismatch(w_path, w_shape, "(4n, m) = (" + rows_text + ", m > 0)" + from_u);

    const std::vector<std::size_t> b_shape = npy_shape(bias_path);
    if (b_shape.size() != 1 || b_shape[0] != 4 * n)
        shape_mismatch(bias_path, b_shape, "(4n,) = (" + rows_text + ",)" + from_u);

    // Each array is the matrix's own storage, rounded in place: one copy of the values.
    LstmLayerWeights layer;
    layer.input_size = w_shape[1];
    layer.hidden_size = n;
    layer.u = npy_fp16_matrix(load_npy(u_path), u_path);
    layer.w = npy_fp16_matrix(load_npy(w_path), w_path);
    layer.bias = load_npy(bias_path).data;
    round_to_fp16_values(layer.bias, bias_path);
    return layer;
}

}  // namespace elstm
