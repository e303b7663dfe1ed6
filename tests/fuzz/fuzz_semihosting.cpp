// libFuzzer target: the semihosting calls (elstm::Semihosting) with arbitrary operation
// numbers, arguments and parameter blocks against a small DRAM image at kBase, reached through
// WindowMemory as the core reaches its DMI window.
//
// Input: the image size (2 bytes, at most kMaxImage), the number of calls (1 byte, at most
// kMaxCalls), the simulated time (3 × 8 bytes), then per call op (2 bytes: 0x00..0x3f are the
// calls, and more), a mode byte and an argument (8 bytes; with mode bit 0 it is an offset from
// kBase, so parameter blocks land in the image), then the image's bytes (zero past the input).
// The calls run in order, one Semihosting (so handles stay open), until one ends the program or
// fails. Its files live in a temporary root the harness creates once (data.txt, a folder, a
// symlink to a file outside, a symlink to the folder outside, a FIFO) next to a folder outside
// it; what a run creates in the root is removed after it.
//
// Findings: a memory access the window granted outside the image (checked in 128-bit
// arithmetic, independently of window_holds; the image is a heap block of exactly its size, so
// a sanitizer sees the rest), a call that printed more than the image holds, a call that failed
// on memory after printing, a failure without a message, a file outside the root that changed
// or appeared.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/core/semihosting.hpp>
#include "fuzz_input.hpp"

namespace {

using elstm::fuzz::finding;

constexpr std::uint64_t kBase = 0x80000000ull;
constexpr std::size_t kMaxImage = 4096;
constexpr unsigned kMaxCalls = 16;
constexpr const char* kName = "fuzz_semihosting";

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The names in `folder`.
std::set<std::string> names(const fs::path& folder) {
    std::set<std::string> out;
    for (const fs::directory_entry& e : fs::directory_iterator(folder)) out.insert(e.path().filename().string());
    return out;
}

// tmp/root and tmp/outside/secret, made once and removed at exit.
class Folders {
public:
    Folders() {
        char pattern[] = "/tmp/fuzz_semihosting.XXXXXX";
        if (!::mkdtemp(pattern)) finding(kName, "cannot create the temporary root");
        tmp_ = pattern;
        fs::create_directories(root() / "sub");
        fs::create_directories(tmp_ / "outside");
        std::ofstream(root() / "data.txt") << "data";
        std::ofstream(tmp_ / "outside" / "secret") << "secret";
        fs::create_symlink(tmp_ / "outside" / "secret", root() / "link");
        fs::create_directory_symlink(tmp_ / "outside", root() / "dirlink");
        ::mkfifo((root() / "fifo").c_str(), 0600);
        fixtures_ = names(root());
    }
    ~Folders() { fs::remove_all(tmp_); }

    fs::path root() const { return tmp_ / "root"; }

    // After a run: nothing outside the root changed; what the run made in the root goes.
    void check_and_reset() const {
        if (names(tmp_) != std::set<std::string>{"outside", "root"} ||
            names(tmp_ / "outside") != std::set<std::string>{"secret"} || slurp(tmp_ / "outside" / "secret") != "secret")
            finding(kName, "a file outside the root changed or appeared");
        for (const std::string& name : names(root()))
            if (!fixtures_.count(name)) fs::remove_all(root() / name);
        if (!fs::is_empty(root() / "sub")) {
            fs::remove_all(root() / "sub");
            fs::create_directory(root() / "sub");
        }
        std::ofstream(root() / "data.txt") << "data";
    }

private:
    fs::path tmp_;
    std::set<std::string> fixtures_;
};

// Whether [addr, addr + len) lies in the image, without wrapping.
bool in_image(std::uint64_t addr, std::uint64_t len, std::size_t size) {
    const unsigned __int128 end = static_cast<unsigned __int128>(addr) + len;
    return addr >= kBase && end <= static_cast<unsigned __int128>(kBase) + size;
}

// WindowMemory over the image; every access it grants is checked against the image.
class CheckedImage : public elstm::GuestMemory {
public:
    explicit CheckedImage(std::vector<std::uint8_t>& image)
        : size_(image.size()), window_(elstm::rv::DirectMemory{image.data(), kBase, image.size()}) {}

    bool contains(std::uint64_t addr, std::uint64_t len) override {
        const bool yes = window_.contains(addr, len);
        if (yes && len && !in_image(addr, len, size_)) finding(kName, "contains() granted a range outside the image");
        return yes;
    }
    bool read(std::uint64_t addr, void* data, std::size_t len) override {
        if (len && !in_image(addr, len, size_) && window_.contains(addr, len))
            finding(kName, "a read outside the image was granted");
        return window_.read(addr, data, len);
    }
    bool write(std::uint64_t addr, const void* data, std::size_t len) override {
        if (len && !in_image(addr, len, size_) && window_.contains(addr, len))
            finding(kName, "a write outside the image was granted");
        return window_.write(addr, data, len);
    }

private:
    std::size_t size_;
    elstm::WindowMemory window_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    elstm::fuzz::Reader in(data, size);
    const std::size_t image_size = 1 + in.take(2) % kMaxImage;
    const unsigned calls = 1 + static_cast<unsigned>(in.take(1) % kMaxCalls);
    elstm::SemihostingTime time;
    time.cycles = in.take(8);
    time.centiseconds = static_cast<std::int64_t>(in.take(8));
    time.ticks_per_second = static_cast<std::int64_t>(in.take(8));
    struct Call {
        std::uint64_t op, arg;
    };
    std::vector<Call> list;
    for (unsigned k = 0; k < calls; ++k) {
        const std::uint64_t op = in.take(2), mode = in.take(1), arg = in.take(8);
        list.push_back({op, mode & 1 ? kBase + arg % (image_size + 64) : arg});
    }
    std::vector<std::uint8_t> image(image_size);
    for (std::uint8_t& byte : image) byte = static_cast<std::uint8_t>(in.take(1));

    static const Folders folders;
    CheckedImage memory(image);
    std::ostringstream console;
    elstm::Semihosting semihosting(memory, console, folders.root().string());
    for (const Call& call : list) {
        const std::size_t before = console.str().size();
        const elstm::SemihostingResult r = semihosting.call(call.op, call.arg, time);
        const std::size_t printed = console.str().size() - before;
        if (printed > image_size) finding(kName, "one call printed more than the image holds");
        if (r.kind == elstm::SemihostingResult::Kind::bad_memory) {
            if (r.error.empty()) finding(kName, "a memory failure without a message");
            if (printed) finding(kName, "a call printed, then failed on memory");
        }
        if (r.kind != elstm::SemihostingResult::Kind::value) break;
    }
    folders.check_and_reset();
    return 0;
}
