#!/usr/bin/env bash
# elstm-vp end to end: where the stats and the VCD go. A symbolic link is followed (its target
# written whole, the link kept), a device or FIFO is written in place, "-" is stdout; a path
# that cannot be written fails before the run (exit 2, naming it); two outputs, or an output
# and an input, that are one file fail before the run; two runs writing one file each leave it
# whole, never mixed.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"

# Reference outputs of quick.yaml, written to plain files.
must_pass ref --config "$quick" -q --vcd ref.vcd --stats ref.json

# --- paths of the config ------------------------------------------------------------------------
# A shipped config works from any working directory (here a temporary one): its trace.vcd,
# ../traces/quick.vcd, is relative to the YAML file's folder, so the VCD lands in the source
# tree's traces/, the same file as --vcd gives.
rm -f "$src/traces/quick.vcd"
must_pass shipped_from_tmp --config "$quick" -q
cmp -s "$src/traces/quick.vcd" ref.vcd || problem "shipped_from_tmp: $src/traces/quick.vcd is not the run's VCD"
[ -z "$(ls -d traces 2>/dev/null)" ] || problem "shipped_from_tmp: a traces/ appeared in the working directory"
# trace.vcd and stats in a config in sub/ (also through --set) are relative to sub/; --vcd and
# --stats on the command line to the working directory.
mkdir sub
sed -e 's|^stats: ""|stats: yaml.json|' -e 's|^  vcd: ../traces/quick.vcd|  vcd: yaml.vcd|' "$quick" >sub/c.yaml
must_pass yaml_relative --config sub/c.yaml -q
[ -s sub/yaml.vcd ] && [ -s sub/yaml.json ] || problem "yaml_relative: sub/yaml.vcd, sub/yaml.json not written: $(ls sub)"
must_pass set_relative --config sub/c.yaml -q --set trace.vcd=set.vcd --set stats=set.json
[ -s sub/set.vcd ] && [ -s sub/set.json ] || problem "set_relative: sub/set.vcd, sub/set.json not written: $(ls sub)"
must_pass cli_relative --config sub/c.yaml -q --vcd cli.vcd --stats cli.json
[ -s cli.vcd ] && [ -s cli.json ] || problem "cli_relative: ./cli.vcd, ./cli.json not written: $(ls)"
rm -rf sub cli.vcd cli.json

# --- links, devices, stdout ---------------------------------------------------------------------
# A link to a file: the target gets the output, the link stays a link.
: >target.vcd; ln -s target.vcd link.vcd
: >target.json; ln -s target.json link.json
must_pass link --config "$quick" -q --vcd link.vcd --stats link.json
[ -L link.vcd ] && [ -L link.json ] || problem "link: a link was replaced by a file"
cmp -s target.vcd ref.vcd && cmp -s target.json ref.json || problem "link: the targets are not the outputs"
# A chain of links into another folder, and a dangling link (its target is created there).
mkdir other
ln -s other/chain_target.vcd other_link.vcd; ln -s other_link.vcd chain.vcd
ln -s ../other/dangling.json other/dangling_link.json
must_pass chain --config "$quick" -q --vcd chain.vcd --stats other/dangling_link.json
[ -L chain.vcd ] && [ -L other_link.vcd ] && [ -L other/dangling_link.json ] || problem "chain: a link was replaced"
cmp -s other/chain_target.vcd ref.vcd && cmp -s other/dangling.json ref.json || problem "chain: the targets are not the outputs"
# Temporary files sit beside the target and go: nothing else in the target's folder.
[ "$(ls other | tr '\n' ' ')" = "chain_target.vcd dangling.json dangling_link.json " ] \
    || problem "chain: files left beside the targets: $(ls other)"

# "-", /dev/stdout and /proc/self/fd/1 all mean stdout: what the firmware printed, then the
# stats, then the summary. /dev/stdout is named through a link of our own: a regression would
# replace that link, not the system's /dev/stdout (as the temporary-then-rename once did).
# contains FILE PART...: each PART, a file's contents or the text itself, appears in FILE after
# the one before.
contains() {
    python3 - "$@" <<'PY'
import os, sys
text, at = open(sys.argv[1], "rb").read(), 0
for part in sys.argv[2:]:
    at = text.find(open(part, "rb").read() if os.path.isfile(part) else part.encode(), at)
    if at < 0: sys.exit(1)
PY
}
ln -s /dev/stdout dev_stdout.json
ln -s /proc/self/fd/1 fd1.json
for spelling in - dev_stdout.json fd1.json; do
    run_vp stdout --config "$quick" -q --vcd "" --stats "$spelling"
    [ "$rc" -eq 0 ] && contains stdout.out 'total: ' ref.json 'golden check: passed' \
        || problem "stdout ($spelling): exit $rc, stdout is not the firmware's lines, the stats and the summary"
    [ "$spelling" = - ] || [ -L "$spelling" ] || problem "stdout ($spelling): the link was replaced"
done
# The VCD to stdout redirected to a file: the file has it, then the summary.
ln -s /dev/stdout dev_stdout.vcd
run_vp stdout_vcd --config "$quick" -q --vcd dev_stdout.vcd
[ "$rc" -eq 0 ] && [ -L dev_stdout.vcd ] && contains stdout_vcd.out ref.vcd 'golden check: passed' \
    || problem "stdout_vcd: exit $rc, the link was replaced or stdout does not hold the VCD and the summary"

