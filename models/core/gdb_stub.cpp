#include <elstm_vp/core/gdb_stub.hpp>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace elstm::gdb {

const Csr kCsrs[] = {
    {"mstatus", 0x300}, {"misa", 0x301},  {"mie", 0x304},      {"mtvec", 0x305},     {"mscratch", 0x340},
    {"mepc", 0x341},    {"mcause", 0x342}, {"mtval", 0x343},   {"mip", 0x344},       {"mcycle", 0xb00},
    {"minstret", 0xb02}, {"cycle", 0xc00}, {"time", 0xc01},    {"instret", 0xc02},   {"mvendorid", 0xf11},
    {"marchid", 0xf12}, {"mimpid", 0xf13}, {"mhartid", 0xf14},
};
const unsigned kCsrCount = sizeof(kCsrs) / sizeof(kCsrs[0]);

namespace {

const char kHex[] = "0123456789abcdef";

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A whole string of hex digits (at most 16) as a number.
bool parse_hex(const std::string& s, std::uint64_t& value) {
    if (s.empty() || s.size() > 16) return false;
    value = 0;
    for (char c : s) {
        const int d = hex_digit(c);
        if (d < 0) return false;
        value = value << 4 | static_cast<unsigned>(d);
    }
    return true;
}

// "addr,len" (the part after the command letter, up to the end or ':').
bool parse_range(const std::string& s, std::uint64_t& addr, std::uint64_t& len) {
    const auto comma = s.find(',');
    return comma != std::string::npos && parse_hex(s.substr(0, comma), addr) && parse_hex(s.substr(comma + 1), len);
}

std::string hex_bytes(const std::uint8_t* data, std::size_t len) {
    std::string out;
    out.reserve(2 * len);
    for (std::size_t i = 0; i < len; ++i) {
        out += kHex[data[i] >> 4];
        out += kHex[data[i] & 15];
    }
    return out;
}

bool unhex_bytes(const std::string& s, std::vector<std::uint8_t>& out) {
    if (s.size() % 2) return false;
    out.clear();
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return true;
}

// A register as the target's bytes: little-endian, 16 hex digits.
std::string hex_register(std::uint64_t v) {
    std::uint8_t bytes[8];
    for (unsigned i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(v >> (8 * i));
    return hex_bytes(bytes, 8);
}

bool unhex_register(const std::string& s, std::uint64_t& v) {
    std::vector<std::uint8_t> bytes;
    if (s.size() != 16 || !unhex_bytes(s, bytes)) return false;
    v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= std::uint64_t{bytes[i]} << (8 * i);
    return true;
}

Reply ok() { return {std::string("OK"), Resume::none}; }
Reply error(unsigned code) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "E%02x", code & 0xff);
    return {std::string(buf), Resume::none};
}
Reply unsupported() { return {std::string(), Resume::none}; }

constexpr unsigned kErrBadArgs = 1, kErrMemory = 14;  // 14: EFAULT

}  // namespace

std::string frame(const std::string& payload) {
    unsigned sum = 0;
    for (unsigned char c : payload) sum += c;
    std::string out = "$" + payload + "#";
    out += kHex[(sum >> 4) & 15];
    out += kHex[sum & 15];
    return out;
}

