// A custom-0 command with xd (funct 5, rd = a3 from rs1 = 40 and rs2 = 2) between two mcycle
// reads. Stores rd at 0x80001000 and the mcycle difference at 0x80001008.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li a1, 40
    li a2, 2
    csrr s0, mcycle
    .insn r CUSTOM_0, 7, 5, a3, a1, a2
    csrr s1, mcycle
    sub s1, s1, s0
    li t0, 0x80001000
    sd a3, 0(t0)
    sd s1, 8(t0)
    exit_with zero
