#pragma once
#include <cstdint>

namespace elstm {

// IEEE 754 binary16 <-> binary32. Conversion to half rounds to nearest, ties to even,
// produces subnormals, overflows to infinity and keeps NaN a (quiet) NaN.
std::uint16_t fp32_to_fp16(float value);
float fp16_to_fp32(std::uint16_t bits);

// The largest finite fp16 value.
constexpr float kFp16Max = 65504.0f;

// The value an fp16 weight store would hand back for `value`.
inline float round_to_fp16(float value) { return fp16_to_fp32(fp32_to_fp16(value)); }

}  // namespace elstm
