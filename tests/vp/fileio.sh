#!/usr/bin/env bash
# Semihosting file I/O confined to host.semihosting.root: a picolibc program (fileio.c) reads a
# data file and writes a result file there with stdio, and every way out of the root (.., an
# absolute path, symlinks to outside, a FIFO) fails inside the firmware with EACCES (13).
# Without a root no file opens at all; a root that is no folder is bad input.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"
program="$(dirname "$vp")/tests/core_wrap/fileio.elf"

mkdir -p root/sub outside
printf 'secret\n' > outside/passwd
printf 'inner\n' > root/sub/inner.txt
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(200)))' > root/input.bin
ln -s "$tmp/outside/passwd" root/link
ln -s "$tmp/outside" root/dirlink
mkfifo root/fifo

# The firmware computes no layer, so the golden check fails after it (exit 1).
run_vp roundtrip --config "$quick" --vcd "" -q --set host.firmware="$program" --set host.semihosting.root="$tmp/root"
[ "$rc" -eq 1 ] && grep -q "^elstm-vp: golden check failed: layer" roundtrip.err \
    || problem "roundtrip: want exit 1 after the firmware (rc $rc): $(cat roundtrip.err)"
want="read 200 bytes
wrote 200 bytes
refused ../x errno 13
refused /etc/passwd errno 13
refused link errno 13
refused dirlink/passwd errno 13
refused fifo errno 13
refused fifo errno 13
refused missing errno 2
opened sub/inner.txt"
# The firmware's lines (the failed golden check adds the run's summary after them).
got=$(grep -E '^(read|wrote|refused|opened|cannot) ' roundtrip.out || true)
[ "$got" = "$want" ] || problem "roundtrip: firmware printed
$got
want
$want"
python3 -c 'import sys; sys.exit(open(sys.argv[1], "rb").read() != bytes(reversed(range(200))))' root/result.bin \
    || problem "roundtrip: result.bin is not input.bin reversed"
[ "$(cat outside/passwd)" = secret ] || problem "roundtrip: a file outside the root changed"

# A relative root is relative to the config's folder.
cp "$quick" quick.yaml
rm root/result.bin
run_vp relative --config quick.yaml --vcd "" -q --set host.firmware="$program" --set host.semihosting.root=root
[ -f root/result.bin ] || problem "relative: no result.bin in the root next to the config (rc $rc)"

# No root: no file opens (the firmware stops at its first fopen with exit code 10).
run_vp noroot --config "$quick" --vcd "" -q --set host.firmware="$program"
[ "$rc" -eq 10 ] && grep -qx "cannot open input.bin errno 13" noroot.out \
    || problem "noroot: want exit 10 after 'cannot open input.bin errno 13' (rc $rc): $(cat noroot.out noroot.err)"

expect_error root_missing 2 "--set host.semihosting.root=nowhere: 'nowhere' is not a folder \(looked for nowhere\)$" \
    --config quick.yaml --set host.semihosting.root=nowhere
expect_error root_file 2 "--set host.semihosting.root=root/input.bin: 'root/input.bin' is not a folder" \
    --config quick.yaml --set host.semihosting.root=root/input.bin
finish
