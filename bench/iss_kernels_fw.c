// Firmware for iss_bench: integer kernels of the kinds an ISS spends its time on. The harness
// puts the kernel's number in a0; _start sets gp and the stack, calls run_kernel and stops the
// ISS with ebreak (no handler). Built -O2 -march=rv64imac, so about half the code is compressed.
#include <stdint.h>

__asm__(".pushsection .text.entry\n"
        ".globl _start\n"
        "_start:\n"
        ".option push\n"
        ".option norelax\n"
        "  la gp, __global_pointer$\n"
        ".option pop\n"
        "  li sp, 0x80100000\n"
        "  call run_kernel\n"
        "  ebreak\n"
        ".popsection\n");

// Integer ALU: xorshift mixing, adds, compares.
uint64_t alu_seed = 88172645463325252ull;  // a global, so the compiler cannot fold the loop
static uint64_t k_alu(void) {
    uint64_t x = alu_seed, acc = 0, lo = 0;
    for (uint32_t i = 0; i < 6000000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += (x & 0xffff) + (x >> 48);
        lo += (int64_t)x < (int64_t)acc;
        acc ^= i;
    }
    return acc + lo;
}

// Data-dependent branches: Collatz step counts.
static uint64_t k_branch(void) {
    uint64_t steps = 0;
    for (uint64_t n = 1; n < 120000; ++n) {
        uint64_t x = n;
        while (x != 1) {
            if (x & 1)
                x = 3 * x + 1;
            else
                x >>= 1;
            ++steps;
        }
    }
    return steps;
}

// Calls and returns: naive recursion.
__attribute__((noinline)) static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static uint64_t k_call(void) { return fib(31); }

// Loads and stores over arrays: a byte sieve, word prefix sums, doubleword copies.
enum { kSieve = 65536, kWords = 16384 };
static uint8_t composite[kSieve];
static uint32_t words[kWords];
static uint64_t dwords[2][kWords / 2];
static uint64_t k_mem(void) {
    uint64_t sum = 0;
    for (int rep = 0; rep < 80; ++rep) {
        for (int i = 0; i < kSieve; ++i) composite[i] = 0;
        for (int i = 2; i * i < kSieve; ++i)
            if (!composite[i])
                for (int j = i * i; j < kSieve; j += i) composite[j] = 1;
        for (int i = 2; i < kSieve; ++i) sum += !composite[i];
        words[0] = (uint32_t)rep;
        for (int i = 1; i < kWords; ++i) words[i] = words[i - 1] + (uint32_t)i;
        for (int i = 0; i < kWords / 2; ++i) dwords[rep & 1][i] = dwords[!(rep & 1)][kWords / 2 - 1 - i] + words[i];
        sum += words[kWords - 1] + dwords[rep & 1][7];
    }
    return sum;
}

// Multiply and divide, 64- and 32-bit.
static uint64_t k_muldiv(void) {
    uint64_t x = 1, q = 0, r = 0;
    uint32_t w = 7;
    for (uint32_t i = 1; i < 3000000; ++i) {
        x = x * 6364136223846793005ull + i;
        q += x / (i | 1);
        r ^= x % 1000003;
        w = w * 69069u + (uint32_t)(x >> 40) / (i | 3);
    }
    return q + r + w;
}

uint64_t run_kernel(uint32_t which) {
    switch (which) {
        case 0: return k_alu();
        case 1: return k_branch();
        case 2: return k_call();
        case 3: return k_mem();
        default: return k_muldiv();
    }
}
