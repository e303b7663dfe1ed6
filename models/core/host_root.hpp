#pragma once
#include <cstddef>
#include <string>

namespace elstm {

// A host file descriptor, closed when it goes.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release();

private:
    int fd_ = -1;
};

// The folder the firmware's files live in; nothing outside it can be reached. A name is a
// relative path of plain components (no "..", ".", empty component or leading "/"), walked
// one component at a time from the folder's descriptor with O_NOFOLLOW: a symlink anywhere
// on the way is refused, and a folder renamed or replaced while a name is walked cannot lead
// out (the walk never goes by path again). Only regular files open: a FIFO or device is
// opened non-blocking, seen by fstat and closed without a read or write.
class HostRoot {
public:
    // Errors as semihosting reports them (SYS_ERRNO): values that newlib, picolibc and Linux
    // share, whatever the host said, so a run reports the same on every host.
    static constexpr int kNoEntry = 2;       // ENOENT: no such file
    static constexpr int kIo = 5;            // EIO: any other host failure
    static constexpr int kBadHandle = 9;     // EBADF
    static constexpr int kDenied = 13;       // EACCES: outside the root, a symlink, not a regular file, no root
    static constexpr int kInvalid = 22;      // EINVAL: a bad mode, name or offset
    static constexpr int kTooManyOpen = 24;  // EMFILE

    // `folder` empty: no file access at all. Throws std::runtime_error when the folder cannot
    // be opened as a directory.
    explicit HostRoot(const std::string& folder);

    bool enabled() const { return static_cast<bool>(dir_); }

    // Opens `name` with semihosting mode `mode` (0..11: "r", "rb", "r+", "r+b", "w", "wb",
    // "w+", "w+b", "a", "ab", "a+", "a+b"). Returns the descriptor, or an empty one with
    // `error` set to one of the values above.
    UniqueFd open(const std::string& name, unsigned mode, int& error) const;

    // A host errno (from open, read, write, lseek) as one of the values above.
    static int reported(int host_errno);

private:
    UniqueFd dir_;
};

}  // namespace elstm
