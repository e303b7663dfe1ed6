#!/usr/bin/env bash
# elstm-vp end to end: the summary on stdout (the per-run table, agreeing with the stats JSON; PEs;
# buffers; the golden check; the simulation speed), progress on stderr only on a terminal and unless --quiet, --help,
# and the stats/trace.vcd keys of the YAML file as alternatives to --stats/--vcd.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"

# --help: exit 0, every option listed.
must_pass help --help
for opt in --config --set --vcd --stats --timing --quiet; do
    grep -q -- "$opt" help.out || problem "--help does not list $opt"
done

# --quiet (and -q): nothing at all on stderr.
must_pass quiet --config "$quick" --vcd "" --stats quiet.json --quiet
[ ! -s quiet.err ] || problem "--quiet: stderr is not empty: $(head -c 300 quiet.err)"
must_pass q --config "$quick" --vcd "" -q
[ ! -s q.err ] || problem "-q: stderr is not empty: $(head -c 300 q.err)"

# The table: one row per run with its cycles, prolog, main, epilog as in the stats JSON.
out=quiet.out
# (The firmware may print before the summary.)
grep -qxF "elstm-vp: $quick (fast timing; esell, fp32, skip h_block_threshold)" $out ||
    problem "no line 'elstm-vp: $quick (fast timing; esell, fp32, skip h_block_threshold)':
$(cat $out)"
grep -Eq '^ +run +layer +seq +schedule +n_fuse +cycles +prolog +main +epilog' $out \
    || problem "no table header (run layer seq schedule n_fuse cycles prolog main epilog):
$(cat $out)"
python3 - quiet.json $out <<'EOF' || problem "the summary table does not match the stats JSON"
import json, re, sys
s = json.load(open(sys.argv[1]))
rows = [l.split() for l in open(sys.argv[2]) if re.match(r"^ +\d+ +\d+ +\d+ +(cell_fusion|sequential) ", l)]
runs = s["runs"]
ok = len(rows) == len(runs) == 4
if not ok: print(f"{len(rows)} table rows, {len(runs)} runs in the stats, want 4 (2 layers x 2 sequences)")
for i, (row, r) in enumerate(zip(rows, runs)):
    want = [str(i), str(r["layer"]), str(r["sequence"]), r["schedule"], str(r["n_fuse"]),
            str(r["cycles"]), str(r["prolog"]), str(r["main"]), str(r["epilog"])]
    if row[:9] != want:
        print(f"row {i}: {row[:9]}, stats say {want}"); ok = False
sys.exit(0 if ok else 1)
EOF
grep -q "golden check: passed ($(json quiet.json 's["golden"]["values_compared"]') h values" $out \
    || problem "no 'golden check: passed (512 h values' line: $(grep golden $out)"
grep -Eq "^ +($(json quiet.json 's["end_cycle"]')|$(json quiet.json 's["cycles"]')) cycles simulated in [0-9.]+ s wall: .* cycles/s$" $out \
    || problem "no 'N cycles simulated in T s wall: R cycles/s' line with the stats' end_cycle: $(grep cycles/s $out)"
# What the firmware prints of the cycles the accelerator returns for each layer (rd of funct 5)
# agrees with the stats.
python3 - quiet.json $out <<'EOF' || problem "the firmware's per-layer cycles disagree with the stats"
import json, re, sys
s = json.load(open(sys.argv[1]))
got = [(int(l), int(q), int(c)) for l, q, c in re.findall(r"^layer (\d+) seq (\d+): (\d+) cycles$", open(sys.argv[2]).read(), re.M)]
want = [(r["layer"], r["sequence"], r["cycles"]) for r in s["runs"]]
if got and got != want:
    print(f"firmware prints {got}, the stats say {want}"); sys.exit(1)
EOF
grep -Eq '^ +PEs: pe0\(spmv\) [0-9.]+% pe1\(spmv\) [0-9.]+% pe2\(spmspv\) [0-9.]+%' $out || problem "no PEs line: $(grep PEs $out)"
grep -Eq '^ +buffers: .*buf_x=[0-9]+ .*area' $out || problem "no buffers line: $(grep buffers $out)"
grep -Eq '^ +DRAM: [0-9]+ bytes read, [0-9]+ written' $out || problem "no DRAM line: $(grep DRAM $out)"

