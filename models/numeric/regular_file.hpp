#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace elstm {

// An input file opened for reading only if it is a regular file (after following links): a
// FIFO would block or never end, a device such as /dev/zero never ends, a directory has no bytes.
// The open itself never blocks (O_NONBLOCK), so a FIFO is refused, not waited on.
class RegularFile {
public:
    // Throws elstm::Error "PATH: is a FIFO, not a regular file" (a directory, a character device,
    // ...), or "PATH: cannot open: <reason>".
    explicit RegularFile(const std::string& path);
    ~RegularFile();
    RegularFile(const RegularFile&) = delete;
    RegularFile& operator=(const RegularFile&) = delete;

    const std::string& path() const { return path_; }
    // Its size when it was opened.
    std::uint64_t size() const { return size_; }
    // Reads `len` bytes at the current position; throws elstm::Error naming the path if the
    // file ends before them or cannot be read.
    void read(void* out, std::size_t len);

private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace elstm
