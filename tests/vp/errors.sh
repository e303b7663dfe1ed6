#!/usr/bin/env bash
# elstm-vp end to end: bad input ends the run with exit 2 (config, command line, files) and exactly
# one line on stderr, "elstm-vp: ...", naming the file (with line and column where there is one),
# the key or the path; and a failed run leaves no output file behind.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"

# A copy of quick.yaml with one line replaced or inserted (sed script), written to FILE.
variant() {
    local file="$1" script="$2"
    sed "$script" "$quick" >"$file"
    cmp -s "$quick" "$file" && fail "variant $file: the sed script '$script' changed nothing"
    return 0
}

# --- the YAML file ----------------------------------------------------------------------------
# line_of FILE REGEX: the line number of the first line matching REGEX (grep -E).
line_of() { grep -nE "$2" "$1" | head -n 1 | cut -d: -f1; }

# Unknown key, at the top level (column 1) and in the accel map (column 3): FILE:LINE:COL exactly.
variant top_key.yaml '/^stats:/a frobnicate: 3'
expect_error unknown_top 2 "top_key\.yaml:$(line_of top_key.yaml '^frobnicate'):1: frobnicate: unknown key" \
    --config top_key.yaml --vcd ""
variant nested_key.yaml '/^  n_pe: 3/a \  frobnicate: 4'
expect_error unknown_nested 2 "nested_key\.yaml:$(line_of nested_key.yaml '^  frobnicate'):3: accel\.frobnicate: unknown key" \
    --config nested_key.yaml --vcd ""
# ... in a flow map inside a list (workload.layers[0]); the column is that of the key.
variant flow_key.yaml 's/{input: 16, hidden: 16, w_sparsity: 0.3/{input: 16, hidden: 16, wsparsity: 0.3/'
col=$(grep -E 'wsparsity' flow_key.yaml | awk '{print index($0, "wsparsity")}')
expect_error unknown_in_list 2 "flow_key\.yaml:$(line_of flow_key.yaml wsparsity):$col: workload\.layers\[0\]\.wsparsity: unknown key" \
    --config flow_key.yaml --vcd ""

# Wrong types: a quoted number, a word for an integer, a map for a number, a number for a bool.
variant quoted.yaml 's/^  latency: 30 /  latency: "30"/'
expect_error quoted_number 2 "quoted\.yaml:$(line_of quoted.yaml '^  latency'):[0-9]+: dram\.latency: .*string" --config quoted.yaml --vcd ""
variant word.yaml 's/^  n_pe: 3 /  n_pe: three/'
expect_error word_for_int 2 "word\.yaml:$(line_of word.yaml n_pe):[0-9]+: accel\.n_pe: .*'three'" --config word.yaml --vcd ""
variant map.yaml 's/^clock_mhz: 1000 /clock_mhz: {mhz: 1000}/'
expect_error map_for_number 2 "map\.yaml:$(line_of map.yaml ^clock_mhz):[0-9]+: clock_mhz: " --config map.yaml --vcd ""
variant bool.yaml 's/^  pruning: true /  pruning: 3/'
expect_error number_for_bool 2 "bool\.yaml:$(line_of bool.yaml '^  pruning'):[0-9]+: schedule\.pruning: " --config bool.yaml --vcd ""
# Out of range, conflicting keys, a duplicate key, broken YAML.
variant range.yaml 's/^  n_pe: 3 /  n_pe: 1/'
expect_error out_of_range 2 "range\.yaml:$(line_of range.yaml n_pe):[0-9]+: accel\.n_pe: .*\[2, 64\]" --config range.yaml --vcd ""
variant conflict.yaml '/^  n_pe: 3/a \  pes: [{name: a, role: spmv}, {name: b, role: spmspv}]'
expect_error conflict 2 'conflict\.yaml:[0-9]+:[0-9]+: accel\.(n_pe|pes)' --config conflict.yaml --vcd ""
variant duplicate.yaml '/^  n_pe: 3/a \  n_pe: 4'
expect_error duplicate 2 "duplicate\.yaml:$(line_of duplicate.yaml '^  n_pe: 4'):3: accel\.n_pe: " --config duplicate.yaml --vcd ""
printf 'accel:\n  n_pe: [3\n' >syntax.yaml
expect_error yaml_syntax 2 'syntax\.yaml:[0-9]+:[0-9]+: .*' --config syntax.yaml --vcd ""

