// A load from 0x1008, where nothing is mapped, at pc 0x80000004.
    .option norvc
    .text
    .globl _start
_start:
    li t0, 0x1000
    ld t1, 8(t0)
    j .
