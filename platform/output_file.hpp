#pragma once
#include <cstdio>
#include <string>
#include <string_view>

namespace elstm {

// An output file (stats, VCD) that is never left looking complete nor mixed with another
// run's: a regular file (symbolic links followed: the link stays, its target is written) gets
// the text in a temporary file of its own beside it, `<target>.<pid>-<random>.tmp`, and only
// commit() — once every write, the flush and the close succeeded — renames it over the target;
// otherwise the temporary file is removed. A device or FIFO is written in place (renaming over
// it would replace the node), and "-" or our own stdout or stderr through that descriptor
// (resolve_output, output_path.hpp).
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

    std::string path_, key_;
    std::string target_, temp_;  // a regular file: what commit() renames temp_ to; else both empty
    std::FILE* file_ = nullptr;
    std::string error_;
};

// Writes `text` to `path` as an OutputFile; false (and `error`) if it could not.
bool write_output(const std::string& path, std::string_view text, const std::string& key, std::string* error);

}  // namespace elstm