# A FIFO is written in place, once a reader opens it (the run does not wait for one before it
# starts: it blocks, after the run, as any writer of a FIFO does).
mkfifo fifo.json
cat fifo.json >from_fifo.json &
reader=$!
must_pass fifo --config "$quick" -q --vcd "" --stats fifo.json
wait $reader
[ -p fifo.json ] && cmp -s from_fifo.json ref.json || problem "fifo: the FIFO was replaced or did not get the stats"

# --- paths that cannot be written: exit 2 before the run ----------------------------------------
ln -s loop_b.vcd loop_a.vcd; ln -s loop_a.vcd loop_b.vcd
expect_error link_loop 2 'trace\.vcd: cannot write loop_a\.vcd: Too many levels of symbolic links$' --config "$quick" -q --vcd loop_a.vcd
mkdir folder; ln -s folder folder_link.json
expect_error link_to_folder 2 '--stats: cannot write folder_link\.json: it is a folder$' --config "$quick" -q --vcd "" --stats folder_link.json
# A name whose temporary file is past the file system's 255 bytes; /proc and /sys take no files.
long=$(printf 'v%.0s' $(seq 244))
expect_error vcd_long_name 2 "trace\.vcd: cannot write $long: File name too long \(the temporary name $long\..*\.tmp written first\)$" \
    --config "$quick" -q --vcd "$long" --stats long.json
expect_error vcd_proc 2 'trace\.vcd: cannot write /proc/x\.vcd: ' --config "$quick" -q --vcd /proc/x.vcd
if [ -d /sys ]; then
    expect_error vcd_sys 2 'trace\.vcd: cannot write /sys/x\.vcd: ' --config "$quick" -q --vcd /sys/x.vcd
fi
no_left=$(ls | grep -E "^$long|^long\.json" || true)
[ -z "$no_left" ] || problem "vcd_long_name: files left behind: $no_left"

# --- one file for two things: exit 2 before the run, nothing touched ---------------------------
cp "$quick" c.yaml
sum=$(md5sum c.yaml)
expect_error same_outputs 2 '--stats: cannot write x: it is the same file as trace\.vcd \(x\)$' --config c.yaml -q --vcd x --stats x
[ ! -e x ] || problem "same_outputs: x was written"
mkdir sub
expect_error same_outputs_spelling 2 '--stats: cannot write \./sub/\.\./x: it is the same file as trace\.vcd \(x\)$' \
    --config c.yaml -q --vcd x --stats ./sub/../x
expect_error stats_is_config 2 '--stats: cannot write c\.yaml: it is the same file as the config \(c\.yaml\)$' \
    --config c.yaml -q --vcd "" --stats c.yaml
ln -s c.yaml c_link.yaml; ln c.yaml c_hard.yaml
expect_error vcd_is_config 2 'trace\.vcd: cannot write c_link\.yaml: it is the same file as the config \(c_hard\.yaml\)$' \
    --config c_hard.yaml -q --vcd c_link.yaml
[ "$(md5sum c.yaml)" = "$sum" ] || problem "vcd_is_config: the config changed"
python3 - <<'EOF'
import struct
def npy(name, shape, n):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (shape,)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    open(name, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
                           + struct.pack("<%df" % n, *[0.01 * (i % 7) for i in range(n)]))
npy("w.npy", (32, 4), 128)
npy("u.npy", (32, 8), 256)
npy("b.npy", (32,), 32)
EOF
cat >npy.yaml <<EOF
workload:
  layers:
    - npy: {w: w.npy, u: u.npy, bias: b.npy}
  steps: 2
trace: {vcd: ""}
EOF
expect_error stats_is_npy 2 '--stats: cannot write \./u\.npy: it is the same file as workload\.layers\[0\]\.npy\.u \(.*u\.npy\)$' \
    --config npy.yaml -q --stats ./u.npy
must_pass devices_shared --config "$quick" -q --vcd /dev/null --stats /dev/null

# --- two runs at once, writing the same files ---------------------------------------------------
# Each run's outputs are its own until renamed whole: after every pair, both exit 0 and each
# file is one run's (seed 1 or seed 9), never a mix.
sed 's/^  seed: 1 /  seed: 9 /' "$quick" >seed9.yaml
cmp -s "$quick" seed9.yaml && fail "seed9.yaml: the sed script changed nothing"
must_pass ref9 --config seed9.yaml -q --vcd ref9.vcd --stats ref9.json
mixed=0
for i in $(seq 20); do
    "$vp" --config "$quick" -q --vcd both.vcd --stats both.json >/dev/null 2>a.err & a=$!
    "$vp" --config seed9.yaml -q --vcd both.vcd --stats both.json >/dev/null 2>b.err & b=$!
    rc_a=0; wait $a || rc_a=$?
    rc_b=0; wait $b || rc_b=$?
    if [ $rc_a -ne 0 ] || [ $rc_b -ne 0 ]; then
        problem "concurrent (pair $i): exit $rc_a and $rc_b: $(cat a.err b.err)"; break
    fi
    { cmp -s both.vcd ref.vcd || cmp -s both.vcd ref9.vcd; } && { cmp -s both.json ref.json || cmp -s both.json ref9.json; } \
        || mixed=$((mixed + 1))
done
[ $mixed -eq 0 ] || problem "concurrent: $mixed of 20 pairs left a VCD or stats file that is neither run's"
stray=$(ls | grep -E '\.tmp$|partial' || true)
[ -z "$stray" ] || problem "concurrent: temporary files left: $stray"
echo "ok concurrent"

finish
