#!/usr/bin/env bash
# elstm-vp end to end: the VCD holds every signal of the README legend (one state/step pair per
# PE, whatever their number or names), with values in their documented ranges, the time unit
# of one clock period, the end state (host finished, port and PEs idle) at the last cycle, the
# port words of the stats, W and U interleaved (rocc.owner 7) under cell fusion; and gtkwave's
# vcd2fst reads it.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"

cat >check_vcd.py <<'EOF'
import json, re, sys, vcd
path, stats_path, pes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
signals, end = vcd.parse(path)
stats = json.load(open(stats_path))
errors = []
def check(ok, what):
    if not ok: errors.append(what)

legend = ["core.state", "rocc.owner", "rocc.w_side", "rocc.u_side", "rocc.words", "dram.busy",
          "accel.phase", "accel.uh_step", "accel.vpe.state"]
legend += [f"accel.{pe}.{s}" for pe in pes for s in ("state", "step")]
legend += [f"accel.buf_{b}.fill" for b in ("x", "wx", "uh", "h", "c", "table")]
for name in legend:
    check(name in signals, f"signal {name} missing")
# The bias buffer: config key `bias`, README `accel.buf_<b>.fill`; accept buf_bias or buf_b.
check("accel.buf_bias.fill" in signals or "accel.buf_b.fill" in signals, "no fill signal for the bias buffer")
extra = sorted(n for n in signals if re.fullmatch(r"accel\.[A-Za-z_0-9]+\.(state|step)", n)
               and n.split(".")[1] not in pes + ["vpe"])
check(not extra, f"signals of PEs that do not exist: {extra}")

def values(name):
    return [v for _, v in signals.get(name, [])]
def in_range(name, allowed):
    bad = sorted(set(v for v in values(name) if v not in allowed), key=str)
    check(not bad, f"{name} takes values outside {sorted(allowed)}: {bad}")
MINUS_ONE = 2**32 - 1   # -1 in a 32-bit VCD vector
in_range("core.state", {0, 1, 2})
in_range("rocc.owner", set(range(8)))
in_range("rocc.w_side", {0, 1, 2, 3, 4})   # x, bias, table, W (the W side)
in_range("rocc.u_side", {0, 5, 6})         # U, store (the U side)
in_range("accel.phase", {0, 1, 2, 3})
in_range("accel.vpe.state", {0, 1})
steps = stats["runs"][0]["steps"]
in_range("accel.uh_step", set(range(steps)) | {MINUS_ONE})
for pe in pes:
    in_range(f"accel.{pe}.state", {0, 1, 2, 3})
    in_range(f"accel.{pe}.step", set(range(steps)) | {MINUS_ONE})
for name, want in (("core.state", 1), ("accel.phase", 1), ("accel.phase", 3), ("rocc.owner", 4), ("rocc.owner", 5),
                   ("rocc.owner", 6), ("accel.vpe.state", 1)):
    check(want in values(name), f"{name} never takes the value {want}")

# The simulation's last cycle is in the VCD, and there the host has finished and all is idle.
# (A flush of the last cycle's changes may add one cycle.)
check(end in (stats["end_cycle"], stats["end_cycle"] + 1), f"the VCD ends at #{end}, the stats at end_cycle {stats['end_cycle']}")
for name, want in [("core.state", 2), ("rocc.owner", 0), ("rocc.w_side", 0), ("rocc.u_side", 0), ("accel.phase", 0),
                   ("accel.uh_step", MINUS_ONE), ("accel.vpe.state", 0), ("dram.busy", 0)] + \
                  [(f"accel.{pe}.state", 0) for pe in pes] + [(f"accel.{pe}.step", MINUS_ONE) for pe in pes]:
    v = values(name)
    check(v and v[-1] == want, f"{name} ends at {v[-1] if v else None} (at #{signals[name][-1][0] if v else '-'}), "
                               f"want {want} at the end of the simulation (#{end})")
words = values("rocc.words")
want_words = sum(stats["rocc"][k] for k in ("x", "bias", "table", "W", "U", "store"))
check(words and words[-1] == want_words, f"rocc.words ends at {words[-1] if words else None}, the stats count {want_words}")
check(words == sorted(words), "rocc.words decreases")
if errors:
    print("\n".join(errors)); sys.exit(1)
print(json.dumps({"owner7": 7 in values("rocc.owner")}))
EOF

