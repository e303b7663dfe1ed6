#pragma once
// What the fuzz harnesses share: reading their input as little-endian fields, and reporting a
// finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace elstm::fuzz {

// Reads the input front to back; bytes past its end read as zero.
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint64_t take(unsigned bytes) {
        std::uint64_t v = 0;
        for (unsigned k = 0; k < bytes; ++k, ++pos_)
            if (pos_ < size_) v |= static_cast<std::uint64_t>(data_[pos_]) << (8 * k);
        return v;
    }
    // The rest as 64-bit words; a trailing partial word is dropped.
    std::vector<std::uint64_t> words() {
        std::vector<std::uint64_t> out;
        while (pos_ + 8 <= size_) out.push_back(take(8));
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// Aborts: libFuzzer reports it as a crash with the input that caused it.
[[noreturn]] inline void finding(const char* harness, const char* what) {
    std::fprintf(stderr, "%s: %s\n", harness, what);
    std::abort();
}

}  // namespace elstm::fuzz
