// Shared by the core wrapper's test programs (wrap_*.S). Each program is linked at the DRAM
// base (0x80000000) and keeps its data in .text: memory has no protection, and the flat
// binary stays one block. No compressed instructions, so addresses are easy to count.
.option norvc

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITEC 0x03
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_ISTTY 0x09
#define SYS_FLEN 0x0C
#define SYS_CLOCK 0x10
#define SYS_TIME 0x11
#define SYS_ERRNO 0x13
#define SYS_GET_CMDLINE 0x15
#define SYS_HEAPINFO 0x16
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define SYS_ELAPSED 0x30
#define SYS_TICKFREQ 0x31
#define ADP_Stopped_ApplicationExit 0x20026
#define ADP_Stopped_RunTimeErrorUnknown 0x20023

// The RISC-V semihosting sequence: op in a0, argument in a1, result in a0.
.macro semihost op, arg
    li a0, \op
    la a1, \arg
    slli zero, zero, 0x1f
    ebreak
    srai zero, zero, 7
.endm

// SYS_EXIT_EXTENDED with the exit code in \reg (not a0 or a1).
.macro exit_with reg
    la t6, 1f
    sd \reg, 8(t6)
    semihost SYS_EXIT_EXTENDED, 1f
    j .
    .balign 8
1:  .dword ADP_Stopped_ApplicationExit, 0
.endm
