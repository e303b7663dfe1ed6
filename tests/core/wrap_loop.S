// 1000 iterations of addi + bnez between two mcycle reads; the difference goes to 0x80001000.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li t0, 1000
    csrr s0, mcycle
1:  addi t0, t0, -1
    bnez t0, 1b
    csrr s1, mcycle
    sub s1, s1, s0
    li t0, 0x80001000
    sd s1, 0(t0)
    exit_with zero
