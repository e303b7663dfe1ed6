#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include <elstm_vp/numeric/fp16.hpp>

namespace elstm {
namespace {

float from_bits(std::uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

struct Known {
    float value;
    std::uint16_t half;
};

// Bit patterns from the IEEE 754 binary16 definition (sign 1, exponent 5 with bias 15, mantissa 10).
const Known kExact[] = {
    {0.0f, 0x0000},      {-0.0f, 0x8000},     {1.0f, 0x3C00},        {-2.0f, 0xC000},
    {0.5f, 0x3800},      {3.0f, 0x4200},      {65504.0f, 0x7BFF},    {-65504.0f, 0xFBFF},
    {0.333251953125f, 0x3555},                 // 1/3 rounded: 0x3555 exactly
    {6.103515625e-05f, 0x0400},                // smallest normal 2^-14
    {5.9604644775390625e-08f, 0x0001},         // smallest subnormal 2^-24
    {6.097555160522461e-05f, 0x03FF},          // largest subnormal (1023·2^-24)
    {1.0009765625f, 0x3C01},                   // 1 + 2^-10
    {-0.0999755859375f, 0xAE66},
};

TEST(Fp16, KnownPatternsBothWays) {
    for (const Known& k : kExact) {
        EXPECT_EQ(fp32_to_fp16(k.value), k.half) << k.value;
        EXPECT_EQ(fp16_to_fp32(k.half), k.value) << std::hex << k.half;
    }
}

TEST(Fp16, RoundsToNearestEven) {
    // Halfway between 1.0 (0x3C00) and 1+2^-10 (0x3C01): ties to the even mantissa 0x3C00.
    EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);
    // Halfway between 0x3C01 and 0x3C02: ties to 0x3C02.
    EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);
    // Just above halfway rounds up.
    EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
    // Subnormal halfway cases: 0.5·2^-24 ties to 0, 1.5·2^-24 ties to 2·2^-24.
    EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);
    EXPECT_EQ(fp32_to_fp16(0x1p-25f + 0x1p-35f), 0x0001);
    // Rounding the largest subnormal up carries into the smallest normal.
    EXPECT_EQ(fp32_to_fp16(6.1005353927612305e-05f), 0x0400);  // 1023.5·2^-24
}

TEST(Fp16, OverflowAndSpecials) {
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);   // halfway to 2^16 rounds to infinity
    EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFF);
    EXPECT_EQ(fp32_to_fp16(1e9f), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(-1e9f), 0xFC00);
    EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00);
    EXPECT_EQ(fp32_to_fp16(1e-10f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-1e-10f), 0x8000);
    EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7C00)));
    EXPECT_EQ(fp16_to_fp32(0xFC00), -std::numeric_limits<float>::infinity());
}

TEST(Fp16, NanStaysNan) {
    EXPECT_EQ(fp32_to_fp16(from_bits(0x7FC00000u)), 0x7E00);
    // A signalling NaN whose payload sits only in the low bits must not turn into infinity.
    const std::uint16_t h = fp32_to_fp16(from_bits(0x7F800001u));
    EXPECT_EQ(h & 0x7C00, 0x7C00);
    EXPECT_NE(h & 0x03FF, 0);
    EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
    EXPECT_TRUE(std::isnan(fp16_to_fp32(0xFC01)));
}

TEST(Fp16, EveryHalfSurvivesARoundTrip) {
    for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
        const float f = fp16_to_fp32(static_cast<std::uint16_t>(h));
        if (std::isnan(f)) continue;
        EXPECT_EQ(fp32_to_fp16(f), h) << std::hex << h;
    }
}

}  // namespace
}  // namespace elstm
