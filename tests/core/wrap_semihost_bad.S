// SYS_WRITE0 of a string at 0x10, where nothing is mapped; the ebreak is at 0x8000000c.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li a0, SYS_WRITE0
    li a1, 0x10
    slli zero, zero, 0x1f
    ebreak
    srai zero, zero, 7
    j .
