#include <elstm_vp/numeric/npy.hpp>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/fp16.hpp>

namespace elstm {
namespace {

namespace fs = std::filesystem;

class Npy : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("elstm_npy_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    std::string write_bytes(const std::string& name, const std::string& bytes) const {
        const std::string p = path(name);
        std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }

    // A v1.0 file with the given header dict and raw data bytes, padded like NumPy does.
    std::string write_v1(const std::string& name, std::string dict, const std::string& data) const {
        while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
        dict += '\n';
        std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
        bytes += static_cast<char>(dict.size() & 0xFF);
        bytes += static_cast<char>(dict.size() >> 8);
        return write_bytes(name, bytes + dict + data);
    }

    fs::path dir_;
};

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
    try {
        f();
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        for (const auto& part : parts)
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
                << "'" << part << "' not in: " << e.what();
    }
}

TEST_F(Npy, RoundTripF4) {
    const std::vector<float> data = {1.0f, -2.5f, 0.1f, 3.0e38f, -1e-40f, 0.0f};
    save_npy(path("a.npy"), {2, 3}, data);
    const NpyArray a = load_npy(path("a.npy"));
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(a.data, data);
    // 64-byte aligned data and a v1.0 header.
    std::ifstream f(path("a.npy"), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), {});
    const std::size_t data_start = bytes.size() - 6 * 4;
    EXPECT_EQ(data_start % 64, 0u);
    EXPECT_EQ(bytes[data_start - 1], '\n');
    EXPECT_EQ(bytes[6], '\x01');
    EXPECT_EQ(bytes[7], '\x00');
    EXPECT_EQ(static_cast<unsigned char>(bytes[8]) + 256u * static_cast<unsigned char>(bytes[9]), data_start - 10);
    EXPECT_NE(bytes.find("'descr': '<f4'"), std::string::npos);
}

TEST_F(Npy, RoundTripF2RoundsToHalf) {
    const std::vector<float> data = {1.0f, 0.1f, -65504.0f, 1e-7f, 0.333f};
    save_npy(path("h.npy"), {5}, data, true);
    const NpyArray a = load_npy(path("h.npy"));
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{5}));
    ASSERT_EQ(a.data.size(), 5u);
    for (std::size_t k = 0; k < 5; ++k) EXPECT_EQ(a.data[k], round_to_fp16(data[k]));
    EXPECT_EQ(a.data[1], 0.0999755859375f);  // fp16 nearest to 0.1
}

TEST_F(Npy, ScalarAndEmptyShapes) {
    save_npy(path("s.npy"), {}, {4.0f});
    EXPECT_EQ(load_npy(path("s.npy")).data, std::vector<float>{4.0f});
    save_npy(path("e.npy"), {0, 3}, {});
    EXPECT_EQ(load_npy(path("e.npy")).shape, (std::vector<std::size_t>{0, 3}));
    expect_error([&] { save_npy(path("bad.npy"), {2, 2}, {1.0f}); }, {path("bad.npy"), "4 elements"});
}

TEST_F(Npy, HandWrittenVersion2And3) {
    // v2.0: 4-byte header length; data 1.0, -2.0, 0.5, 3.0 as little-endian float32.
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    while ((12 + dict.size() + 1) % 64 != 0) dict += ' ';
    dict += '\n';
    std::string v2 = std::string("\x93NUMPY\x02\x00", 8);
    v2 += std::string{static_cast<char>(dict.size()), 0, 0, 0};
    v2 += dict;
    v2 += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0\x00\x00\x00\x3f\x00\x00\x40\x40", 16);
    const NpyArray a = load_npy(write_bytes("v2.npy", v2));
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 2}));
    EXPECT_EQ(a.data, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f}));

    // v3.0 (utf-8 header), keys reordered and double-quoted; fp16 1.0 = 0x3C00, -2.0 = 0xC000.
    const std::string dict3 = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f2\"}\n";
    std::string v3 = std::string("\x93NUMPY\x03\x00", 8);
    v3 += std::string{static_cast<char>(dict3.size()), 0, 0, 0};
    v3 += dict3;
    v3 += std::string("\x00\x3c\x00\xc0", 4);
    const NpyArray b = load_npy(write_bytes("v3.npy", v3));
    EXPECT_EQ(b.shape, (std::vector<std::size_t>{2}));
    EXPECT_EQ(b.data, (std::vector<float>{1.0f, -2.0f}));
}

