// A layer no buffer can hold: m = n = 2^40 (funct 0), then the start (funct 5). The accelerator
// must reject it as a model error rather than size anything by it.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li a1, 1
    slli a1, a1, 40
    .insn r CUSTOM_0, 3, 0, zero, a1, a1
    li a1, 0
    li a2, 8
    .insn r CUSTOM_0, 3, 1, zero, a1, a2
    li a2, 2
    .insn r CUSTOM_0, 3, 3, zero, a1, a2
    .insn r CUSTOM_0, 7, 5, a3, a1, zero
    exit_with zero
