#pragma once
#include <cstdio>
#include <string>
#include <string_view>

namespace elstm {

// An output file (stats, VCD) that is never left looking complete: the text goes to
// `<path>.tmp`, and only commit() — once every write, the flush and the close succeeded —
// renames it to `path`; otherwise the temporary file is removed. A `path` that exists and is
// not a regular file (a device such as /dev/full or /dev/null, a FIFO) is written in place:
// renaming over it would replace the device node.
// Failures are kept, not thrown: outputs are written after the simulation, and an exception
// thrown once SystemC has switched coroutine stacks makes AddressSanitizer report false errors
// (google/sanitizers#189). The first failure stops all further writing.
class OutputFile {
public:
    OutputFile(std::string path, std::string key);
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    void write(std::string_view text);
    // False if this or anything before it failed (error() says what); then nothing is left.
    bool commit();
    // "<key>: cannot write <path>: <reason>" (e.g. "No space left on device"), or "".
    const std::string& error() const { return error_; }

private:
    void fail(int error);
    void discard();

    std::string path_, key_, written_;  // written_: the temporary name, or path_ for a device
    std::FILE* file_ = nullptr;
    std::string error_;
};

// True if `path` is an existing device or FIFO, which an OutputFile writes in place.
bool written_in_place(const std::string& path);

// Writes `text` to `path` as an OutputFile; false (and `error`) if it could not.
bool write_output(const std::string& path, std::string_view text, const std::string& key, std::string* error);

}  // namespace elstm
