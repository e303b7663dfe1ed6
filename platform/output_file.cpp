#include <elstm_vp/platform/output_file.hpp>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <elstm_vp/platform/output_path.hpp>

namespace elstm {

OutputFile::OutputFile(std::string path, std::string key) : path_(std::move(path)), key_(std::move(key)) {
    const OutputTarget t = resolve_output(path_);
    if (t.error) {
        fail(t.error);
        return;
    }
    int fd = -1;
    switch (t.kind) {
        case OutputTarget::Kind::file:
            fd = create_unique(t.path, "tmp", &temp_);
            if (fd >= 0) target_ = t.path;
            else temp_.clear();
            break;
        // A FIFO blocks here until a reader opens it, as any writer of a FIFO does.
        case OutputTarget::Kind::in_place: fd = open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC); break;
        case OutputTarget::Kind::stream:
            // What the process printed on the stream so far comes first.
            std::fflush(nullptr);
            fd = dup(t.fd);
            break;
    }
    if (fd >= 0 && !(file_ = fdopen(fd, "wb"))) close(fd);
    if (!file_) fail(errno);
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::write(std::string_view text) {
    if (file_ && std::fwrite(text.data(), 1, text.size(), file_) != text.size()) fail(errno);
}

bool OutputFile::commit() {
    if (!file_) return false;
    // The last buffered bytes fail here on a full disk (or at close, on a network file system).
    if (std::fflush(file_) != 0) {
        fail(errno);
        return false;
    }
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0 || (!temp_.empty() && std::rename(temp_.c_str(), target_.c_str()) != 0)) {
        fail(errno);
        return false;
    }
    temp_.clear();
    return true;
}

void OutputFile::fail(int error) {
    discard();
    error_ = key_ + ": cannot write " + path_ + ": " + std::strerror(error);
}

// Closes without committing: the temporary file goes, a device or stream stays.
void OutputFile::discard() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    if (!temp_.empty()) std::remove(temp_.c_str());
    temp_.clear();
}

bool write_output(const std::string& path, std::string_view text, const std::string& key, std::string* error) {
    OutputFile out(path, key);
    out.write(text);
    if (out.commit()) return true;
    if (error) *error = out.error();
    return false;
}

}  // namespace elstm
