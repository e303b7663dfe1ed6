// SYS_EXIT_EXTENDED with exit code 2^32, which a 32-bit int would make 0.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li s0, 0x100000000
    exit_with s0
