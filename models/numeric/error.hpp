#pragma once
#include <stdexcept>
#include <string>

namespace elstm {

// Bad input to the numeric core (malformed file, impossible shape, value out of range).
// Callers at the edge (tools, platform) print what() once and exit non-zero.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace elstm
