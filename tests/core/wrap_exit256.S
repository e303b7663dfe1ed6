// SYS_EXIT_EXTENDED with exit code 256, which an 8-bit exit status would make 0.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li s0, 256
    exit_with s0
