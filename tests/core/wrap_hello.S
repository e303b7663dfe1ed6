// Console output through SYS_WRITE0, SYS_WRITE (an opened ":tt" and the preopened handle 1)
// and SYS_WRITEC, then exit 0.
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    semihost SYS_WRITE0, hello
    semihost SYS_OPEN, open_tt
    la t0, write_world
    sd a0, 0(t0)
    semihost SYS_WRITE, write_world
    semihost SYS_WRITE, write_fd1
    semihost SYS_WRITEC, bang
    exit_with zero

    .balign 8
open_tt:     .dword tt, 4, 3           // ":tt", mode "w", length 3
write_world: .dword 0, world, 6
write_fd1:   .dword 1, line, 9
tt:    .asciz ":tt"
hello: .asciz "Hello, "
world: .ascii "world\n"
line:  .ascii "via fd 1\n"
bang:  .ascii "!"
