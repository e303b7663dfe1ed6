/* The CPU-only baseline: the same LSTM layers the co-processor runs, computed in software on the
 * RISC-V core alone, straight from the packed eSELL words in memory (docs/design.md §2). Every row
 * sums its products in ascending column order from 0.0f and preact = (W·x + U·h) + b, as in the
 * platform's golden model, so the h this writes can be checked against it. rv64imac has no FPU:
 * the float arithmetic is libgcc's soft-float. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

#define EXIT_NO_MEMORY 4
#define FLAG_NO_PRUNING 2u /* command 5's flags */
#define BLOCK_HEIGHT 8     /* rows of an eSELL block: two chunks of 4 */
#define CHUNK_HEIGHT 4
#define BLOCK_WIDTH 4      /* matrix columns of a block column; also the h pruning block */

/* col(i, code): the column inside its block column of a row's i-th packed value with EIDX_col
 * `code`; -1 where the format defines none (only zero padding sits there). */
static const int8_t column_of[BLOCK_WIDTH][8] = {
    {0, 0, 0, 0, 1, 1, 2, 3},
    {1, 1, 2, 3, 2, 3, 3, -1},
    {2, 3, 3, -1, 3, -1, -1, -1},
    {3, -1, -1, -1, -1, -1, -1, -1},
};

static float fp16_to_float(uint16_t bits) {
    const uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    const uint32_t exp = (bits >> 10) & 0x1Fu;
    uint32_t mant = bits & 0x3FFu;
    uint32_t f;
    if (exp == 0x1F) {
        f = sign | 0x7F800000u | (mant << 13);
    } else if (exp != 0) {
        f = sign | ((exp + 112u) << 23) | (mant << 13);
    } else if (mant == 0) {
        f = sign;
    } else { /* subnormal: normalise, dropping the leading one */
        uint32_t e = 113;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --e;
        }
        f = sign | (e << 23) | ((mant & 0x3FFu) << 13);
    }
    union { uint32_t u; float f; } v = {f};
    return v.f;
}

static uint64_t padded(uint64_t n) { return (n + 1) / 2 * 2; }

/* acc[row] += value · x[col] for every stored value of block column `bc` of a rows × cols matrix,
 * whose words start at `word`; returns the word after it. A row's values in a chunk come in
 * ascending column order, so each row still sums its columns in ascending order. */
static const uint64_t *block_column_mac(const uint64_t *word, uint64_t bc, uint64_t rows, uint64_t cols,
                                        const float *x, float *acc) {
    const uint64_t block_rows = (rows + BLOCK_HEIGHT - 1) / BLOCK_HEIGHT;
    for (uint64_t b = 0; b < block_rows; ++b) {
        const uint64_t head = *word++;
        for (unsigned c = 0; c < 2; ++c) {
            const uint32_t chunk = (uint32_t)(head >> (32 * c));
            const unsigned width = chunk & 7u;
            for (unsigned t = 0; t < width; ++t) {
                const uint64_t values = *word++;
                for (unsigned j = 0; j < CHUNK_HEIGHT; ++j) {
                    const uint16_t bits = (uint16_t)(values >> (16 * j));
                    if ((bits & 0x7FFFu) == 0) continue; /* padding: adds nothing */
                    const int col = column_of[t][(chunk >> (3 + 3 * j)) & 7u];
                    const uint64_t row = b * BLOCK_HEIGHT + ((chunk >> (15 + 3 * j)) & 7u);
                    const uint64_t column = bc * BLOCK_WIDTH + (uint64_t)col;
                    if (col < 0 || row >= rows || column >= cols) continue; /* a malformed stream */
                    acc[row] += fp16_to_float(bits) * x[column];
                }
            }
        }
    }
    return word;
}

/* acc = M·x, M an eSELL matrix of rows × cols. */
static void spmv(const uint64_t *words, uint64_t rows, uint64_t cols, const float *x, float *acc) {
    for (uint64_t r = 0; r < rows; ++r) acc[r] = 0.0f;
    for (uint64_t bc = 0; bc < (cols + BLOCK_WIDTH - 1) / BLOCK_WIDTH; ++bc)
        words = block_column_mac(words, bc, rows, cols, x, acc);
}

/* The reference model's rule: keep a block of h iff Σ|h_i| ≥ th or any |h_i| ≥ th/2. */
static int keep_h_block(const float *h, uint64_t len, float threshold) {
    float sum = 0.0f;
    int big = 0;
    for (uint64_t i = 0; i < len; ++i) {
        const float a = fabsf(h[i]);
        sum += a;
        big = big || a >= threshold / 2.0f;
    }
    return big || sum >= threshold;
}

/* acc = U·h over the kept blocks of h only (U is 4n × n); the word-count table (16-bit entries,
 * 4 per word) skips a pruned block column without reading it. */
