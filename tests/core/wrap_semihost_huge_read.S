// SYS_READ of 2^40 bytes from the features file into the DRAM base: the file has 5, but the
// buffer the program names runs past the DRAM. The second ebreak is at 0x80000034.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    semihost SYS_OPEN, open_features
    la t0, read_block
    sd a0, 0(t0)
    semihost SYS_READ, read_block
    j .

    .balign 8
open_features: .dword features_name, 0, 21
read_block:    .dword 0, 0x80000000, 0x10000000000
features_name: .asciz ":semihosting-features"
