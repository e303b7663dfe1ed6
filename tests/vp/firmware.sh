#!/usr/bin/env bash
# elstm-vp with the RISC-V core as host: the elstm firmware drives the accelerator and its
# reported cycles equal the accelerator's stats; lstm_cpu computes the LSTM on the core alone;
# bad firmware and firmware faults end the run with one clear message and a non-zero exit.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"
programs="$(dirname "$vp")/tests/core_wrap"

# elstm on quick and mnist: golden check passes, and the firmware prints the same cycles per
# layer and sequence as the accelerator's stats (the xd = 1 start command returns them).
for config in quick mnist; do
    must_pass $config --config "$configs/$config.yaml" --vcd "" -q --stats $config.json
    [ "$(json $config.json "s['host']['kind'], s['host']['firmware'], s['host']['exit_code']")" = "('core', 'elstm', 0)" ] \
        || problem "$config: host is not the elstm firmware exiting 0: $(json $config.json "s['host']")"
    [ "$(json $config.json "s['golden']['passed']")" = True ] || problem "$config: golden check failed"
    python3 - $config.json $config.out <<'PY' || problem "$config: the firmware's cycles differ from the stats"
import json, re, sys
s = json.load(open(sys.argv[1]))
printed = {(int(l), int(q)): int(c) for l, q, c in re.findall(r"^layer (\d+) seq (\d+): (\d+) cycles$", open(sys.argv[2]).read(), re.M)}
runs = {(r["layer"], r["sequence"]): r["cycles"] for r in s["runs"]}
if not runs or printed != runs:
    sys.exit(f"printed {printed}\nstats   {runs}")
PY
done

# The core's state in the VCD: running, waiting for the accelerator, stopped.
must_pass trace --config "$quick" --vcd trace.vcd -q
python3 vcd.py trace.vcd > trace.json
[ "$(json trace.json "sorted({v for _, v in s['core.state']})")" = "[0, 1, 2]" ] \
    || problem "core.state does not show running, waiting and stopped: $(json trace.json "s['core.state'][:6]")"

# lstm_cpu: the CPU-only baseline on quick, checked against the golden LSTM within a tolerance
# (its expf is picolibc's, not glibc's); the accelerator stays idle.
must_pass cpu --config "$quick" --vcd "" -q --stats cpu.json --set host.firmware=lstm_cpu \
    --set host.golden_tolerance=1e-5
[ "$(json cpu.json "s['golden']['passed'], len(s['runs'])")" = "(True, 0)" ] \
    || problem "lstm_cpu: golden check or accelerator runs wrong: $(json cpu.json "s['golden'], len(s['runs'])")"
[ "$(json cpu.json "s['host']['instructions'] > 1000000")" = True ] || problem "lstm_cpu ran too few instructions"
# Bit-exact is asked for by default, and libm differences then fail the run with the element.
run_vp cpu_exact --config "$quick" --vcd "" -q --set host.firmware=lstm_cpu
[ "$rc" -eq 1 ] && grep -q "^elstm-vp: golden check failed: layer" cpu_exact.err \
    || problem "lstm_cpu without tolerance: want exit 1 and the first mismatch (rc $rc): $(cat cpu_exact.err)"

# expect_firmware_error NAME CODE PATTERN ARGS...: exit CODE, one line on stderr matching PATTERN.
expect_firmware_error() {
    local name="$1" code="$2" pattern="$3"; shift 3
    run_vp "$name" --config "$quick" --vcd "" -q "$@"
    strip_asan_note "$name.err"  # a model error thrown in a SystemC thread (rocc_huge)
    [ "$rc" -eq "$code" ] || { problem "$name: exit $rc (want $code): $(cat "$name.err")"; return; }
    [ "$(wc -l < "$name.err")" -eq 1 ] || problem "$name: not one line on stderr: $(cat "$name.err")"
    grep -Eq "^elstm-vp: .*$pattern" "$name.err" || problem "$name: message '$(cat "$name.err")' lacks /$pattern/"
}