static void spmspv(const uint64_t *words, const uint64_t *table, uint64_t n, const float *h, int prune,
                   float threshold, float *acc) {
    for (uint64_t r = 0; r < 4 * n; ++r) acc[r] = 0.0f;
    for (uint64_t bc = 0; bc < (n + BLOCK_WIDTH - 1) / BLOCK_WIDTH; ++bc) {
        const uint64_t first = bc * BLOCK_WIDTH;
        const uint64_t len = n - first < BLOCK_WIDTH ? n - first : BLOCK_WIDTH;
        if (!prune || keep_h_block(h + first, len, threshold)) block_column_mac(words, bc, 4 * n, n, h, acc);
        words += (table[bc / 4] >> (16 * (bc % 4))) & 0xFFFFu;
    }
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Gates f, i, c, o from preact = (W·x + U·h) + b; updates c and writes h. */
static void cell_update(const float *wx, const float *uh, const float *bias, uint64_t n, float *c, float *h) {
    for (uint64_t i = 0; i < n; ++i) {
        const float f = sigmoid((wx[i] + uh[i]) + bias[i]);
        const float in = sigmoid((wx[n + i] + uh[n + i]) + bias[n + i]);
        const float g = tanhf((wx[2 * n + i] + uh[2 * n + i]) + bias[2 * n + i]);
        const float o = sigmoid((wx[3 * n + i] + uh[3 * n + i]) + bias[3 * n + i]);
        c[i] = f * c[i] + in * g;
        h[i] = o * tanhf(c[i]);
    }
}

/* Per-layer scratch: W·x and U·h of a step, the bias as floats, c, and h_{-1} = 0 (zeroed here). */
struct scratch {
    float *wx, *uh, *bias, *c, *h0;
};

static int scratch_alloc(struct scratch *s, uint64_t n) {
    s->wx = malloc(4 * n * sizeof(float));
    s->uh = malloc(4 * n * sizeof(float));
    s->bias = malloc(4 * n * sizeof(float));
    s->c = malloc(n * sizeof(float));
    s->h0 = calloc(padded(n), sizeof(float));
    return s->wx && s->uh && s->bias && s->c && s->h0;
}

static void scratch_free(struct scratch *s) {
    free(s->wx);
    free(s->uh);
    free(s->bias);
    free(s->c);
    free(s->h0);
}

static void run_layer(const struct elstm_desc *d, const struct elstm_layer_desc *l, const float *x, float *h,
                      struct scratch *s) {
    const uint64_t n = l->n;
    const uint64_t *bias_words = (const uint64_t *)(uintptr_t)l->bias;
    for (uint64_t r = 0; r < 4 * n; ++r) s->bias[r] = fp16_to_float((uint16_t)(bias_words[r / 4] >> (16 * (r % 4))));
    for (uint64_t i = 0; i < n; ++i) s->c[i] = 0.0f;
    union { uint32_t u; float f; } threshold = {(uint32_t)l->threshold_bits};
    const int prune = (d->flags & FLAG_NO_PRUNING) == 0;

    const float *h_prev = s->h0;
    for (uint64_t t = 0; t < d->steps; ++t) {
        float *h_t = h + t * padded(n);
        spmv((const uint64_t *)(uintptr_t)l->w, 4 * n, l->m, x + t * padded(l->m), s->wx);
        spmspv((const uint64_t *)(uintptr_t)l->u, (const uint64_t *)(uintptr_t)l->table, n, h_prev, prune,
               threshold.f, s->uh);
        cell_update(s->wx, s->uh, s->bias, n, s->c, h_t);
        if (padded(n) != n) h_t[n] = 0.0f; /* the step's padding, as the x layout of the next layer expects */
        h_prev = h_t;
    }
}

/* Zicsr is part of the core (RV64IMAC + Zicsr), but -march stays rv64imac to match picolibc's
 * multilib, so the assembler is told about it here only. */
static uint64_t mcycle(void) {
    uint64_t c;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, mcycle\n.option pop" : "=r"(c));
    return c;
}

int main(void) {
    const struct elstm_desc *d = elstm_desc_open("lstm_cpu");
    if (!d) return ELSTM_EXIT_BAD_DESC;
    const struct elstm_layer_desc *layers = elstm_layers(d);

    uint64_t total = 0;
    for (uint64_t s = 0; s < d->sequences; ++s) {
        for (uint64_t l = 0; l < d->layers; ++l) {
            struct scratch scratch;
            if (!scratch_alloc(&scratch, layers[l].n)) {
                printf("lstm_cpu: out of heap for layer %" PRIu64 " (n = %" PRIu64 ")\n", l + 1, layers[l].n);
                return EXIT_NO_MEMORY;
            }
            const uint64_t start = mcycle();
            run_layer(d, &layers[l], (const float *)(uintptr_t)elstm_x_addr(d, l, s),
                      (float *)(uintptr_t)elstm_h_addr(d, l, s), &scratch);
            const uint64_t cycles = mcycle() - start;
            scratch_free(&scratch);
            printf("layer %" PRIu64 " seq %" PRIu64 ": %" PRIu64 " cycles\n", l + 1, s, cycles);
            total += cycles;
        }
    }
    printf("total: %" PRIu64 " cycles\n", total);
    return 0;
}
