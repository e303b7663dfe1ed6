#include <elstm_vp/numeric/fp16.hpp>

#include <cstring>

namespace elstm {

std::uint16_t fp32_to_fp16(float value) {
    std::uint32_t f;
    std::memcpy(&f, &value, sizeof f);
    const std::uint16_t sign = static_cast<std::uint16_t>((f >> 16) & 0x8000u);
    const std::uint32_t exp = (f >> 23) & 0xFFu;
    std::uint32_t mant = f & 0x7FFFFFu;

    if (exp == 0xFFu) {
        if (mant == 0) return sign | 0x7C00u;
        // Keep the top payload bits and force the quiet bit so a NaN never becomes infinity.
        return static_cast<std::uint16_t>(sign | 0x7E00u | (mant >> 13));
    }
    const int e = static_cast<int>(exp) - 127 + 15;  // biased half exponent
    if (e >= 0x1F) return sign | 0x7C00u;
    if (e <= 0) {
        // Subnormal half (or zero): shift the full significand, then round to nearest even.
        if (e < -10) return sign;
        mant |= 0x800000u;
        const int shift = 14 - e;  // 24-bit significand -> 10-bit field scaled by 2^(e-1)
        std::uint32_t half = mant >> shift;
        const std::uint32_t rest = mant & ((1u << shift) - 1u);
        const std::uint32_t halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
        return static_cast<std::uint16_t>(sign | half);
    }
    std::uint32_t half = (static_cast<std::uint32_t>(e) << 10) | (mant >> 13);
    const std::uint32_t rest = mant & 0x1FFFu;
    // A carry out of the mantissa correctly bumps the exponent, up to infinity.
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
}

float fp16_to_fp32(std::uint16_t bits) {
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    const std::uint32_t exp = (bits >> 10) & 0x1Fu;
    std::uint32_t mant = bits & 0x3FFu;
    std::uint32_t f;
    if (exp == 0x1F) {
        f = sign | 0x7F800000u | (mant << 13);
    } else if (exp != 0) {
        f = sign | ((exp + 112u) << 23) | (mant << 13);
    } else if (mant == 0) {
        f = sign;
    } else {
        // Normalise the subnormal: find the leading one, then drop it.
        int e = 113;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --e;
        }
        f = sign | (static_cast<std::uint32_t>(e) << 23) | ((mant & 0x3FFu) << 13);
    }
    float out;
    std::memcpy(&out, &f, sizeof out);
    return out;
}

}  // namespace elstm
