// Runs 21 cycles, ends the ISS slice with a semihosting call, then sets mcycle back to 0:
// the kernel's time must not go backwards (or wrap around) with it.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li t0, 10
1:  addi t0, t0, -1
    bnez t0, 1b
    semihost SYS_WRITEC, dot
    csrw mcycle, zero
    exit_with zero
dot: .ascii "."