# Missing or unreadable config file.
expect_error missing_config 2 'nonexistent\.yaml: cannot open' --config nonexistent.yaml
mkdir config_dir.yaml
expect_error config_is_dir 2 'config_dir\.yaml: ' --config config_dir.yaml

# --- the command line -------------------------------------------------------------------------
expect_error no_config 2 '.*--config' --vcd ""
expect_error unknown_option 2 ".*'--frobnicate'" --config "$quick" --frobnicate
expect_error set_unknown 2 "--set accel\.foo=3: unknown key 'accel\.foo'" --config "$quick" --set accel.foo=3
expect_error set_range 2 '--set accel\.n_pe=1: .*\[2, 64\]' --config "$quick" --set accel.n_pe=1
expect_error set_no_equals 2 '--set accel\.n_pe: ' --config "$quick" --set accel.n_pe
expect_error set_list_entry 2 '--set accel\.pes\[5\]\.macc_per_cycle=2: ' --config "$quick" --set 'accel.pes[5].macc_per_cycle=2'
expect_error timing 2 ".*'slow'.*fast, exact" --config "$quick" --timing slow
expect_error max_cycles_range 2 '--set max_cycles=0: 0 is out of range; expected an integer in \[1, ' --config "$quick" --set max_cycles=0

# host.kind: external is a host of the user's own program, bound to the Platform module in C++:
# elstm-vp has none, in the file or with --set.
variant external.yaml 's/^  kind: core /  kind: external/'
expect_error host_external 2 "external\.yaml:$(line_of external.yaml '^  kind: external'):9: host\.kind: external needs a host of your own program bound to the Platform module in C\+\+ \(README \"The platform as a module\"\); this program has none: use core or driver$" \
    --config external.yaml --vcd ""
expect_error host_external_set 2 '--set host\.kind=external: external needs a host of your own program' --config "$quick" \
    --vcd "" --set host.kind=external

# --- the workload against the platform --------------------------------------------------------
# An explicit buffer capacity too small for the layer, in the file and with --set.
variant small_wx.yaml 's/^    wx: {capacity: auto}/    wx: {capacity: 8}/'
expect_error buffer_file 2 'small_wx\.yaml.*accel\.buffers\.wx\.capacity: .*8' --config small_wx.yaml --vcd ""
expect_error buffer_set 2 '.*accel\.buffers\.wx\.capacity: .*8' --config "$quick" --vcd "" --set accel.buffers.wx.capacity=8
expect_error buffer_table 2 '.*accel\.buffers\.table\.capacity: ' --config "$quick" --vcd "" --set accel.buffers.table.capacity=1 \
    --set 'workload.layers=[{input: 16, hidden: 20}]'
# A DRAM too small for the workload image, or slower than the port; a clock period that is not
# whole picoseconds.
expect_error dram_size 2 '.*dram\.size: ' --config "$quick" --vcd "" --set dram.size=4KiB
expect_error dram_slower 2 '--set dram\.bytes_per_cycle=4: .*slower than the port' --config "$quick" --vcd "" \
    --set dram.bytes_per_cycle=4
