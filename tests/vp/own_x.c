/* Firmware that brings its own x: before each sequence it overwrites the first layer's x in DRAM
 * with values of its own, then runs the layers as elstm.c does. The golden check must compare
 * against this x (what the accelerator read), not the x the platform loaded (vp.inputs own_x). */
#include <stdint.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

#define ROCC(funct, rs1, rs2) \
    __asm__ volatile(".insn r CUSTOM_0, 3, " #funct ", x0, %0, %1" ::"r"(rs1), "r"(rs2) : "memory")

static uint64_t rocc_start(uint64_t u, uint64_t flags) {
    uint64_t cycles;
    __asm__ volatile(".insn r CUSTOM_0, 7, 5, %0, %1, %2" : "=r"(cycles) : "r"(u), "r"(flags) : "memory");
    return cycles;
}

static void run_layer(const struct elstm_desc *d, const struct elstm_layer_desc *l, uint64_t x, uint64_t h) {
    ROCC(0, l->m, l->n);
    ROCC(1, l->threshold_bits, d->steps);
    ROCC(2, l->w, l->bias);
    ROCC(3, l->table, l->n_fuse);
    ROCC(4, x, h);
    if (d->features & ELSTM_FEATURE_DELTA) ROCC(7, l->theta_x_bits, l->theta_h_bits);
    if (d->features & ELSTM_FEATURE_WEIGHT_SCALE) ROCC(8, l->w_frac, l->u_frac);
    rocc_start(l->u, d->flags);
}

int main(void) {
    const struct elstm_desc *d = elstm_desc_open("own_x");
    if (!d) return ELSTM_EXIT_BAD_DESC;
    const struct elstm_layer_desc *layers = elstm_layers(d);
    const uint64_t m = layers[0].m, row = (m + 1) / 2 * 2; /* fp32 rows padded to 64-bit words */
    for (uint64_t s = 0; s < d->sequences; ++s) {
        float *x = (float *)(uintptr_t)elstm_x_addr(d, 0, s);
        for (uint64_t t = 0; t < d->steps; ++t)
            for (uint64_t i = 0; i < m; ++i) x[t * row + i] = (float)((int)((t * 7 + i * 3 + s * 5) % 13) - 6) / 8.0f;
        for (uint64_t l = 0; l < d->layers; ++l) run_layer(d, &layers[l], elstm_x_addr(d, l, s), elstm_h_addr(d, l, s));
    }
    return 0;
}
