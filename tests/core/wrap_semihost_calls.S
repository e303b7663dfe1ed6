// The other semihosting calls, each result (a0) stored at 0x80001000 + 8·k, then an
// unsupported call (0x99).
#include "wrap_macros.h"
    .text
    .globl _start
_start:
    li s11, 0x80001000
    semihost SYS_OPEN, open_features        // 0: a handle
    sd a0, 0(s11)
    la t0, features
    sd a0, 0(t0)
    la t0, read_features
    sd a0, 0(t0)
    semihost SYS_FLEN, features             // 1: 5
    sd a0, 8(s11)
    semihost SYS_READ, read_features        // 2: 3 bytes not read; "SHFB\1" at 0x80001080
    sd a0, 16(s11)
    semihost SYS_ISTTY, features            // 3: 0
    sd a0, 24(s11)
    semihost SYS_CLOSE, features            // 4: 0
    sd a0, 32(s11)
    semihost SYS_ISTTY, stdout_handle       // 5: 1
    sd a0, 40(s11)
    semihost SYS_OPEN, open_other           // 6: -1
    sd a0, 48(s11)
    semihost SYS_TICKFREQ, zero_word        // 7: the clock frequency
    sd a0, 56(s11)
    semihost SYS_ELAPSED, elapsed           // 8: 0; 14: the cycle count it wrote
    sd a0, 64(s11)
    la t0, elapsed
    ld t0, 0(t0)
    sd t0, 112(s11)
    semihost SYS_CLOCK, zero_word           // 9: centiseconds
    sd a0, 72(s11)
    semihost SYS_GET_CMDLINE, cmdline       // 10: 0; "" at 0x800010d0, length 0
    sd a0, 80(s11)
    semihost SYS_TIME, zero_word            // 11: 0 (whole simulated seconds)
    sd a0, 88(s11)
    semihost SYS_ERRNO, zero_word           // 12: 13 (EACCES, from 6)
    sd a0, 96(s11)
    semihost SYS_HEAPINFO, zero_word        // 13: 0
    sd a0, 104(s11)
    semihost 0x99, zero_word
    j .

    .balign 8
open_features: .dword features_name, 0, 21
open_other:    .dword other_name, 0, 6
features:      .dword 0
read_features: .dword 0, 0x80001080, 8
stdout_handle: .dword 1
cmdline:       .dword 0x800010d0, 16
zero_word:     .dword 0
elapsed:       .dword 0
features_name: .asciz ":semihosting-features"
other_name:    .asciz "a.file"