std::string escape_binary(const std::string& data) {
    std::string out;
    for (char c : data) {
        if (c == '#' || c == '$' || c == '}' || c == '*') {
            out += '}';
            out += static_cast<char>(c ^ 0x20);
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<PacketReader::Event> PacketReader::feed(char c) {
    switch (state_) {
        case State::idle:
            if (c == '\x03') return Event{Event::Kind::interrupt, {}};
            if (c == '$') {
                body_.clear();
                checksum_ = 0;
                state_ = State::body;
            }
            return std::nullopt;  // acks and line noise between packets
        case State::body:
            if (c == '#') {
                state_ = State::checksum_high;
            } else if (c == '$') {  // a new packet restarts: the old one was cut short
                body_.clear();
                checksum_ = 0;
            } else {
                body_ += c;
                checksum_ += static_cast<unsigned char>(c);
            }
            return std::nullopt;
        case State::checksum_high: {
            const int d = hex_digit(c);
            state_ = d < 0 ? State::idle : State::checksum_low;
            if (d < 0) return Event{Event::Kind::bad_checksum, {}};
            checksum_ = (checksum_ & 0xff) ^ (static_cast<unsigned>(d) << 4);
            return std::nullopt;
        }
        case State::checksum_low: {
            state_ = State::idle;
            const int d = hex_digit(c);
            if (d < 0 || (checksum_ ^ static_cast<unsigned>(d)) != 0) return Event{Event::Kind::bad_checksum, {}};
            return Event{Event::Kind::packet, std::move(body_)};
        }
    }
    return std::nullopt;
}

Reply Stub::handle(const std::string& p) {
    if (p.empty()) return unsupported();
    const std::string args = p.substr(1);
    switch (p[0]) {
        case '?': return {std::string("S05"), Resume::none};
        case 'g': return read_registers();
        case 'G': return write_registers(args);
        case 'p': return read_register(args);
        case 'P': return write_register(args);
        case 'm': return read_memory(args);
        case 'M': return write_memory(args, false);
        case 'X': return write_memory(args, true);
        case 'c': return {std::nullopt, Resume::cont};
        case 's': return {std::nullopt, Resume::step};
        case 'D': return {std::string("OK"), Resume::detach};
        case 'k': return {std::nullopt, Resume::kill};
        case 'H': return ok();  // one thread
        case 'T': return ok();
        case 'Z':
        case 'z': return breakpoint(p);
        case 'q': return query(p);
        case 'v': return vcont(p);
        default: return unsupported();
    }
}

bool Stub::register_value(unsigned n, std::uint64_t& value) {
    if (n < 32) {
        value = target_.gpr(n);
        return true;
    }
    if (n == kPcRegister) {
        value = target_.pc();
        return true;
    }
    return n - kPcRegister - 1 < kCsrCount && target_.csr(kCsrs[n - kPcRegister - 1].addr, value);
}

bool Stub::set_register(unsigned n, std::uint64_t value) {
    if (n < 32) {
        target_.set_gpr(n, value);
        return true;
    }
    if (n == kPcRegister) {
        target_.set_pc(value);
        return true;
    }
    return n - kPcRegister - 1 < kCsrCount && target_.set_csr(kCsrs[n - kPcRegister - 1].addr, value);
}

// x0..x31 and pc; GDB reads the CSRs one by one with p.
Reply Stub::read_registers() {
    std::string out;
    for (unsigned n = 0; n <= kPcRegister; ++n) {
        std::uint64_t v = 0;
        register_value(n, v);
        out += hex_register(v);
    }
    return {out, Resume::none};
}

Reply Stub::write_registers(const std::string& hex) {
    if (hex.size() != 16 * (kPcRegister + 1)) return error(kErrBadArgs);
    std::uint64_t values[kPcRegister + 1];
    for (unsigned n = 0; n <= kPcRegister; ++n)
        if (!unhex_register(hex.substr(16 * n, 16), values[n])) return error(kErrBadArgs);
    for (unsigned n = 0; n <= kPcRegister; ++n) set_register(n, values[n]);
    return ok();
}

Reply Stub::read_register(const std::string& args) {
    std::uint64_t n, v;
    if (!parse_hex(args, n) || n > 0xffff) return error(kErrBadArgs);
    if (!register_value(static_cast<unsigned>(n), v)) return error(kErrBadArgs);
    return {hex_register(v), Resume::none};
}

Reply Stub::write_register(const std::string& args) {
    const auto eq = args.find('=');
    std::uint64_t n, v;
    if (eq == std::string::npos || !parse_hex(args.substr(0, eq), n) || n > 0xffff ||
        !unhex_register(args.substr(eq + 1), v))
        return error(kErrBadArgs);
    return set_register(static_cast<unsigned>(n), v) ? ok() : error(kErrBadArgs);
}

Reply Stub::read_memory(const std::string& args) {
    std::uint64_t addr, len;
    if (!parse_range(args, addr, len) || len > kPacketSize / 2) return error(kErrBadArgs);
    std::vector<std::uint8_t> data(len);
    if (len && (addr + len - 1 < addr || !target_.read_memory(addr, data.data(), len))) return error(kErrMemory);
    return {hex_bytes(data.data(), data.size()), Resume::none};
}

// M addr,len:hex and X addr,len:binary (escaped with '}').
Reply Stub::write_memory(const std::string& args, bool binary) {
    const auto colon = args.find(':');
    std::uint64_t addr, len;
    if (colon == std::string::npos || !parse_range(args.substr(0, colon), addr, len)) return error(kErrBadArgs);
    const std::string body = args.substr(colon + 1);
    std::vector<std::uint8_t> data;
    if (binary) {
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '}') {
                if (++i == body.size()) return error(kErrBadArgs);
                data.push_back(static_cast<std::uint8_t>(body[i] ^ 0x20));
            } else {
                data.push_back(static_cast<std::uint8_t>(body[i]));
            }
        }
    } else if (!unhex_bytes(body, data)) {
        return error(kErrBadArgs);
    }
    if (data.size() != len) return error(kErrBadArgs);
    if (len && (addr + len - 1 < addr || !target_.write_memory(addr, data.data(), len))) return error(kErrMemory);
    return ok();
}

// Z0/Z1 (software and hardware breakpoints alike: the core checks pc before each instruction
// while a debugger is attached) and Z2..Z4 (watchpoints on addr,len: the core reports each data
// access while one is set, see watch_hit).
Reply Stub::breakpoint(const std::string& p) {
    if (p.size() < 3 || p[1] < '0' || p[1] > '4' || p[2] != ',') return unsupported();
    std::string rest = p.substr(3);
    rest = rest.substr(0, rest.find(';'));  // conditions: none evaluated here
    std::uint64_t addr, kind;
    if (!parse_range(rest, addr, kind)) return error(kErrBadArgs);
    if (p[1] >= '2') {
        if (kind == 0 || addr + (kind - 1) < addr) return error(kErrBadArgs);
        const auto same = [&](const Watchpoint& w) { return w.type == p[1] && w.addr == addr && w.len == kind; };
        if (p[0] == 'Z') {
            watchpoints_.push_back({p[1], addr, kind});
        } else if (const auto it = std::find_if(watchpoints_.begin(), watchpoints_.end(), same);
                   it != watchpoints_.end()) {
            watchpoints_.erase(it);
        }
        return ok();
    }
    if (p[0] == 'Z')
        breakpoints_.insert(addr);
    else
        breakpoints_.erase(addr);
    return ok();
}

std::optional<std::string> Stub::watch_hit(std::uint64_t addr, std::uint64_t len, bool read, bool write) const {
    for (const Watchpoint& w : watchpoints_) {
        const bool seen = w.type == '2' ? write : w.type == '3' ? read : read || write;
        // Overlap of [addr, addr+len) and [w.addr, w.addr+w.len), inclusive ends against wrapping.
        if (!seen || len == 0 || addr > w.addr + (w.len - 1) || w.addr > addr + (len - 1)) continue;
        char buf[48];
        std::snprintf(buf, sizeof buf, "T05%s:%llx;", w.type == '2' ? "watch" : w.type == '3' ? "rwatch" : "awatch",
                      static_cast<unsigned long long>(std::max(addr, w.addr)));
        return std::string(buf);
    }
    return std::nullopt;
}

Reply Stub::query(const std::string& p) {
    if (p.rfind("qSupported", 0) == 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "PacketSize=%x;qXfer:features:read+;vContSupported+", kPacketSize);
        return {std::string(buf), Resume::none};
    }
    if (p == "qAttached") return {std::string("1"), Resume::none};
    if (p == "qC") return {std::string("QC1"), Resume::none};
    if (p == "qfThreadInfo") return {std::string("m1"), Resume::none};
    if (p == "qsThreadInfo") return {std::string("l"), Resume::none};
    const std::string xfer = "qXfer:features:read:target.xml:";
    if (p.rfind(xfer, 0) == 0) {
        std::uint64_t offset, len;
        if (!parse_range(p.substr(xfer.size()), offset, len)) return error(kErrBadArgs);
        const std::string xml = target_xml();
        if (offset >= xml.size()) return {std::string("l"), Resume::none};
        const std::string part = xml.substr(offset, len);
        return {(offset + part.size() < xml.size() ? "m" : "l") + escape_binary(part), Resume::none};
    }
    if (p.rfind("qXfer:", 0) == 0) return error(0);
    return unsupported();
}

