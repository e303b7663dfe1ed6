#include <elstm_vp/numeric/regular_file.hpp>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

namespace {

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

[[noreturn]] void refuse(const std::string& path, mode_t mode) {
    throw Error(path + ": is " + file_kind(mode) + ", not a regular file");
}

}  // namespace

RegularFile::RegularFile(const std::string& path) : path_(path) {
    // stat first: opening a socket fails obscurely and opening a FIFO would wait for a writer.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error(path + ": cannot open: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) refuse(path, st.st_mode);
    // O_NONBLOCK: should the path have become a FIFO since, the open returns rather than waits.
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        const mode_t mode = st.st_mode;
        ::close(fd_);
        refuse(path, mode);
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
}

RegularFile::~RegularFile() { ::close(fd_); }

void RegularFile::read(void* out, std::size_t len) {
    auto* p = static_cast<unsigned char*>(out);
    while (len > 0) {
        const ssize_t got = ::read(fd_, p, len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw Error(path_ + ": cannot read: " + std::strerror(errno));
        if (got == 0) throw Error(path_ + ": the file ended early (was it changed while being read?)");
        p += got;
        len -= static_cast<std::size_t>(got);
    }
}

}  // namespace elstm
