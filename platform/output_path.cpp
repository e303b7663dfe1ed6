#include <elstm_vp/platform/output_path.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elstm_vp/numeric/error.hpp>

namespace elstm {

namespace {

// Links followed before giving up with ELOOP, as the kernel does (MAXSYMLINKS).
constexpr int kMaxLinks = 40;

std::string folder_of(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? "." : parent.string();
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// The descriptor among stdout and stderr that is open on the file `s`, or -1.
int stream_on(const struct stat& s) {
    for (const int fd : {1, 2}) {
        struct stat open_file {};
        if (fstat(fd, &open_file) == 0 && same_file(s, open_file)) return fd;
    }
    return -1;
}

// Follows the links of the last component of `path`: a chain ends at a regular file, or at a
// name that does not exist yet (a dangling link names the file to create).
OutputTarget follow_links(std::string path) {
    OutputTarget t;
    for (int hops = 0; hops <= kMaxLinks; ++hops) {
        struct stat s {};
        if (lstat(path.c_str(), &s) != 0 || !S_ISLNK(s.st_mode)) {
            t.path = path;
            struct stat folder {};
            if (stat(folder_of(path).c_str(), &folder) != 0 || !S_ISDIR(folder.st_mode)) t.error = ENOENT;
            return t;
        }
        std::error_code ec;
        const std::filesystem::path target = std::filesystem::read_symlink(path, ec);
        if (ec) {
            t.path = path;
            t.error = ec.value();
            return t;
        }
        path = target.is_absolute() ? target.string() : (std::filesystem::path(folder_of(path)) / target).string();
    }
    t.path = path;
    t.error = ELOOP;
    return t;
}

// What makes `path` the same file as another: its device and inode once it exists, else its
// folder's and its name (two outputs not yet written may still be one file).
struct FileIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    std::string name;
    bool operator==(const FileIdentity& o) const { return dev == o.dev && ino == o.ino && name == o.name; }
};

std::optional<FileIdentity> input_identity(const std::string& path) {
    struct stat s {};
    if (path.empty() || stat(path.c_str(), &s) != 0) return std::nullopt;
    return FileIdentity{s.st_dev, s.st_ino, ""};
}

// Only outputs replaced as regular files can destroy another file; devices and streams may be shared.
std::optional<FileIdentity> output_identity(const std::string& path) {
    if (path.empty()) return std::nullopt;
    const OutputTarget t = resolve_output(path);
    if (t.kind != OutputTarget::Kind::file || t.error) return std::nullopt;
    struct stat s {};
    if (stat(t.path.c_str(), &s) == 0) return FileIdentity{s.st_dev, s.st_ino, ""};
    if (stat(folder_of(t.path).c_str(), &s) != 0) return std::nullopt;
    return FileIdentity{s.st_dev, s.st_ino, std::filesystem::path(t.path).filename().string()};
}

}  // namespace

OutputTarget resolve_output(const std::string& path) {
    OutputTarget t;
    t.path = path;
    if (path == "-") {
        t.kind = OutputTarget::Kind::stream;
        t.fd = 1;
        return t;
    }
    if (path.empty() || path.back() == '/') {
        t.error = EISDIR;
        return t;
    }
    struct stat s {};
    if (stat(path.c_str(), &s) == 0) {
        if (S_ISDIR(s.st_mode)) {
            t.error = EISDIR;
        } else if ((t.fd = stream_on(s)) >= 0) {
            t.kind = OutputTarget::Kind::stream;
            t.path = "-";
        } else if (!S_ISREG(s.st_mode)) {
            t.kind = OutputTarget::Kind::in_place;
        } else {
            t = follow_links(path);
        }
        return t;
    }
    if (errno != ENOENT) {
        t.error = errno;
        return t;
    }
    return follow_links(path);
}

int create_unique(const std::string& stem, const std::string& suffix, std::string* name) {
    static std::mt19937_64 random{std::random_device{}() ^ static_cast<std::uint64_t>(getpid())};
    for (int attempt = 0; attempt < 100; ++attempt) {
        char unique[40];
        std::snprintf(unique, sizeof unique, ".%d-%06llx.", static_cast<int>(getpid()),
                      static_cast<unsigned long long>(random() & 0xffffff));
        *name = stem + unique + suffix;
        const int fd = open(name->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

void check_writable(const std::string& path, const std::string& key) {
    const auto fail = [&](const std::string& why) { throw Error(key + ": cannot write " + path + ": " + why); };
    const OutputTarget t = resolve_output(path);
    if (t.error == EISDIR) fail("it is a folder");
    if (t.error == ENOENT) fail("no folder " + folder_of(t.path));
    if (t.error) fail(std::strerror(t.error));
    if (t.kind == OutputTarget::Kind::stream) return;
    if (t.kind == OutputTarget::Kind::in_place) {
        if (access(path.c_str(), W_OK) != 0) fail(std::strerror(errno));
        return;
    }
    // The one sure test: make the temporary file the output will be written to, and remove it.
    std::string probe;
    const int fd = create_unique(t.path, "tmp", &probe);
    if (fd < 0 && errno == ENAMETOOLONG)
        fail(std::string(std::strerror(errno)) + " (the temporary name " + probe + " written first)");
    if (fd < 0) fail(std::strerror(errno));
    close(fd);
    unlink(probe.c_str());
}

std::string interrupted_path(const std::string& path, const std::string& extension) {
    if (resolve_output(path).kind != OutputTarget::Kind::file) return path;
    const bool has = path.size() > extension.size() &&
                     path.compare(path.size() - extension.size(), extension.size(), extension) == 0;
    return (has ? path.substr(0, path.size() - extension.size()) : path) + ".interrupted" + extension;
}

void check_distinct(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs) {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const std::optional<FileIdentity> out = output_identity(outputs[i].path);
        if (!out) continue;
        const auto clash = [&](const NamedPath& other) {
            throw Error(outputs[i].key + ": cannot write " + outputs[i].path + ": it is the same file as " +
                        other.key + " (" + other.path + ")");
        };
        for (std::size_t j = 0; j < i; ++j)
            if (output_identity(outputs[j].path) == out) clash(outputs[j]);
        for (const NamedPath& in : inputs)
            if (input_identity(in.path) == out) clash(in);
    }
}

}  // namespace elstm