# check NAME CONFIG PES [elstm-vp args...]: run CONFIG with a VCD and check it; $result is
# {"owner7": ...} when the checks pass.
check() {
    local name="$1" config="$2" pes="$3"; shift 3
    must_pass "$name" --config "$config" --vcd "$name.vcd" --stats "$name.json" --quiet "$@"
    [ -s "$name.vcd" ] || fail "$name: no VCD written"
    if result=$(python3 check_vcd.py "$name.vcd" "$name.json" "$pes"); then
        echo "ok $name"
    else
        problem "$name (elstm-vp --config $config --vcd $name.vcd $*):
$result"
        result=$(python3 -c 'import sys, json, vcd; print(json.dumps({"owner7": 7 in [v for _, v in vcd.parse(sys.argv[1])[0]["rocc.owner"]]}))' "$name.vcd")
    fi
}

check quick "$quick" pe0,pe1,pe2
grep -A1 '^\$timescale' quick.vcd | grep -q '1 ns' || problem "quick.vcd: the time unit is not 1 ns at 1000 MHz: $(grep -A1 '^\$timescale' quick.vcd)"
[ "$result" = '{"owner7": true}' ] || problem "quick (cell fusion, N_fuse 2): rocc.owner never shows W and U interleaved (7)"

check pe5 "$quick" pe0,pe1,pe2,pe3,pe4 --set accel.n_pe=5 --set schedule.n_fuse=2 --set workload.steps=12
[ "$result" = '{"owner7": true}' ] || problem "n_pe=5 N_fuse=2, 12 steps (2 batches): rocc.owner never shows W and U interleaved (7)"
sed 's/^  n_pe: 3 .*/  pes: [{name: wa, role: spmv}, {name: wb, role: spmv, macc_per_cycle: 2}, {name: uh, role: spmspv}]/' \
    "$quick" >named.yaml
grep -q 'name: wa' named.yaml || fail "could not write named.yaml from quick.yaml"
check named named.yaml wa,wb,uh
# Sequential: the h store of step t (U side) may overlap step t+1's x/W (W side), so 7 may appear.
check sequential "$quick" pe0,pe1,pe2 --set schedule.kind=sequential
check exact "$quick" pe0,pe1,pe2 --timing exact

# One clock period is the time unit (or a finer power of ten): the VCD's end in time units times
# the unit equals end_cycle periods (or one more).
for mhz in 100 500; do
    run_vp clock$mhz --config "$quick" --set clock_mhz=$mhz --vcd clock$mhz.vcd --stats clock$mhz.json --quiet
    if [ "$rc" -ne 0 ]; then
        problem "clock_mhz=$mhz: exit $rc (want 0): elstm-vp --config $quick --set clock_mhz=$mhz --vcd clock$mhz.vcd
$(cat clock$mhz.err)"
        left=$(ls | grep "^clock$mhz.*vcd" || true)
        [ -z "$left" ] || problem "clock_mhz=$mhz: the failed run left $left behind"
        continue
    fi
    python3 - clock$mhz.vcd clock$mhz.json $mhz <<'EOF' || problem "clock_mhz=$mhz: the VCD's time does not match the cycles"
import json, re, sys, vcd
path, stats, mhz = sys.argv[1], sys.argv[2], float(sys.argv[3])
text = open(path).read()
m = re.search(r"\$timescale\s+(\d+)\s*(s|ms|us|ns|ps|fs)\s+\$end", text)
unit_fs = int(m.group(1)) * {"s": 10**15, "ms": 10**12, "us": 10**9, "ns": 10**6, "ps": 10**3, "fs": 1}[m.group(2)]
end = vcd.parse(path)[1]
period_fs = round(1e9 / mhz)
want_fs = json.load(open(stats))["end_cycle"] * period_fs
if end * unit_fs not in (want_fs, want_fs + period_fs):
    print(f"{path}: ends at #{end} x {unit_fs} fs = {end * unit_fs} fs, want end_cycle periods = {want_fs} fs", file=sys.stderr)
    sys.exit(1)
EOF
    echo "ok clock $mhz"
done

if command -v vcd2fst >/dev/null; then
    vcd2fst quick.vcd quick.fst >vcd2fst.log 2>&1 || problem "vcd2fst quick.vcd quick.fst failed: $(cat vcd2fst.log)"
    [ -s quick.fst ] || problem "vcd2fst wrote an empty quick.fst"
    { vcd2fst pe5.vcd pe5.fst >vcd2fst.log 2>&1 && [ -s pe5.fst ]; } || problem "vcd2fst pe5.vcd failed: $(cat vcd2fst.log)"
    echo "ok vcd2fst"
else
    echo "SKIP vcd2fst (not installed)"
fi
finish