// vCont with one action for the one thread: c or s (C and S with their signal ignored).
Reply Stub::vcont(const std::string& p) {
    if (p == "vCont?") return {std::string("vCont;c;C;s;S"), Resume::none};
    if (p.rfind("vCont;", 0) != 0) return unsupported();
    const char action = p.size() > 6 ? p[6] : 0;
    if (action == 'c' || action == 'C') return {std::nullopt, Resume::cont};
    if (action == 's' || action == 'S') return {std::nullopt, Resume::step};
    return error(kErrBadArgs);
}

std::string target_xml() {
    static const char* const kAbi[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
                                         "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
                                         "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
    std::string x =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
        "<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
    for (unsigned i = 0; i < 32; ++i) {
        const char* type = i == 1 ? "code_ptr" : i == 2 || i == 8 ? "data_ptr" : "int";
        x += "<reg name=\"" + std::string(kAbi[i]) + "\" bitsize=\"64\" type=\"" + type + "\" regnum=\"" +
             std::to_string(i) + "\"/>\n";
    }
    x += "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n"
         "<feature name=\"org.gnu.gdb.riscv.csr\">\n";
    for (unsigned k = 0; k < kCsrCount; ++k)
        x += "<reg name=\"" + std::string(kCsrs[k].name) + "\" bitsize=\"64\" type=\"int\" regnum=\"" +
             std::to_string(kPcRegister + 1 + k) + "\" group=\"csr\"/>\n";
    x += "</feature>\n</target>\n";
    return x;
}

}  // namespace elstm::gdb
