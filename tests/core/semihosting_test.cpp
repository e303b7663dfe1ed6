// The semihosting file calls and their confinement to the root (HostRoot), on a temporary
// folder with a file outside it, symlinks and a FIFO.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <elstm_vp/core/host_root.hpp>
#include <elstm_vp/core/semihosting.hpp>

namespace elstm {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// tmp/root (data.txt, sub/inner.txt, symlinks out and in, a FIFO) and tmp/outside/secret.
class RootTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/semihosting-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        tmp = pattern;
        root = tmp / "root";
        fs::create_directories(root / "sub");
        fs::create_directories(tmp / "outside");
        spit(root / "data.txt", "hello");
        spit(root / "sub" / "inner.txt", "inner");
        spit(tmp / "outside" / "secret", "secret");
        fs::create_symlink(tmp / "outside" / "secret", root / "out_link");
        fs::create_directory_symlink(tmp / "outside", root / "out_dir");
        fs::create_symlink("data.txt", root / "in_link");
        ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0600), 0);
    }
    void TearDown() override { fs::remove_all(tmp); }

    // The error of opening `name` with `mode`; 0 when it opened.
    int open_error(const HostRoot& r, const std::string& name, unsigned mode = 0) {
        int error = -1;
        const UniqueFd fd = r.open(name, mode, error);
        EXPECT_EQ(static_cast<bool>(fd), error == 0) << name;
        return error;
    }

    fs::path tmp, root;
};

TEST_F(RootTest, WithoutAFolderNothingOpens) {
    const HostRoot none("");
    EXPECT_FALSE(none.enabled());
    EXPECT_EQ(open_error(none, "data.txt"), HostRoot::kDenied);
}

TEST_F(RootTest, FilesInsideOpen) {
    const HostRoot r(root.string());
    EXPECT_EQ(open_error(r, "data.txt"), 0);
    EXPECT_EQ(open_error(r, "sub/inner.txt"), 0);
    EXPECT_EQ(open_error(r, "missing"), HostRoot::kNoEntry);
    EXPECT_EQ(open_error(r, "new.txt", 4), 0);  // "w" creates
    EXPECT_TRUE(fs::is_regular_file(root / "new.txt"));
}

TEST_F(RootTest, NoWayOut) {
    const HostRoot r(root.string());
    for (const char* name : {"../outside/secret", "sub/../../outside/secret", "sub/../data.txt", "./data.txt",
                             "sub//inner.txt", "/etc/passwd", "", "sub/"})
        EXPECT_EQ(open_error(r, name), HostRoot::kDenied) << name;
    // Symlinks are refused wherever they point, in every mode ("w" must not create through one).
    EXPECT_EQ(open_error(r, "out_link"), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "out_link", 4), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "out_dir/secret"), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "out_dir/new", 4), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "in_link"), HostRoot::kDenied);
    EXPECT_EQ(slurp(tmp / "outside" / "secret"), "secret");
    EXPECT_FALSE(fs::exists(tmp / "outside" / "new"));
}

TEST_F(RootTest, OnlyRegularFiles) {
    const HostRoot r(root.string());
    // Neither blocks waiting for a peer.
    EXPECT_EQ(open_error(r, "fifo"), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "fifo", 4), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "sub"), HostRoot::kDenied);
    EXPECT_EQ(open_error(r, "data.txt", 12), HostRoot::kInvalid);
}

// The root is held open: a symlink put where it was does not lead the names out.
TEST_F(RootTest, TheFolderIsHeldNotItsPath) {
    const HostRoot r(root.string());
    fs::rename(root, tmp / "moved");
    fs::create_directory_symlink(tmp / "outside", root);
    EXPECT_EQ(open_error(r, "secret"), HostRoot::kNoEntry);
    EXPECT_EQ(open_error(r, "data.txt"), 0);
}

TEST_F(RootTest, AFolderThatIsNoneThrows) {
    EXPECT_THROW(HostRoot((root / "data.txt").string()), std::runtime_error);
    EXPECT_THROW(HostRoot((tmp / "nowhere").string()), std::runtime_error);
}

// Semihosting calls on a small memory image: parameter blocks at kBlock, names and buffers after.
class FileCallsTest : public RootTest {
protected:
    static constexpr std::uint64_t kBase = 0x80000000, kBlock = kBase, kName = kBase + 0x100, kBuffer = kBase + 0x200;

