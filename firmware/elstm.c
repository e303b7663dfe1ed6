/* The host program of the E-LSTM system: for every sequence and layer it hands the co-processor
 * the layer's six RoCC commands (docs/design.md §3), in the order of the reference elstm.c (plus the
 * delta thresholds and weight scales when the descriptor's features ask for them), and prints
 * the cycles each layer took. The workload comes from the platform's descriptor. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

/* A custom-0 command without a result (funct3 = 3: xs1, xs2). The accelerator reads and writes
 * memory behind the compiler's back, hence the memory clobber. */
#define ROCC(funct, rs1, rs2) \
    __asm__ volatile(".insn r CUSTOM_0, 3, " #funct ", x0, %0, %1" ::"r"(rs1), "r"(rs2) : "memory")

/* Command 5 starts the layer; with xd (funct3 = 7) it returns once the layer is done, rd = its cycles. */
static uint64_t rocc_start(uint64_t u, uint64_t flags) {
    uint64_t cycles;
    __asm__ volatile(".insn r CUSTOM_0, 7, 5, %0, %1, %2" : "=r"(cycles) : "r"(u), "r"(flags) : "memory");
    return cycles;
}

static uint64_t run_layer(const struct elstm_desc *d, const struct elstm_layer_desc *l, uint64_t x, uint64_t h) {
    ROCC(0, l->m, l->n);
    ROCC(1, l->threshold_bits, d->steps);
    ROCC(2, l->w, l->bias);
    ROCC(3, l->table, l->n_fuse);
    ROCC(4, x, h);
    if (d->features & ELSTM_FEATURE_DELTA) ROCC(7, l->theta_x_bits, l->theta_h_bits);
    if (d->features & ELSTM_FEATURE_WEIGHT_SCALE) ROCC(8, l->w_frac, l->u_frac);
    return rocc_start(l->u, d->flags);
}

int main(void) {
    const struct elstm_desc *d = elstm_desc_open("elstm");
    if (!d) return ELSTM_EXIT_BAD_DESC;
    const struct elstm_layer_desc *layers = elstm_layers(d);

    uint64_t total = 0;
    for (uint64_t s = 0; s < d->sequences; ++s) {
        for (uint64_t l = 0; l < d->layers; ++l) {
            const uint64_t cycles = run_layer(d, &layers[l], elstm_x_addr(d, l, s), elstm_h_addr(d, l, s));
            printf("layer %" PRIu64 " seq %" PRIu64 ": %" PRIu64 " cycles\n", l + 1, s, cycles);
            total += cycles;
        }
    }
    printf("total: %" PRIu64 " cycles\n", total);
    return 0;
}
