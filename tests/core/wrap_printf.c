// picolibc with semihosting: printf through SYS_WRITEC, exit(3) through the features file and
// SYS_EXIT_EXTENDED.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("hello %d\n", 42);
    exit(3);
}
