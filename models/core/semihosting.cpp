#include <elstm_vp/core/semihosting.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <elstm_vp/numeric/hex.hpp>

namespace elstm {

namespace {

namespace sys {
constexpr std::uint64_t kOpen = 0x01, kClose = 0x02, kWriteC = 0x03, kWrite0 = 0x04, kWrite = 0x05,
                        kRead = 0x06, kIsTty = 0x09, kSeek = 0x0A, kFlen = 0x0C, kClock = 0x10, kTime = 0x11,
                        kErrno = 0x13, kGetCmdline = 0x15, kHeapInfo = 0x16, kExit = 0x18,
                        kExitExtended = 0x20, kElapsed = 0x30, kTickFreq = 0x31;
constexpr std::uint64_t kApplicationExit = 0x20026;  // ADP_Stopped_ApplicationExit
}  // namespace sys

// picolibc's exit() opens this file to learn whether SYS_EXIT_EXTENDED exists; without it,
// SYS_EXIT only tells 0 from non-zero. Magic "SHFB", then feature byte 0 with bit 0 =
// SH_EXT_EXIT_EXTENDED (bit 1, SH_EXT_STDOUT_STDERR, stays clear: ":tt" is one console).
const std::string kFeaturesFile = ":semihosting-features";
const std::string kFeatures{'S', 'H', 'F', 'B', '\x01'};

// A call whose arguments point outside memory.
class GuestMemoryError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

bool WindowMemory::read(std::uint64_t addr, void* data, std::size_t len) {
    if (!contains(addr, len)) return false;
    if (len) std::memcpy(data, window_.ptr + (addr - window_.base), len);
    return true;
}

bool WindowMemory::write(std::uint64_t addr, const void* data, std::size_t len) {
    if (!contains(addr, len)) return false;
    if (len) std::memcpy(window_.ptr + (addr - window_.base), data, len);
    return true;
}

// Host reads and writes go through a buffer of this size.
constexpr std::uint64_t kChunk = 64 * 1024;

Semihosting::Semihosting(GuestMemory& memory, std::ostream& console, const std::string& root)
    : memory_(memory), console_(console), root_(root) {
    // stdin, stdout and stderr are open on the console, so a program may write(1, ...) without
    // opening ":tt" first (picolibc's stdio uses SYS_WRITEC and opens nothing).
    for (std::uint64_t handle = 0; handle < 3; ++handle) files_[handle].tty = true;
}

SemihostingResult Semihosting::call(std::uint64_t op, std::uint64_t arg, const SemihostingTime& time) {
    SemihostingResult out;
    try {
        out.value = dispatch(op, arg, time, out);
    } catch (const GuestMemoryError& e) {
        out.kind = SemihostingResult::Kind::bad_memory;
        out.error = e.what();
    }
    return out;
}

std::int64_t Semihosting::dispatch(std::uint64_t op, std::uint64_t arg, const SemihostingTime& time,
                                   SemihostingResult& out) {
    switch (op) {
        case sys::kOpen: return open_file(arg);
        case sys::kClose: return files_.erase(load_word(arg)) ? 0 : fail(HostRoot::kBadHandle);
        case sys::kWriteC: {
            char c;
            load(arg, &c, 1);
            console_.put(c);
            return 0;
        }
        case sys::kWrite0: console_ << load_string(arg); return 0;
        case sys::kWrite: return write_file(arg);
        case sys::kRead: return read_file(arg);
        case sys::kIsTty: {
            const HostFile* f = file(load_word(arg));
            return f ? f->tty : fail(HostRoot::kBadHandle);
        }
        case sys::kSeek: return seek_file(arg);
        case sys::kFlen: return file_length(load_word(arg));
        case sys::kClock: return time.centiseconds;
        case sys::kTime: return time.centiseconds / 100;
        case sys::kElapsed: store(arg, &time.cycles, sizeof time.cycles); return 0;
        case sys::kTickFreq: return time.ticks_per_second;
        case sys::kErrno: return errno_;
        case sys::kGetCmdline: return get_cmdline(arg);
        // picolibc passes a zeroed block and, finding it still zero, uses its linker symbols.
        case sys::kHeapInfo: return 0;
        // Block {reason, subcode}. Only ADP_Stopped_ApplicationExit carries the exit code;
        // picolibc's SYS_EXIT fallback reports any other code as another reason, which exits with 1.
        case sys::kExit:
        case sys::kExitExtended: {
            const std::uint64_t reason = load_word(arg), subcode = load_word(arg + 8);
            out.kind = SemihostingResult::Kind::exit;
            return reason == sys::kApplicationExit ? static_cast<std::int64_t>(subcode) : 1;
        }
    }
    out.kind = SemihostingResult::Kind::unsupported;
    return 0;
}

// Block {name, mode, name length}: the console (":tt", any mode), the features file
// (read-only), or a file under the root.
std::int64_t Semihosting::open_file(std::uint64_t block) {
    const std::uint64_t name_addr = load_word(block), mode = load_word(block + 8), length = load_word(block + 16);
    if (length > kMaxName || mode > 11) return fail(HostRoot::kInvalid);
    check_buffer(name_addr, length, "read");
    std::string name(length, '\0');
    load(name_addr, name.data(), length);
    if (files_.size() >= kMaxOpen) return fail(HostRoot::kTooManyOpen);
    HostFile f;
    if (name == ":tt") {
        f.tty = true;
    } else if (name == kFeaturesFile) {
        if (mode > 1) return fail(HostRoot::kDenied);  // modes 0, 1: "r", "rb"
        f.contents = kFeatures;
    } else {
        int error = 0;
        f.fd = root_.open(name, static_cast<unsigned>(mode), error);
        if (!f.fd) return fail(error);
    }
    files_.emplace(next_handle_, std::move(f));
    return static_cast<std::int64_t>(next_handle_++);
}

// Block {handle, buffer, length}; returns the bytes not read (all of them at the end of the
// file). The console has no input (EOF).
std::int64_t Semihosting::read_file(std::uint64_t block) {
    HostFile* f = file(load_word(block));
    const std::uint64_t buffer = load_word(block + 8), length = load_word(block + 16);
    if (!f) return fail(HostRoot::kBadHandle);
    check_buffer(buffer, length, "write");
    if (!f->fd) {
        const std::uint64_t n = std::min<std::uint64_t>(length, f->contents.size() - f->pos);
        store(buffer, f->contents.data() + f->pos, n);
        f->pos += n;
        return static_cast<std::int64_t>(length - n);
    }
    std::vector<char> chunk(std::min(length, kChunk));
    std::uint64_t done = 0;
    while (done < length) {
        const ssize_t n = ::read(f->fd.get(), chunk.data(), std::min<std::uint64_t>(chunk.size(), length - done));
        if (n < 0) return fail(HostRoot::reported(errno));
        if (n == 0) break;
        store(buffer + done, chunk.data(), static_cast<std::size_t>(n));
        done += static_cast<std::uint64_t>(n);
    }
    return static_cast<std::int64_t>(length - done);
}

// Block {handle, buffer, length}; returns the bytes not written. The features file is read-only.
std::int64_t Semihosting::write_file(std::uint64_t block) {
    const HostFile* f = file(load_word(block));
    const std::uint64_t buffer = load_word(block + 8), length = load_word(block + 16);
    if (!f) return fail(HostRoot::kBadHandle);
    check_buffer(buffer, length, "read");
    if (!f->tty && !f->fd) return fail(HostRoot::kBadHandle);
    std::vector<char> chunk(std::min(length, kChunk));
    for (std::uint64_t sent = 0; sent < length;) {
        const std::uint64_t n = std::min<std::uint64_t>(chunk.size(), length - sent);
        load(buffer + sent, chunk.data(), n);
        if (f->tty) {
            console_.write(chunk.data(), static_cast<std::streamsize>(n));
            sent += n;
            continue;
        }
        const ssize_t written = ::write(f->fd.get(), chunk.data(), n);
        if (written <= 0) {
            fail(written < 0 ? HostRoot::reported(errno) : HostRoot::kIo);
            return static_cast<std::int64_t>(length - sent);
        }
        sent += static_cast<std::uint64_t>(written);
    }
    return 0;
}

// Block {handle, position}: to an absolute position; 0, or -1 with the error.
std::int64_t Semihosting::seek_file(std::uint64_t block) {
    HostFile* f = file(load_word(block));
    const std::uint64_t pos = load_word(block + 8);
    if (!f) return fail(HostRoot::kBadHandle);
    if (f->tty) return fail(HostRoot::kInvalid);
    if (!f->fd) {
        if (pos > f->contents.size()) return fail(HostRoot::kInvalid);
        f->pos = pos;
        return 0;
    }
    if (pos > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) return fail(HostRoot::kInvalid);
    if (::lseek(f->fd.get(), static_cast<off_t>(pos), SEEK_SET) < 0) return fail(HostRoot::reported(errno));
    return 0;
}

std::int64_t Semihosting::file_length(std::uint64_t handle) {
    const HostFile* f = file(handle);
    if (!f) return fail(HostRoot::kBadHandle);
    if (f->tty) return fail(HostRoot::kInvalid);
    if (!f->fd) return static_cast<std::int64_t>(f->contents.size());
    struct stat st {};
    if (::fstat(f->fd.get(), &st) != 0) return fail(HostRoot::reported(errno));
    return static_cast<std::int64_t>(st.st_size);
}

// Records `error` for SYS_ERRNO; the call returns -1.
std::int64_t Semihosting::fail(int error) {
    errno_ = error;
    return -1;
}

// Block {buffer, size}: the command line is empty.
std::int64_t Semihosting::get_cmdline(std::uint64_t block) {
    const std::uint64_t buffer = load_word(block), size = load_word(block + 8);
    if (size == 0) return -1;
    check_buffer(buffer, size, "write");
    const char nul = '\0';
    const std::uint64_t length = 0;
    store(buffer, &nul, 1);
    store(block + 8, &length, sizeof length);
    return 0;
}

Semihosting::HostFile* Semihosting::file(std::uint64_t handle) {
    const auto it = files_.find(handle);
    return it == files_.end() ? nullptr : &it->second;
}

void Semihosting::load(std::uint64_t addr, void* data, std::size_t len) {
    if (len && !memory_.read(addr, data, len)) throw GuestMemoryError("cannot read memory at " + hex(addr));
}

void Semihosting::store(std::uint64_t addr, const void* data, std::size_t len) {
    if (len && !memory_.write(addr, data, len)) throw GuestMemoryError("cannot write memory at " + hex(addr));
}

// A whole buffer, before any of it is used: a bad length must not stream memory to the console
// before the call fails.
void Semihosting::check_buffer(std::uint64_t addr, std::uint64_t len, const char* access) {
    if (!memory_.contains(addr, len))
        throw GuestMemoryError(std::string("cannot ") + access + " a buffer of " + std::to_string(len) +
                               " bytes at " + hex(addr) + ": it runs outside memory");
}

// A parameter-block field (RV64 and the host are both little-endian).
std::uint64_t Semihosting::load_word(std::uint64_t addr) {
    std::uint64_t v;
    load(addr, &v, sizeof v);
    return v;
}

std::string Semihosting::load_string(std::uint64_t addr) {
    std::string s;
    for (char c = 0;; ++addr) {
        load(addr, &c, 1);
        if (c == '\0') return s;
        s.push_back(c);
    }
}

}  // namespace elstm
