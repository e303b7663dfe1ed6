// A custom-0 command the accelerator does not know (funct 9), at the entry point.
    .option norvc
    .text
    .globl _start
_start:
    .insn r CUSTOM_0, 7, 9, a0, a1, a2
    j .
