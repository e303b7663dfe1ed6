#include "output_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace elstm {

// A device or FIFO takes the bytes as a stream: there is no complete-looking file to avoid.
bool written_in_place(const std::string& path) {
    std::error_code ec;
    const std::filesystem::file_status s = std::filesystem::status(path, ec);
    return std::filesystem::exists(s) && !std::filesystem::is_regular_file(s) && !std::filesystem::is_directory(s);
}

OutputFile::OutputFile(std::string path, std::string key)
    : path_(std::move(path)), key_(std::move(key)), written_(written_in_place(path_) ? path_ : path_ + ".tmp") {
    file_ = std::fopen(written_.c_str(), "wb");
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
    if (closed != 0 || (written_ != path_ && std::rename(written_.c_str(), path_.c_str()) != 0)) {
        fail(errno);
        return false;
    }
    written_.clear();
    return true;
}

void OutputFile::fail(int error) {
    discard();
    error_ = key_ + ": cannot write " + path_ + ": " + std::strerror(error);
}

// Closes without committing: the temporary file goes, a device stays.
void OutputFile::discard() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    if (!written_.empty() && written_ != path_) std::remove(written_.c_str());
    written_.clear();
}

bool write_output(const std::string& path, std::string_view text, const std::string& key, std::string* error) {
    OutputFile out(path, key);
    out.write(text);
    if (out.commit()) return true;
    if (error) *error = out.error();
    return false;
}

}  // namespace elstm
