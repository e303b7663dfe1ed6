// SYS_EXIT_EXTENDED with exit code 3.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li s0, 3
    exit_with s0