TEST_F(Npy, LoadErrorsNameTheFile) {
    const std::string four_f4(16, '\0');
    expect_error([&] { load_npy(path("missing.npy")); }, {path("missing.npy"), "cannot open"});
    expect_error([&] { load_npy(dir_.string()); }, {dir_.string(), "directory"});
    const std::string empty = write_bytes("empty.npy", "");
    expect_error([&] { load_npy(empty); }, {empty, "magic"});
    const std::string bad = write_bytes("bad.npy", "PK\x03\x04 not numpy at all");
    expect_error([&] { load_npy(bad); }, {bad, "magic"});
    const std::string big = write_v1("big.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four_f4);
    expect_error([&] { load_npy(big); }, {big, "'>f4'"});
    const std::string f8 = write_v1("f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", four_f4);
    expect_error([&] { load_npy(f8); }, {f8, "'<f8'"});
    const std::string i4 = write_v1("i4.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", four_f4);
    expect_error([&] { load_npy(i4); }, {i4, "'<i4'"});
    const std::string native = write_v1("n.npy", "{'descr': '=f4', 'fortran_order': False, 'shape': (4,), }", four_f4);
    expect_error([&] { load_npy(native); }, {native, "'=f4'"});
    const std::string fortran =
        write_v1("fo.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four_f4);
    expect_error([&] { load_npy(fortran); }, {fortran, "fortran_order"});
    const std::string trunc =
        write_v1("tr.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", four_f4.substr(0, 12));
    expect_error([&] { load_npy(trunc); }, {trunc, "truncated", "16 bytes", "has 12"});
    const std::string longer =
        write_v1("long.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", four_f4);
    expect_error([&] { load_npy(longer); }, {longer, "8 bytes", "has 16"});
    const std::string no_shape = write_v1("ns.npy", "{'descr': '<f4', 'fortran_order': False, }", four_f4);
    expect_error([&] { load_npy(no_shape); }, {no_shape, "header"});
    const std::string version = write_bytes("v9.npy", std::string("\x93NUMPY\x09\x00\x00\x00", 10));
    expect_error([&] { load_npy(version); }, {version, "version 9.0"});
}

// Only regular files: a FIFO is refused without waiting for a writer, a device that never ends
// and a directory are refused, a link is followed to what it names.
TEST_F(Npy, SpecialFilesAreRefused) {
    const std::string fifo = path("fifo.npy");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    expect_error([&] { load_npy(fifo); }, {fifo + ": is a FIFO, not a regular file"});
    expect_error([&] { npy_shape(fifo); }, {fifo + ": is a FIFO, not a regular file"});
    expect_error([&] { load_npy("/dev/zero"); }, {"/dev/zero: is a character device, not a regular file"});
    const std::string link = path("zero.npy");
    fs::create_symlink("/dev/zero", link);
    expect_error([&] { load_npy(link); }, {link + ": is a character device, not a regular file"});
    expect_error([&] { load_npy(dir_.string()); }, {dir_.string() + ": is a directory, not a regular file"});
    save_npy(path("real.npy"), {2}, {1, 2});
    fs::create_symlink(path("real.npy"), path("link.npy"));
    EXPECT_EQ(load_npy(path("link.npy")).data, (std::vector<float>{1, 2}));
}

// The size is checked against the header before any data is read: a 14 GB file (sparse here)
// gives its shape from the header alone, and one cut short says so with both sizes at once.
TEST_F(Npy, SizeFromTheHeaderAlone) {
    const std::string huge =
        write_v1("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8000, 450000), }", "");
    fs::resize_file(huge, fs::file_size(huge) + 4ull * 8000 * 450000);
    EXPECT_EQ(npy_shape(huge), (std::vector<std::size_t>{8000, 450000}));
    fs::resize_file(huge, fs::file_size(huge) - 4);
    expect_error([&] { npy_shape(huge); }, {huge, "truncated data", "needs 14400000000 bytes, the file has 14399999996"});
    expect_error([&] { load_npy(huge); }, {huge, "truncated data", "needs 14400000000 bytes, the file has 14399999996"});
}

// Integer arrays (class labels): every width and signedness, as int64, the bytes written by hand.
TEST_F(Npy, Integers) {
    const auto file = [this](const char* name, const std::string& descr, const std::string& shape,
                             const std::string& data) {
        return write_v1(name, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data);
    };
    const NpyIntArray u1 = load_npy_int(file("u1.npy", "|u1", "(3,)", std::string("\x00\x09\xff", 3)));
    EXPECT_EQ(u1.shape, (std::vector<std::size_t>{3}));
    EXPECT_EQ(u1.data, (std::vector<std::int64_t>{0, 9, 255}));
    const NpyIntArray i1 = load_npy_int(file("i1.npy", "|i1", "(2,)", std::string("\xff\x7f", 2)));
    EXPECT_EQ(i1.data, (std::vector<std::int64_t>{-1, 127}));
    const NpyIntArray i2 = load_npy_int(file("i2.npy", "<i2", "(1, 2)", std::string("\x00\x80\x34\x12", 4)));
    EXPECT_EQ(i2.shape, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(i2.data, (std::vector<std::int64_t>{-32768, 0x1234}));
    const NpyIntArray u4 = load_npy_int(file("u4.npy", "<u4", "(1,)", std::string(4, '\xff')));
    EXPECT_EQ(u4.data, (std::vector<std::int64_t>{4294967295}));
    const NpyIntArray i8 = load_npy_int(file("i8.npy", "<i8", "(1,)", "\xfe" + std::string(7, '\xff')));
    EXPECT_EQ(i8.data, (std::vector<std::int64_t>{-2}));
    const std::string u8 = file("u8.npy", "<u8", "(2,)", std::string(15, '\0') + "\x80");
    expect_error([&] { load_npy_int(u8); }, {u8, "element 1 = 9223372036854775808 does not fit int64"});
    const std::string f4 = file("f4.npy", "<f4", "(1,)", std::string(4, '\0'));
    expect_error([&] { load_npy_int(f4); }, {f4, "unsupported dtype '<f4' (expected an integer"});
    const std::string be = file("be.npy", ">i4", "(1,)", std::string(4, '\0'));
    expect_error([&] { load_npy_int(be); }, {be, "unsupported dtype '>i4'"});
    const std::string short_i4 = file("short.npy", "<i4", "(2,)", std::string(4, '\0'));
    expect_error([&] { load_npy_int(short_i4); }, {short_i4, "truncated data"});
}

TEST_F(Npy, MatrixConversion) {
    save_npy(path("m.npy"), {2, 3}, {1, 2, 3, 4, 5, 6});
    const DenseMatrix m = npy_to_matrix(load_npy(path("m.npy")), path("m.npy"));
    EXPECT_EQ(m.rows, 2u);
    EXPECT_EQ(m.cols, 3u);
    EXPECT_EQ(m.at(1, 0), 4.0f);
    save_npy(path("v.npy"), {3}, {1, 2, 3});
    const DenseMatrix v = npy_to_matrix(load_npy(path("v.npy")), path("v.npy"));
    EXPECT_EQ(v.rows, 3u);
    EXPECT_EQ(v.cols, 1u);
    save_npy(path("t.npy"), {1, 2, 2}, {1, 2, 3, 4});
    expect_error([&] { npy_to_matrix(load_npy(path("t.npy")), path("t.npy")); },
                 {path("t.npy"), "(1, 2, 2)"});
}

TEST_F(Npy, LoadLayer) {
    // n = 2, m = 3: W 8×3, U 8×2, bias 8; 0.1 is not an fp16 value and gets rounded.
    std::vector<float> w(24), u(16), b(8, 0.1f);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] = 0.25f * static_cast<float>(k) - 3.0f;
    for (std::size_t k = 0; k < u.size(); ++k) u[k] = 0.1f * static_cast<float>(k);
    save_npy(path("w.npy"), {8, 3}, w);
    save_npy(path("u.npy"), {8, 2}, u);
    save_npy(path("b.npy"), {8}, b, true);
    const LstmLayerWeights l = load_layer_npy(path("w.npy"), path("u.npy"), path("b.npy"));
    EXPECT_EQ(l.input_size, 3u);
    EXPECT_EQ(l.hidden_size, 2u);
    EXPECT_EQ(l.w.values, w);  // already fp16-exact
    for (std::size_t k = 0; k < u.size(); ++k) EXPECT_EQ(l.u.values[k], round_to_fp16(u[k]));
    EXPECT_EQ(l.bias, std::vector<float>(8, round_to_fp16(0.1f)));
    EXPECT_NO_THROW(l.validate());
}

TEST_F(Npy, LoadLayerShapeMismatch) {
    save_npy(path("w.npy"), {8, 3}, std::vector<float>(24));
    save_npy(path("u.npy"), {8, 2}, std::vector<float>(16));
    save_npy(path("b.npy"), {8}, std::vector<float>(8));
    save_npy(path("w_bad.npy"), {12, 3}, std::vector<float>(36));
    save_npy(path("u_bad.npy"), {10, 2}, std::vector<float>(20));
    save_npy(path("b_bad.npy"), {7}, std::vector<float>(7));
    expect_error([&] { load_layer_npy(path("w_bad.npy"), path("u.npy"), path("b.npy")); },
                 {path("w_bad.npy"), "(12, 3)", "(8, m"});
    expect_error([&] { load_layer_npy(path("w.npy"), path("u_bad.npy"), path("b.npy")); },
                 {path("u_bad.npy"), "(10, 2)", "(8, 2)"});
    expect_error([&] { load_layer_npy(path("w.npy"), path("u.npy"), path("b_bad.npy")); },
                 {path("b_bad.npy"), "(7,)", "(8,)"});
    save_npy(path("big.npy"), {8}, std::vector<float>(8, 1e6f));  // beyond fp16's 65504
    expect_error([&] { load_layer_npy(path("w.npy"), path("u.npy"), path("big.npy")); },
                 {path("big.npy"), "fp16"});
}

}  // namespace
}  // namespace elstm
