#include <elstm_vp/core/host_root.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

namespace {

// The plain components of a relative name, or nothing when it has any other kind.
bool split(const std::string& name, std::vector<std::string>& parts) {
    if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos) return false;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = name.find('/', start);
        std::string part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.empty() || part == "." || part == "..") return false;
        parts.push_back(std::move(part));
        if (slash == std::string::npos) return true;
        start = slash + 1;
    }
}

}  // namespace

int HostRoot::reported(int host_errno) {
    switch (host_errno) {
        case ENOENT: return HostRoot::kNoEntry;
        // O_NOFOLLOW met a symlink (ELOOP), or O_DIRECTORY one (ENOTDIR), or the host refused.
        case ELOOP:
        case ENOTDIR:
        case EACCES:
        case EPERM:
        case ENXIO:
        case EISDIR: return HostRoot::kDenied;
        case EMFILE:
        case ENFILE: return HostRoot::kTooManyOpen;
        case EBADF: return HostRoot::kBadHandle;
        case EINVAL: return HostRoot::kInvalid;
        default: return HostRoot::kIo;
    }
}

HostRoot::HostRoot(const std::string& folder) {
    if (folder.empty()) return;
    dir_ = UniqueFd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    // The folder was checked with the config; it can still vanish before the run starts.
    if (!dir_) throw Error("host.semihosting.root: cannot open " + folder + ": " + std::strerror(errno));
}

UniqueFd HostRoot::open(const std::string& name, unsigned mode, int& error) const {
    static constexpr int kFlags[] = {O_RDONLY, O_RDWR, O_WRONLY | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC,
                                     O_WRONLY | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND};
    std::vector<std::string> parts;
    if (!dir_) {
        error = kDenied;
        return {};
    }
    if (mode > 11) {
        error = kInvalid;
        return {};
    }
    if (!split(name, parts)) {
        error = kDenied;
        return {};
    }
    UniqueFd here;
    int at = dir_.get();
    for (std::size_t k = 0; k + 1 < parts.size(); ++k) {
        UniqueFd next(::openat(at, parts[k].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) {
            error = reported(errno);
            return {};
        }
        here = std::move(next);
        at = here.get();
    }
    // Non-blocking, so a FIFO opens (or fails) at once instead of waiting for a peer.
    UniqueFd fd(::openat(at, parts.back().c_str(), kFlags[mode / 2] | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
    if (!fd) {
        error = reported(errno);
        return {};
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        error = kDenied;
        return {};
    }
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    error = 0;
    return fd;
}

}  // namespace elstm
