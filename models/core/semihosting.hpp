#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include <elstm_vp/core/host_root.hpp>
#include <elstm_vp/core/rv_iss.hpp>

namespace elstm {

// Guest memory as semihosting reaches it, the way a debugger does: in zero time, each access
// all or nothing.
class GuestMemory {
public:
    virtual ~GuestMemory() = default;
    // Whether every byte of [addr, addr + len) exists; true for len 0.
    virtual bool contains(std::uint64_t addr, std::uint64_t len) = 0;
    virtual bool read(std::uint64_t addr, void* data, std::size_t len) = 0;
    virtual bool write(std::uint64_t addr, const void* data, std::size_t len) = 0;
};

// Whether [addr, addr + len) lies inside `window` (without overflow for any addr and len).
inline bool window_holds(const rv::DirectMemory& window, std::uint64_t addr, std::uint64_t len) {
    return window.ptr && addr >= window.base && len <= window.size && addr - window.base <= window.size - len;
}

// Guest memory that is one window of host memory (the core's DMI window).
class WindowMemory : public GuestMemory {
public:
    explicit WindowMemory(const rv::DirectMemory& window) : window_(window) {}
    bool contains(std::uint64_t addr, std::uint64_t len) override { return len == 0 || window_holds(window_, addr, len); }
    bool read(std::uint64_t addr, void* data, std::size_t len) override;
    bool write(std::uint64_t addr, const void* data, std::size_t len) override;

private:
    rv::DirectMemory window_;
};

// Simulated time as the clock calls report it (there is no wall clock: runs stay deterministic).
struct SemihostingTime {
    std::uint64_t cycles = 0;           // SYS_ELAPSED
    std::int64_t centiseconds = 0;      // SYS_CLOCK; SYS_TIME is its whole seconds
    std::int64_t ticks_per_second = 0;  // SYS_TICKFREQ
};

// What one call did.
struct SemihostingResult {
    enum class Kind {
        value,        // `value` goes into a0
        exit,         // the program ended with exit code `value`
        unsupported,  // no such call
        bad_memory,   // `error` names the memory the call could not reach
    };
    Kind kind = Kind::value;
    std::int64_t value = 0;
    std::string error;
};

// The RISC-V semihosting calls served (Arm semihosting numbering; on RV64 every field of a
// parameter block is a 64-bit word): the console (stdin, stdout, stderr and ":tt"), the
// read-only features file picolibc asks for, files in a host folder (HostRoot: none without
// one), the clocks (simulated time, SYS_TIME counting from 0 at the start), the command line
// (empty), exit. A buffer a call reads or writes is checked whole before any of it is used.
class Semihosting {
public:
    // Handles open at once, the console's three included.
    static constexpr std::size_t kMaxOpen = 64;
    // The longest file name SYS_OPEN takes.
    static constexpr std::uint64_t kMaxName = 4096;

    // `root`: the folder of the program's files, empty for none (see HostRoot).
    Semihosting(GuestMemory& memory, std::ostream& console, const std::string& root = {});

    // One call: op (a0) and its argument (a1; for most calls the address of a parameter block).
    SemihostingResult call(std::uint64_t op, std::uint64_t arg, const SemihostingTime& time);

private:
    // An open handle: the console, the features file (`contents`) or a host file (`fd`).
    struct HostFile {
        bool tty = false;
        std::string contents;
        std::uint64_t pos = 0;
        UniqueFd fd;
    };

    std::int64_t dispatch(std::uint64_t op, std::uint64_t arg, const SemihostingTime& time, SemihostingResult& out);
    std::int64_t open_file(std::uint64_t block);
    std::int64_t read_file(std::uint64_t block);
    std::int64_t write_file(std::uint64_t block);
    std::int64_t seek_file(std::uint64_t block);
    std::int64_t file_length(std::uint64_t handle);
    std::int64_t fail(int error);
    std::int64_t get_cmdline(std::uint64_t block);
    HostFile* file(std::uint64_t handle);

    void load(std::uint64_t addr, void* data, std::size_t len);
    void store(std::uint64_t addr, const void* data, std::size_t len);
    void check_buffer(std::uint64_t addr, std::uint64_t len, const char* access);
    std::uint64_t load_word(std::uint64_t addr);
    std::string load_string(std::uint64_t addr);

    GuestMemory& memory_;
    std::ostream& console_;
    HostRoot root_;
    int errno_ = 0;  // the last failed call's error, for SYS_ERRNO
    std::map<std::uint64_t, HostFile> files_;
    std::uint64_t next_handle_ = 3;  // 0, 1 and 2 are the console from the start
};

}  // namespace elstm
