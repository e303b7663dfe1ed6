// SYS_WRITE to the console of 2^40 bytes from the DRAM base: far more than the DRAM holds.
// The ebreak is at 0x80000010.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    semihost SYS_WRITE, block
    j .

    .balign 8
block: .dword 1, 0x80000000, 0x10000000000
