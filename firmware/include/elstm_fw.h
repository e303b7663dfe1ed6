/* Helpers shared by the host programs (elstm.c, classify.c, lstm_cpu.c). */
#ifndef ELSTM_FW_H
#define ELSTM_FW_H

#include <stdint.h>
#include <stdio.h>

#include "elstm_desc.h"

/* Exit code of a program that finds no usable descriptor. */
#define ELSTM_EXIT_BAD_DESC 3

/* The platform's descriptor, or NULL (after saying why) when its magic or version is wrong:
 * the ELF then does not fit the platform that loaded it. */
static inline const struct elstm_desc *elstm_desc_open(const char *program) {
    const struct elstm_desc *d = (const struct elstm_desc *)(uintptr_t)ELSTM_DESC_ADDR;
    if (d->magic != ELSTM_DESC_MAGIC || d->version != ELSTM_DESC_VERSION) {
        printf("%s: no workload descriptor at 0x%llx (magic 0x%llx, version %llu; expected 0x%llx, version %d)\n",
               program, ELSTM_DESC_ADDR, (unsigned long long)d->magic, (unsigned long long)d->version,
               ELSTM_DESC_MAGIC, ELSTM_DESC_VERSION);
        return NULL;
    }
    return d;
}

static inline const struct elstm_layer_desc *elstm_layers(const struct elstm_desc *d) {
    return (const struct elstm_layer_desc *)(uintptr_t)d->layer_table;
}

/* x of layer `layer` (0-based) for sequence `seq`: the input for the first layer, else the h of
 * the layer below, which has the same padded layout. */
static inline uint64_t elstm_x_addr(const struct elstm_desc *d, uint64_t layer, uint64_t seq) {
    if (layer == 0) return ((const uint64_t *)(uintptr_t)d->x_table)[seq];
    return ((const uint64_t *)(uintptr_t)d->h_table)[(layer - 1) * d->sequences + seq];
}

static inline uint64_t elstm_h_addr(const struct elstm_desc *d, uint64_t layer, uint64_t seq) {
    return ((const uint64_t *)(uintptr_t)d->h_table)[layer * d->sequences + seq];
}

/* A custom-0 command without a result (funct3 = 3: xs1, xs2). The accelerator reads and writes
 * memory behind the compiler's back, hence the memory clobber. */
#define ELSTM_ROCC(funct, rs1, rs2) \
    __asm__ volatile(".insn r CUSTOM_0, 3, " #funct ", x0, %0, %1" ::"r"(rs1), "r"(rs2) : "memory")

/* Command 5 starts the layer; with xd (funct3 = 7) it returns once the layer is done, rd = its cycles. */
static inline uint64_t elstm_rocc_start(uint64_t u, uint64_t flags) {
    uint64_t cycles;
    __asm__ volatile(".insn r CUSTOM_0, 7, 5, %0, %1, %2" : "=r"(cycles) : "r"(u), "r"(flags) : "memory");
    return cycles;
}

/* One layer of one sequence on the co-processor: its six RoCC commands (docs/design.md §3) in the
 * order of the reference elstm.c, plus the delta thresholds and weight scales when the
 * descriptor's features ask for them. Returns the cycles the layer took. Out of line, so a
 * debugger breaks on it once per layer (`break elstm_run_layer`). */
static __attribute__((noinline, unused)) uint64_t elstm_run_layer(const struct elstm_desc *d, uint64_t layer,
                                                                  uint64_t seq) {
    const struct elstm_layer_desc *l = &elstm_layers(d)[layer];
    ELSTM_ROCC(0, l->m, l->n);
    ELSTM_ROCC(1, l->threshold_bits, d->steps);
    ELSTM_ROCC(2, l->w, l->bias);
    ELSTM_ROCC(3, l->table, l->n_fuse);
    ELSTM_ROCC(4, elstm_x_addr(d, layer, seq), elstm_h_addr(d, layer, seq));
    if (d->features & ELSTM_FEATURE_DELTA) ELSTM_ROCC(7, l->theta_x_bits, l->theta_h_bits);
    if (d->features & ELSTM_FEATURE_WEIGHT_SCALE) ELSTM_ROCC(8, l->w_frac, l->u_frac);
    return elstm_rocc_start(l->u, d->flags);
}

/* The core's cycle counter (mcycle): the ISS's cycles plus those spent waiting for the accelerator.
 * The programs are built for rv64imac (picolibc's multilib) without Zicsr, which the core has. */
static inline uint64_t elstm_cycles(void) {
    uint64_t c;
    __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, mcycle\n.option pop" : "=r"(c)::"memory");
    return c;
}

#endif