expect_error clock_ps 2 '--set clock_mhz=3: .*whole number of picoseconds' --config "$quick" --vcd "" --set clock_mhz=3
# The DRAM is checked against the image's least size before any weight is generated: a layer
# that would take seconds to generate is refused at once (and the memory it would take is in
# the limit, so only the DRAM is too small).
start=$SECONDS
expect_error dram_early 2 '.*dram\.size: the workload image needs at least [0-9]+ bytes from 0x80000000 but the DRAM has 16777216$' \
    --config "$quick" --vcd "" --set 'workload.layers=[{input: 2000, hidden: 2000}]' --set dram.size=16MiB \
    --set limits.memory=64GiB
[ $((SECONDS - start)) -le 5 ] || problem "dram_early: the refusal took $((SECONDS - start)) s"
# A DRAM ending exactly at 2^64 holds the image (base + size wraps to 0 there).
must_pass dram_top --config "$quick" --vcd "" -q --set dram.base=0xFFFFFFFFFF000000 --set dram.size=16MiB \
    --set host.kind=driver
# Memory: a run is estimated before anything is allocated, and one larger than limits.memory
# (by default half the physical memory) is refused naming its largest part.
expect_error memory_steps 2 '.*quick\.yaml: limits\.memory: the run would take about [0-9.]+ TiB of memory, more than the limit of [0-9.]+ [KMGT]iB \(half the physical memory\); the most, [0-9.]+ TiB, for the inputs and outputs \(workload\.steps 100000 x workload\.sequences 100000 x 48 values\)$' \
    --config "$quick" --vcd "" --set workload.steps=100000 --set workload.sequences=100000
expect_error memory_buffer 2 '.*quick\.yaml: limits\.memory: the run would take about 16\.0 GiB of memory, more than the limit of 4\.0 GiB; the most, 16\.0 GiB, for accel\.buffers\.x\.capacity 2147483648 entries$' \
    --config "$quick" --vcd "" --set accel.buffers.x.capacity=2147483648 --set limits.memory=4GiB
expect_error memory_layer 2 '.*quick\.yaml: limits\.memory: .* for the weights of layer 1 \(30000 x 30000 from workload\.layers\[0\]\.input and \.hidden\)$' \
    --config "$quick" --vcd "" --set 'workload.layers=[{input: 30000, hidden: 30000}]' --set limits.memory=8GiB
expect_error memory_range 2 '--set limits\.memory=1KiB: 1KiB is out of range' --config "$quick" --vcd "" --set limits.memory=1KiB
# Variants: an unknown format, the CPU-only firmware with a variant it cannot compute, a matrix
# wider than CSR's 16-bit column index.
expect_error format 2 "--set accel\.format=coo: 'coo' is not one of esell, csc_ese, cbs_bbs, csr" --config "$quick" \
    --vcd "" --set accel.format=coo
expect_error cpu_variant 2 '--set host\.firmware=lstm_cpu: lstm_cpu runs only the E-LSTM variant' --config "$quick" \
    --vcd "" --set accel.datapath=fixed --set host.firmware=lstm_cpu
cat >wide.yaml <<'EOF'
accel: {format: csr}
workload: {layers: [{input: 70000, hidden: 1, w_sparsity: 0.5}], steps: 2}
trace: {vcd: ""}
EOF
expect_error csr_wide 2 'wide\.yaml: accel\.format: layer 1 as csr: csr: 70000 columns, more than the 16-bit column index addresses \(65536\)' \
    --config wide.yaml
