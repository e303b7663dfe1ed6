// Semihosting file I/O through picolibc's stdio (vp.fileio): reads input.bin from the root,
// writes its bytes reversed to result.bin, reads that back, then tries names that lead out of
// the root. Prints one line per check; the test compares them and result.bin.
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void try_open(const char* name, const char* mode) {
    errno = 0;
    FILE* f = fopen(name, mode);
    if (f) {
        printf("opened %s\n", name);
        fclose(f);
    } else {
        printf("refused %s errno %d\n", name, errno);
    }
}

int main(void) {
    static char data[256], back[256];
    FILE* in = fopen("input.bin", "rb");
    if (!in) return printf("cannot open input.bin errno %d\n", errno), 10;
    if (fseek(in, 0, SEEK_END) != 0) return 11;
    const long size = ftell(in);
    if (size <= 0 || size > (long)sizeof data) return printf("size %ld\n", size), 12;
    if (fseek(in, 0, SEEK_SET) != 0) return 13;
    if (fread(data, 1, (size_t)size, in) != (size_t)size) return 14;
    fclose(in);
    printf("read %ld bytes\n", size);

    FILE* out = fopen("result.bin", "wb");
    if (!out) return printf("cannot create result.bin errno %d\n", errno), 15;
    for (long k = size - 1; k >= 0; --k) fputc(data[k], out);
    fclose(out);

    FILE* check = fopen("result.bin", "rb");
    if (!check || fread(back, 1, sizeof back, check) != (size_t)size) return 16;
    if (fseek(check, 2, SEEK_SET) != 0 || fgetc(check) != data[size - 3]) return 17;
    fclose(check);
    printf("wrote %ld bytes\n", size);

    try_open("../x", "r");
    try_open("/etc/passwd", "r");
    try_open("link", "r");
    try_open("dirlink/passwd", "r");
    try_open("fifo", "r");
    try_open("fifo", "w");
    try_open("missing", "r");
    try_open("sub/inner.txt", "r");
    return 0;
}
