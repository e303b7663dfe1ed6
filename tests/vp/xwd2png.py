"""Converts an X window dump (xwd -root, TrueColor at 24 or 32 bits per pixel) to a PNG and prints its size and
colours: python3 xwd2png.py IN.xwd OUT.png [WIDTH] (scaled down to WIDTH pixels wide).
Debian's numpy and matplotlib only."""
import struct, sys
import numpy as np
import matplotlib.image

def read_xwd(path):
    data = open(path, "rb").read()
    h = struct.unpack(">25I", data[:100])
    header_size, width, height, byte_order, bpp, bpl, ncolors = h[0], h[4], h[5], h[7], h[11], h[12], h[19]
    if bpp not in (24, 32): sys.exit(f"{path}: {bpp} bits per pixel, only 24 and 32 are read")
    n = bpp // 8
    start = header_size + 12 * ncolors
    rows = np.frombuffer(data, dtype=np.uint8, count=height * bpl, offset=start).reshape(height, bpl)
    px = rows[:, :n * width].reshape(height, width, n)
    return px[:, :, [2, 1, 0]] if byte_order == 0 else px[:, :, [n - 3, n - 2, n - 1]]  # LSB first: B G R

if __name__ == "__main__":
    img = read_xwd(sys.argv[1])
    if len(sys.argv) > 3:
        step = max(1, img.shape[1] // int(sys.argv[3]))
        img = img[::step, ::step]
    matplotlib.image.imsave(sys.argv[2], np.ascontiguousarray(img))
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    print(f"{img.shape[1]} {img.shape[0]} {colours}")
