#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace elstm {

// An address or word as messages print it: 0x followed by lowercase hex digits.
inline std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace elstm
