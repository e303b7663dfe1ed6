// Firmware for iss_bench: LSTM steps in soft-float fp32 (rv64imac has no FPU, so every
// float operation is a libgcc call), the kind of code the platform's host core runs.
// Bare metal: _start sets gp and the stack, calls lstm_benchmark and stops the ISS with ebreak (no handler).
#include <stdint.h>

__asm__(".pushsection .text.entry\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "  la gp, __global_pointer$\n"  // the linker relaxes accesses to small data to gp
        ".option pop\n"
        "  li sp, 0x80100000\n"
        "  call lstm_benchmark\n"
        "  ebreak\n"
        ".popsection\n");

enum { kN = 32, kSteps = 40 };

static float w[4 * kN][2 * kN];
static float bias[4 * kN];
static float xs[kSteps][kN];
static float h[kN], c[kN], gates[4 * kN];

static uint32_t lcg_state = 12345;
static float random_weight(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (float)(int32_t)(lcg_state >> 8) / (float)(1 << 24) * 0.25f;
}

static float absf(float v) { return v < 0.0f ? -v : v; }
// Rational approximations: divisions, multiplications and additions, like a real activation.
static float sigmoid(float v) { return 0.5f + 0.5f * v / (1.0f + absf(v)); }
static float tanh_approx(float v) { return v / (1.0f + absf(v)); }

static void lstm_step(const float* x) {
    for (int r = 0; r < 4 * kN; ++r) {
        float acc = bias[r];
        for (int k = 0; k < kN; ++k) acc += w[r][k] * x[k];
        for (int k = 0; k < kN; ++k) acc += w[r][kN + k] * h[k];
        gates[r] = acc;
    }
    for (int j = 0; j < kN; ++j) {
        const float i = sigmoid(gates[j]), f = sigmoid(gates[kN + j]);
        const float g = tanh_approx(gates[2 * kN + j]), o = sigmoid(gates[3 * kN + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * tanh_approx(c[j]);
    }
}

// Returns a checksum (the bits of the sum of h) so the harness can see the work was done.
uint32_t lstm_benchmark(void) {
    for (int r = 0; r < 4 * kN; ++r) {
        bias[r] = random_weight();
        for (int k = 0; k < 2 * kN; ++k) w[r][k] = random_weight();
    }
    for (int t = 0; t < kSteps; ++t)
        for (int k = 0; k < kN; ++k) xs[t][k] = random_weight() * 4.0f;
    for (int t = 0; t < kSteps; ++t) lstm_step(xs[t]);
    float sum = 0.0f;
    for (int j = 0; j < kN; ++j) sum += h[j];
    union {
        float f;
        uint32_t u;
    } bits = {sum};
    return bits.u;
}
