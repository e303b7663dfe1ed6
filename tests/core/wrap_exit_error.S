// SYS_EXIT with a reason other than ApplicationExit (what picolibc sends for exit(7) when it
// does not know SYS_EXIT_EXTENDED): the exit code is 1.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    semihost SYS_EXIT, block
    j .
    .balign 8
block: .dword ADP_Stopped_RunTimeErrorUnknown, 7