# Progress: not --quiet and stderr not a terminal (a file here): nothing on stderr, since the \r
# line would pile up in a log.
must_pass progress --config "$quick" --vcd ""
[ ! -s progress.err ] || problem "stderr is a file, yet it has progress: $(head -c 300 progress.err)"
# --progress shows it on a file too.
must_pass forced --config "$quick" --vcd "" --progress
grep -q 'step 8/8 (100%)' forced.err || problem "--progress: no progress on stderr: $(head -c 300 forced.err)"
# On a terminal (script(1) gives the run one; stdout goes to a file, so the terminal shows
# stderr): progress lines naming the run and step up to 100 %, ending with a newline, nothing else.
script -qefc "$(printf '%q ' "$vp" --config "$quick" --vcd "") >progress_tty.out" /dev/null >progress.tty </dev/null \
    || problem "the run on a terminal failed: $(head -c 300 progress.tty)"
mv progress.tty progress.err
tr '\r' '\n' <progress.err | grep -v '^$' >progress.lines || true
grep -q 'step' progress.lines || problem "no progress line with 'step' on stderr: $(head -c 300 progress.err)"
grep -q 'step 8/8 (100%)' progress.lines || problem "progress never reaches 'step 8/8 (100%)': $(tail -n 2 progress.lines)"
others=$(grep -v '^elstm-vp: run [0-9]* step [0-9]*/[0-9]* ([0-9]*%)$' progress.lines || true)
[ -z "$others" ] || problem "stderr holds more than progress lines: $others"
[ "$(tail -c 1 progress.err | od -An -c | tr -d ' ')" = '\n' ] || problem "the progress does not end with a newline"
cmp -s <(grep -v wall progress.out) <(grep -v wall quiet.out) || problem "--quiet changes the summary on stdout:
$(diff <(grep -v wall progress.out) <(grep -v wall quiet.out))"

# Exact timing and the sequential schedule show in the summary.
must_pass exact --config "$quick" --vcd "" --timing exact --quiet
grep -qxF "elstm-vp: $quick (exact timing; esell, fp32, skip h_block_threshold)" exact.out ||
    problem "--timing exact: no line 'elstm-vp: $quick (exact timing; ...)'"
must_pass seq --config "$quick" --vcd "" --set schedule.kind=sequential --quiet
[ "$(grep -Ec '^ +[0-9]+ +[0-9]+ +[0-9]+ +sequential ' seq.out)" = 4 ] || problem "sequential: the table does not show 4 sequential runs:
$(cat seq.out)"

# The stats and trace.vcd keys of the file: written relative to the working directory; the
# command line options win over them.
sed -e 's|^stats: ""|stats: from_yaml.json|' -e 's|^  vcd: ../traces/quick.vcd|  vcd: from_yaml.vcd|' "$quick" >outputs.yaml
grep -q 'from_yaml.json' outputs.yaml && grep -q 'from_yaml.vcd' outputs.yaml || fail "could not write outputs.yaml"
must_pass outputs --config outputs.yaml --quiet
[ -s from_yaml.json ] || problem "stats: from_yaml.json in the YAML wrote no file"
[ -s from_yaml.vcd ] || problem "trace.vcd: from_yaml.vcd in the YAML wrote no file"
rm -f from_yaml.json from_yaml.vcd
must_pass outputs2 --config outputs.yaml --quiet --stats cli.json --vcd ""
[ -s cli.json ] && [ ! -e from_yaml.json ] && [ ! -e from_yaml.vcd ] \
    || problem "--stats cli.json --vcd \"\" do not override the YAML's stats and trace.vcd: $(ls)"
# No stats and no VCD: the summary alone, and no files.
mkdir empty && (cd empty && must_pass ../none --config "$quick" --vcd "" --quiet)
[ -z "$(ls -A empty)" ] || problem "a run with --vcd \"\" and no stats wrote files: $(ls -A empty)"
grep -q 'golden check: passed' none.out || problem "no summary without --stats"

finish