# Bad ELF files.
cp "$(dirname "$vp")/firmware/elstm.elf" good.elf
head -c 100 good.elf > short.elf
cp good.elf class32.elf && printf '\x01' | dd of=class32.elf bs=1 seek=4 conv=notrunc status=none
cp good.elf x86.elf && printf '\x3e\x00' | dd of=x86.elf bs=1 seek=18 conv=notrunc status=none
printf 'not an ELF file, just text that is long enough to hold an ELF header of 64 bytes.' > text.elf
expect_firmware_error missing_elf 2 "host.firmware=nothere.elf: 'nothere.elf' is neither" --set host.firmware=nothere.elf
expect_firmware_error short_elf 2 "short.elf: " --set host.firmware=$PWD/short.elf
expect_firmware_error class32_elf 2 "class32.elf: .*(32|class)" --set host.firmware=$PWD/class32.elf
expect_firmware_error x86_elf 2 "x86.elf: .*machine" --set host.firmware=$PWD/x86.elf
expect_firmware_error text_elf 2 "text.elf: .*(magic|not an ELF)" --set host.firmware=$PWD/text.elf
# Only a regular file is read as firmware: not a FIFO (nor waited on), a device, a directory.
mkfifo fifo.elf
mkdir dir.elf
expect_firmware_error fifo_elf 2 "fifo.elf: is a FIFO, not a regular file$" --set host.firmware=$PWD/fifo.elf
expect_firmware_error devzero_elf 2 "/dev/zero: is a character device, not a regular file$" --set host.firmware=/dev/zero
expect_firmware_error dir_elf 2 "dir.elf: is a directory, not a regular file$" --set host.firmware=$PWD/dir.elf
# A loadable segment moved past the firmware's MiB would overwrite the workload.
python3 - <<'PY'
import struct
elf = bytearray(open("good.elf", "rb").read())
phoff, (phentsize, phnum) = struct.unpack_from("<Q", elf, 32)[0], struct.unpack_from("<HH", elf, 54)
load = next(phoff + i * phentsize for i in range(phnum) if struct.unpack_from("<I", elf, phoff + i * phentsize)[0] == 1)
struct.pack_into("<Q", elf, load + 24, 0x80200000)   # p_paddr, where the loader puts it
open("outside.elf", "wb").write(elf)
PY
expect_firmware_error outside_elf 2 "outside.elf: segment at 0x80200000 .* is outside the firmware region \[0x80000000, 0x80100000\)" \
    --set host.firmware=$PWD/outside.elf

# The smallest C program built with the firmware's flags runs (picolibc's empty PT_LOAD at 0
# is no segment outside the firmware region) and then fails only the golden check: it computed nothing.
run_vp return0 --config "$quick" --vcd "" -q --set host.firmware=$programs/return0.elf
[ "$rc" -eq 1 ] && grep -q "^elstm-vp: golden check failed: layer" return0.err \
    || problem "return0: want exit 1 and a golden mismatch (rc $rc): $(cat return0.err)"

# Firmware faults: an unknown RoCC funct is an illegal instruction, a load from nowhere an
# access fault naming the address, an endless loop hits the instruction budget; the firmware's
# own exit code becomes elstm-vp's.
expect_firmware_error rocc_unknown 1 "illegal instruction at pc 0x8" --set host.firmware=$programs/wrap_rocc_unknown.elf
expect_firmware_error load_fault 1 "load access fault at pc 0x8.*0x" --set host.firmware=$programs/wrap_load_fault.elf
# A RoCC layer no buffer holds (m = n = 2^40) is a model error naming the values, not an allocation.
expect_firmware_error rocc_huge 1 "platform\.accel: layer rejected: m=1099511627776 n=1099511627776 steps=8 N_grp=2 \(commands 0, 1, 3\): buf_h holds 16 entries, the layer needs 1099511627776$" \
    --set host.firmware=$programs/wrap_rocc_huge.elf
expect_firmware_error budget 1 "instruction budget of 5000 exceeded" --set host.firmware=$programs/wrap_spin.elf \
    --set host.max_instructions=5000
expect_firmware_error exit3 3 "the firmware exited with code 3" --set host.firmware=$programs/wrap_exit3.elf
# A code that an exit status cannot hold (256 would be 0, 2^32 a 32-bit 0) exits 255.
expect_firmware_error exit256 255 "the firmware exited with code 256$" --set host.firmware=$programs/wrap_exit256.elf
expect_firmware_error exit_wide 255 "the firmware exited with code 4294967296$" --set host.firmware=$programs/wrap_exit_wide.elf
# A SYS_WRITE far longer than the DRAM fails before it prints anything.
expect_firmware_error huge_write 1 "semihosting call 0x5 at pc 0x80000010: cannot read a buffer of 1099511627776 bytes at 0x80000000: it runs outside memory$" \
    --set host.firmware=$programs/wrap_semihost_huge_write.elf
if [ -s huge_write.out ]; then problem "huge_write: $(wc -c < huge_write.out) bytes on stdout, want none"; fi
expect_firmware_error semihosting 1 "unsupported semihosting call 0x99 at pc 0x8" --set host.firmware=$programs/wrap_semihost_calls.elf

finish