# npy layers: a missing file, malformed files (not .npy, a dtype other than f4/f2, Fortran
# order, data cut short), a wrong shape.
python3 - <<'EOF'
import struct
def npy(path, shape, count, descr="<f4", fortran=False, cut=0):
    hdr = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, fortran, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    hdr = hdr.ljust(64 * ((len(hdr) + 11 + 63) // 64) - 11) + "\n"
    data = struct.pack("<%df" % count, *[0.01 * ((7 * i) % 13 - 6) for i in range(count)])
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
        f.write(data[:len(data) - cut])
n, m = 4, 3
npy("w.npy", (4 * n, m), 4 * n * m)
npy("u.npy", (4 * n, n), 4 * n * n)
npy("b.npy", (4 * n,), 4 * n)
npy("u_bad_shape.npy", (4 * n, m), 4 * n * m)
npy("b_f8.npy", (4 * n,), 4 * n, descr="<f8")
npy("u_fortran.npy", (4 * n, n), 4 * n * n, fortran=True)
npy("b_short.npy", (4 * n,), 4 * n, cut=8)
open("garbage.npy", "wb").write(b"not a numpy file")
EOF
npy_config() {   # npy_config FILE W U BIAS
    cat >"$1" <<EOF
workload:
  layers:
    - npy: {w: $2, u: $3, bias: $4}
      h_threshold: 0.1
  steps: 3
trace: {vcd: ""}
EOF
}
npy_config npy_ok.yaml w.npy u.npy b.npy
must_pass npy_ok --config npy_ok.yaml --quiet   # the files themselves are good
npy_config npy_missing.yaml w.npy missing_u.npy b.npy
expect_error npy_missing 2 'npy_missing\.yaml:3:[0-9]+: workload\.layers\[0\]\.npy\.u: .*missing_u\.npy' --config npy_missing.yaml
npy_config npy_garbage.yaml w.npy u.npy garbage.npy
expect_error npy_malformed 2 'garbage\.npy: not a \.npy file \(bad magic\)' --config npy_garbage.yaml
npy_config npy_dtype.yaml w.npy u.npy b_f8.npy
expect_error npy_dtype 2 "b_f8\.npy: unsupported dtype '<f8'" --config npy_dtype.yaml
npy_config npy_fortran.yaml w.npy u_fortran.npy b.npy
expect_error npy_fortran 2 'u_fortran\.npy: fortran_order True is not supported' --config npy_fortran.yaml
npy_config npy_short.yaml w.npy u.npy b_short.npy
expect_error npy_truncated 2 'b_short\.npy: truncated data: .*needs 64 bytes, the file has 56' --config npy_short.yaml
npy_config npy_shape.yaml w.npy u_bad_shape.npy b.npy
expect_error npy_shape 2 '.*u_bad_shape\.npy' --config npy_shape.yaml
# Only regular files are read (after following links): a FIFO (never opened: that would block),
# a device that never ends, a directory. A .npy of 14 GB (sparse here) is sized from its header
# and refused by limits.memory, not read.
mkfifo fifo.npy
npy_config npy_fifo.yaml w.npy fifo.npy b.npy
expect_error npy_fifo 2 'npy_fifo\.yaml:3:[0-9]+: workload\.layers\[0\]\.npy\.u: (.*/)?fifo\.npy: is a FIFO, not a regular file$' --config npy_fifo.yaml
ln -s /dev/zero zero.npy
npy_config npy_zero.yaml w.npy zero.npy b.npy
expect_error npy_devzero 2 'npy_zero\.yaml:3:[0-9]+: workload\.layers\[0\]\.npy\.u: (.*/)?zero\.npy: is a character device, not a regular file$' --config npy_zero.yaml
mkdir dir.npy
npy_config npy_dir.yaml w.npy dir.npy b.npy
expect_error npy_dir 2 'npy_dir\.yaml:3:[0-9]+: workload\.layers\[0\]\.npy\.u: (.*/)?dir\.npy: is a directory, not a regular file$' --config npy_dir.yaml
python3 - <<'EOF'
import struct
def header(shape):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(map(str, shape))
    hdr = hdr.ljust(64 * ((len(hdr) + 11 + 63) // 64) - 11) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode()
for path, shape in (("w_huge.npy", (8000, 450000)), ("u_huge.npy", (8000, 2000))):
    with open(path, "wb") as f:
        f.write(header(shape))
        f.truncate(f.tell() + 4 * shape[0] * shape[1])
EOF
cat >npy_huge.yaml <<'EOF'
workload:
  layers:
    - npy: {w: w_huge.npy, u: u_huge.npy, bias: b.npy}
  steps: 3
limits: {memory: 8GiB}
trace: {vcd: ""}
EOF
expect_error npy_huge 2 'npy_huge\.yaml: limits\.memory: .* for the weights of layer 1 \(450000 x 2000 from workload\.layers\[0\]\.npy\)$' \
    --config npy_huge.yaml
rm -f w_huge.npy u_huge.npy fifo.npy zero.npy && rmdir dir.npy

# --- hostile input ----------------------------------------------------------------------------
# Nothing is silently ignored or clamped: a second YAML document, content after a --set value
# or a line break in it, deep nesting, a clock too slow for SystemC's time, a float key beyond
# float, a gain with a calibration target, weights beyond fp16, a tolerance that accepts anything,
# a PE named like a part of the accelerator, more than 64 PEs.
variant two_docs.yaml '$a ---\nclock_mhz: 3'
expect_error second_document 2 "two_docs\.yaml:$(line_of two_docs.yaml '^---'):1: a second YAML document starts here" \
    --config two_docs.yaml --vcd ""
expect_error set_trailing 2 '--set schedule\.n_fuse=\[2, 3\] \[4, 5\]: more follows the value, from column 8; give one YAML value' \
    --config "$quick" --vcd "" --set 'schedule.n_fuse=[2, 3] [4, 5]'
expect_error set_line_break 2 '--set accel\.vector_pe=\{lanes: 8\}\.\.\.: the value has a line break' \
    --config "$quick" --vcd "" --set $'accel.vector_pe={lanes: 8}\nlatency: 3'
python3 -c "print('workload: ' + '[' * 3000 + ']' * 3000)" >deep.yaml
expect_error deep_nesting 2 'deep\.yaml:1:[0-9]+: YAML nesting deeper than [0-9]+ levels' --config deep.yaml --vcd ""
expect_error clock_slow 2 '--set clock_mhz=1e-9: 1e-9 is out of range; expected a number in \[1, 1000000\]' \
    --config "$quick" --vcd "" --set clock_mhz=1e-9
expect_error float_range 2 '--set workload\.layers\[0\]\.h_threshold=1e308: 1e308 is beyond the range of a 32-bit float' \
    --config "$quick" --vcd "" --set 'workload.layers[0].h_threshold=1e308'
expect_error gain_and_target 2 '--set workload\.layers\[1\]\.gain=2: conflicts with workload\.layers\[1\]\.target_h_sparsity \(line [0-9]+\)' \
    --config "$quick" --vcd "" --set 'workload.layers[1].gain=2'
expect_error gain_fp16 2 '--set workload\.layers=.*: workload\.layers\[0\]\.gain: 1e6 gives weights up to ±250000 \(gain/√16\), beyond the largest fp16 value 65504' \
    --config "$quick" --vcd "" --set 'workload.layers=[{input: 16, hidden: 16, gain: 1e6}]' --set schedule.n_fuse=2
expect_error tolerance_range 2 '--set host\.golden_tolerance=1e30: 1e30 is out of range; expected a number in \[0, 0\.01\]' \
    --config "$quick" --vcd "" --set host.golden_tolerance=1e30
variant pe_vpe.yaml 's/^  n_pe: 3 .*/  pes: [{name: vpe, role: spmv}, {name: u, role: spmspv}]/'
expect_error pe_reserved 2 "pe_vpe\.yaml:$(line_of pe_vpe.yaml '^  pes'):[0-9]+: accel\.pes\[0\]\.name: 'vpe' is taken by a part of the accelerator" \
    --config pe_vpe.yaml --vcd ""
variant many_pes.yaml "s/^  n_pe: 3 .*/  pes: [$(for k in $(seq 64); do printf '{name: p%d, role: spmv}, ' "$k"; done){name: u, role: spmspv}]/"
expect_error pes_limit 2 "many_pes\.yaml:$(line_of many_pes.yaml '^  pes'):[0-9]+: accel\.pes: 65 PEs; at most 64 \(as with accel\.n_pe\)" \
    --config many_pes.yaml --vcd ""
# An alias used twice: a --set changes one use only (layer 2 shrinks, layer 1 keeps its 16).
cat >alias.yaml <<'EOF'
workload:
  layers: [&layer {input: 16, hidden: 16}, *layer]
  steps: 4
trace: {vcd: ""}
EOF
must_pass alias_set --config alias.yaml --quiet --stats alias.json --set 'workload.layers[1].hidden=8'
[ "$(json alias.json "sorted({(r['layer'], r['m'], r['n']) for r in s['runs']})")" = "[(1, 16, 16), (2, 16, 8)]" ] \
    || problem "alias_set: layer shapes $(json alias.json "sorted({(r['layer'], r['m'], r['n']) for r in s['runs']})")"
rm alias.json

# --- output files -----------------------------------------------------------------------------
# Stats in a missing directory, or on a directory: non-zero exit naming the path, nothing left.
after_run=1 expect_error stats_missing_dir 2 '.*/nonexistent/dir/x\.json' --config "$quick" --vcd "" --quiet --stats /nonexistent/dir/x.json
mkdir stats_dir
after_run=1 expect_error stats_is_dir 2 '.*stats_dir' --config "$quick" --vcd "" --quiet --stats stats_dir
left=$(ls -A stats_dir; ls | grep -E '^stats_dir\.|\.tmp$' || true)
[ -z "$left" ] || problem "stats_is_dir: the failed run left files behind: $left"

# A VCD in a missing directory, or on a directory: the run fails naming the path, nothing left
# (no partial VCD, no stats).
expect_error vcd_missing_dir 2 '.*/nonexistent/dir/x\.vcd' --config "$quick" --quiet --vcd /nonexistent/dir/x.vcd --stats vcd1.json
[ ! -e vcd1.json ] || problem "vcd_missing_dir: stats written although the run failed"
mkdir vcd_dir
after_run=1 expect_error vcd_is_dir 2 '.*vcd_dir' --config "$quick" --quiet --vcd vcd_dir --stats vcd2.json
left=$(ls -A vcd_dir; ls | grep -E '^vcd_dir\.|partial|\.tmp$' || true)
[ -z "$left" ] || problem "vcd_is_dir (elstm-vp --config $quick --vcd vcd_dir): the failed run left files behind: $left"
rm -rf vcd_dir vcd_dir.* && mkdir vcd_dir
after_run=1 expect_error vcd_dir_slash 2 '.*vcd_dir/' --config "$quick" --quiet --vcd vcd_dir/
left=$(ls -A vcd_dir; ls | grep -E '^vcd_dir\.|partial|\.tmp$' || true)
[ -z "$left" ] || problem "vcd_dir_slash (elstm-vp --config $quick --vcd vcd_dir/): the failed run left files behind: $left"
# The default trace.vcd of quick.yaml is ../traces/quick.vcd, relative to the YAML file's folder:
# a copy of it in cfg/ looks for traces/ beside cfg/, and there is none here.
mkdir cfg && cp "$quick" cfg/quick.yaml
expect_error vcd_default_missing_dir 2 'trace\.vcd: cannot write cfg/\.\./traces/quick\.vcd: no folder cfg/\.\./traces$' \
    --config cfg/quick.yaml --quiet
rm -rf cfg

rm -rf vcd_dir && mkdir vcd_dir

# Only the files asked for: nothing else appeared in the working directory.
stray=$(ls | grep -vE '\.(yaml|npy|out|err|py)$|^(config_dir\.yaml|stats_dir|vcd_dir)$' || true)
[ -z "$stray" ] || problem "files left in the working directory by failed runs: $stray"

finish
