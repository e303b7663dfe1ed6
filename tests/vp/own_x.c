/* Firmware that brings its own x: before each sequence it overwrites the first layer's x in DRAM
 * with values of its own, then runs the layers as elstm.c does (elstm_run_layer). The golden
 * check must compare against this x (what the accelerator read), not the x the platform loaded
 * (vp.inputs own_x). */
#include <stdint.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

int main(void) {
    const struct elstm_desc *d = elstm_desc_open("own_x");
    if (!d) return ELSTM_EXIT_BAD_DESC;
    const uint64_t m = elstm_layers(d)[0].m, row = (m + 1) / 2 * 2; /* fp32 rows padded to 64-bit words */
    for (uint64_t s = 0; s < d->sequences; ++s) {
        float *x = (float *)(uintptr_t)elstm_x_addr(d, 0, s);
        for (uint64_t t = 0; t < d->steps; ++t)
            for (uint64_t i = 0; i < m; ++i) x[t * row + i] = (float)((int)((t * 7 + i * 3 + s * 5) % 13) - 6) / 8.0f;
        for (uint64_t l = 0; l < d->layers; ++l) elstm_run_layer(d, l, s);
    }
    return 0;
}