    void SetUp() override {
        RootTest::SetUp();
        image.assign(0x1000, 0);
        memory = std::make_unique<WindowMemory>(rv::DirectMemory{image.data(), kBase, image.size()});
        semihosting = std::make_unique<Semihosting>(*memory, console, root.string());
    }

    void words(std::vector<std::uint64_t> values) {
        std::memcpy(image.data() + (kBlock - kBase), values.data(), values.size() * 8);
    }
    std::int64_t call(std::uint64_t op, std::uint64_t arg = kBlock) {
        const SemihostingResult r = semihosting->call(op, arg, time);
        EXPECT_EQ(r.kind, SemihostingResult::Kind::value) << r.error;
        return r.value;
    }
    std::int64_t open(const std::string& name, std::uint64_t mode) {
        std::memcpy(image.data() + (kName - kBase), name.data(), name.size());
        words({kName, mode, name.size()});
        return call(0x01);
    }
    std::int64_t error() { return call(0x13, 0); }

    std::vector<std::uint8_t> image;
    std::unique_ptr<WindowMemory> memory;
    std::ostringstream console;
    std::unique_ptr<Semihosting> semihosting;
    SemihostingTime time;
};

TEST_F(FileCallsTest, WriteSeekReadLengthClose) {
    const std::int64_t h = open("out.bin", 6);  // "w+"
    ASSERT_EQ(h, 3);
    EXPECT_EQ(call(0x09, (words({3}), kBlock)), 0);  // SYS_ISTTY: a file
    std::memcpy(image.data() + (kBuffer - kBase), "abcdef", 6);
    words({3, kBuffer, 6});
    EXPECT_EQ(call(0x05), 0);  // SYS_WRITE: nothing left unwritten
    words({3});
    EXPECT_EQ(call(0x0C), 6);  // SYS_FLEN
    words({3, 2});
    EXPECT_EQ(call(0x0A), 0);  // SYS_SEEK to 2
    words({3, kBuffer + 0x100, 10});
    EXPECT_EQ(call(0x06), 6);  // SYS_READ: 4 of 10 read
    EXPECT_EQ(std::string(reinterpret_cast<char*>(image.data() + 0x300), 4), "cdef");
    words({3, kBuffer + 0x100, 10});
    EXPECT_EQ(call(0x06), 10);  // at the end
    words({3});
    EXPECT_EQ(call(0x02), 0);   // SYS_CLOSE
    EXPECT_EQ(call(0x02), -1);  // twice
    EXPECT_EQ(error(), HostRoot::kBadHandle);
    EXPECT_EQ(slurp(root / "out.bin"), "abcdef");
    EXPECT_EQ(console.str(), "");
}

TEST_F(FileCallsTest, ErrorsAreReportedBySysErrno) {
    EXPECT_EQ(open("../outside/secret", 0), -1);
    EXPECT_EQ(error(), HostRoot::kDenied);
    EXPECT_EQ(open("missing", 0), -1);
    EXPECT_EQ(error(), HostRoot::kNoEntry);
    EXPECT_EQ(open("data.txt", 12), -1);
    EXPECT_EQ(error(), HostRoot::kInvalid);
    const std::int64_t h = open("data.txt", 0);
    ASSERT_GT(h, 2);
    words({static_cast<std::uint64_t>(h), kBuffer, 1});
    EXPECT_EQ(call(0x05), 1);  // a read-only file: the byte stays unwritten
    EXPECT_EQ(error(), HostRoot::kBadHandle);
    words({1});
    EXPECT_EQ(call(0x0A), -1);  // the console does not seek
    EXPECT_EQ(error(), HostRoot::kInvalid);
}

TEST_F(FileCallsTest, AtMostKMaxOpenHandles) {
    for (std::size_t k = 3; k < Semihosting::kMaxOpen; ++k) ASSERT_GT(open("data.txt", 0), 0) << k;
    EXPECT_EQ(open("data.txt", 0), -1);
    EXPECT_EQ(error(), HostRoot::kTooManyOpen);
    EXPECT_EQ(open(":tt", 0), -1);
    words({3});
    EXPECT_EQ(call(0x02), 0);
    EXPECT_GT(open("data.txt", 0), 0);
}

TEST_F(FileCallsTest, ClocksComeFromSimulatedTime) {
    time.centiseconds = 12345;
    EXPECT_EQ(call(0x10, 0), 12345);  // SYS_CLOCK
    EXPECT_EQ(call(0x11, 0), 123);    // SYS_TIME: whole seconds since the start
}

}  // namespace
}  // namespace elstm
