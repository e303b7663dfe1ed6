// libFuzzer target: how an output path is written and whether two paths are one file
// (resolve_output, check_writable, interrupted_path, check_distinct, write_output;
// platform/output_path.hpp) on arbitrary relative paths inside a temporary folder the harness
// makes once: files, a folder, links (to a file, a chain, dangling, to the folder, a cycle, one
// climbing "..", to /dev/null) and a FIFO. Paths that would climb out of the folder are skipped,
// so nothing is ever written outside it (the folder's links all point inside, or at /dev/null,
// which is never written). elstm::Error is the expected answer to an unwritable path;
// anything else, or a broken promise, is a finding.
//
// Input: byte 0 chooses what to do (bit 0: also write the output), the rest is up to three
// paths separated by '\n'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_input.hpp"
#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/platform/output_file.hpp>
#include <elstm_vp/platform/output_path.hpp>

namespace {

namespace fs = std::filesystem;
using elstm::fuzz::finding;

// The harness's folder, made on the first input and removed at exit.
struct Fixture {
    std::string dir;
    Fixture() {
        std::string templ = (fs::temp_directory_path() / "elstm-fuzz-output.XXXXXX").string();
        if (!mkdtemp(templ.data())) finding("fuzz_output_path", "cannot make the temporary folder");
        dir = templ;
        const fs::path d(dir);
        std::ofstream(d / "file.txt") << "file";
        std::ofstream(d / "other.txt") << "other";
        fs::create_directory(d / "dir");
        std::ofstream(d / "dir" / "inner.txt") << "inner";
        fs::create_symlink("file.txt", d / "link_file");
        fs::create_symlink("link_file", d / "link_chain");
        fs::create_symlink("missing.txt", d / "dangling");
        fs::create_symlink("dir", d / "link_dir");
        fs::create_symlink("loop_b", d / "loop_a");
        fs::create_symlink("loop_a", d / "loop_b");
        fs::create_symlink("../file.txt", d / "dir" / "up");
        fs::create_symlink("/dev/null", d / "null");
        mkfifo((d / "fifo").c_str(), 0600);
    }
    ~Fixture() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;
};

const std::string& fixture() {
    static const Fixture f;
    return f.dir;
}

// The path inside the fixture, or "" if it would climb out of it (or is empty).
std::string inside(const std::string& path) {
    if (path == "-") return path;
    int depth = 0;
    for (const fs::path& part : fs::path(path)) {
        if (part == "..") --depth;
        else if (part != "." && !part.empty() && part != "/") ++depth;
        if (depth < 0) return "";
    }
    return path.empty() || path[0] == '/' ? "" : fixture() + "/" + path;
}

bool throws(const std::vector<elstm::NamedPath>& outputs, const std::vector<elstm::NamedPath>& inputs) {
    try {
        elstm::check_distinct(outputs, inputs);
        return false;
    } catch (const elstm::Error&) {
        return true;
    }
}

bool is_link(const std::string& path) {
    struct stat s {};
    return lstat(path.c_str(), &s) == 0 && S_ISLNK(s.st_mode);
}

void check_one(const std::string& path, bool write) {
    const elstm::OutputTarget t = elstm::resolve_output(path);
    const bool file = t.kind == elstm::OutputTarget::Kind::file;
    if (file && !t.error && is_link(t.path)) finding("fuzz_output_path", "the resolved target is a link");
    if (t.kind == elstm::OutputTarget::Kind::stream && t.fd != 1 && t.fd != 2)
        finding("fuzz_output_path", "a stream that is neither stdout nor stderr");
    bool writable = true;
    try {
        elstm::check_writable(path, "fuzz");
    } catch (const elstm::Error&) {
        writable = false;
    }
    if (t.error && writable) finding("fuzz_output_path", "check_writable passed a path resolve_output refused");
    const std::string interrupted = elstm::interrupted_path(path, ".vcd");
    if (file != (interrupted != path))
        finding("fuzz_output_path", "interrupted_path renamed a device or kept a file's name");
    // An output that is a regular file is one file with itself; devices and streams may be shared.
    if (writable && throws({{"a", path}, {"b", path}}, {}) != file)
        finding("fuzz_output_path", "check_distinct disagrees with resolve_output on an output given twice");
    if (!write || !writable || !file) return;
    const bool existed = fs::exists(t.path);
    const bool was_link = is_link(path);
    std::string error;
    if (!elstm::write_output(path, "fuzz\n", "fuzz", &error)) {
        // A name that fits the probe fits the temporary file too; only a failing disk would differ.
        finding("fuzz_output_path", ("write_output failed after check_writable passed: " + error).c_str());
    }
    std::ifstream in(t.path);
    const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (got != "fuzz\n") finding("fuzz_output_path", "the resolved target does not hold what was written");
    if (was_link && !is_link(path)) finding("fuzz_output_path", "a link was replaced");
    if (!existed) fs::remove(t.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 2048) return 0;
    const bool write = data[0] & 1;
    std::vector<std::string> paths;
    std::string current;
    for (std::size_t i = 1; i <= size && paths.size() < 3; ++i) {
        if (i == size || data[i] == '\n') {
            paths.push_back(inside(current));
            current.clear();
        } else if (data[i] == '\0') {
            return 0;  // no file name holds one
        } else {
            current += static_cast<char>(data[i]);
        }
    }
    for (const std::string& p : paths)
        if (!p.empty()) check_one(p, write);
    if (paths.size() >= 2 && !paths[0].empty() && !paths[1].empty()) {
        const std::vector<elstm::NamedPath> a{{"a", paths[0]}}, b{{"b", paths[1]}};
        // One file is one file in either order, as two outputs or as an output and an input.
        if (throws({a[0], b[0]}, {}) != throws({b[0], a[0]}, {}))
            finding("fuzz_output_path", "check_distinct depends on the order of the outputs");
        if (throws(a, b) && !throws({a[0], b[0]}, {}) && fs::exists(paths[1]) &&
            elstm::resolve_output(paths[1]).kind == elstm::OutputTarget::Kind::file)
            finding("fuzz_output_path", "an output that is an input file is not caught as two outputs");
    }
    return 0;
}
