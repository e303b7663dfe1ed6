#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace elstm {

// The built-in firmware ("elstm", "lstm_cpu", "classify") compiled into this library, so a program linking
// the static libraries runs host.kind: core wherever the package or the program is moved (the
// libraries are part of that program and have no location of their own to look from).
// Empty for any other name.
std::vector<std::uint8_t> builtin_firmware(const std::string& name);

}  // namespace elstm
