#!/usr/bin/env bash
# elstm-vp end to end, the trace outputs beyond the default VCD: trace.port: cycle (the port word
# by word: one word per cycle, as many word-cycles per user as the stats count, in both timing
# modes, byte-identical from run to run), the fused step range per PE (step .. step_last), the
# GTKWave view beside the VCD (.gtkw and its translate filters), and the trace.tlm transaction log.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"

# port_cycles NAME: rocc.port of NAME.vcd against NAME.json: every cycle shows at most one user
# (never 7, a word of each side), and the cycles of each user are its words in the stats.
cat >port_cycles.py <<'EOF2'
import json, sys, vcd
signals, end = vcd.parse(sys.argv[1] + ".vcd")
stats = json.load(open(sys.argv[1] + ".json"))
port = signals.get("rocc.port")
if not port: sys.exit("no rocc.port in the VCD")
cycles = {}
for (t, v), (t2, _) in zip(port, port[1:] + [[end, None]]):
    cycles[v] = cycles.get(v, 0) + (t2 - t)   # 1 ns = 1 cycle at 1000 MHz
users = {1: "x", 2: "bias", 3: "table", 4: "W", 5: "U", 6: "store"}
errors = []
if cycles.get(7): errors.append(f"rocc.port shows two words in one cycle for {cycles[7]} cycles")
for code, user in users.items():
    if cycles.get(code, 0) != stats["rocc"][user]:
        errors.append(f"rocc.port shows {user} in {cycles.get(code, 0)} cycles, the stats count {stats['rocc'][user]} words")
bad = sorted(set(cycles) - set(users) - {0})
if bad: errors.append(f"rocc.port takes values {bad}")
if errors: sys.exit("\n".join(errors))
EOF2
for timing in fast exact; do
    must_pass cycle_$timing --config "$quick" --timing $timing --set trace.port=cycle --vcd cycle_$timing.vcd --stats cycle_$timing.json --quiet
    python3 port_cycles.py cycle_$timing || problem "trace.port=cycle, $timing timing: see above"
    must_pass cycle_${timing}2 --config "$quick" --timing $timing --set trace.port=cycle --vcd cycle_${timing}2.vcd --stats cycle_${timing}2.json --quiet
    cmp -s cycle_$timing.vcd cycle_${timing}2.vcd || problem "trace.port=cycle, $timing timing: two runs give different VCDs"
    echo "ok cycle $timing"
done
# Fast and exact timing move every word in the same cycle.
python3 -c 'import sys, vcd; sys.exit(vcd.parse(sys.argv[1])[0]["rocc.port"] != vcd.parse(sys.argv[2])[0]["rocc.port"])' \
    cycle_fast.vcd cycle_exact.vcd || problem "trace.port=cycle: rocc.port differs between fast and exact timing"
# The default (burst) has no rocc.port.
must_pass burst --config "$quick" --vcd burst.vcd --quiet
! grep -q ' port ' burst.vcd || problem "trace.port=burst (the default) traces rocc.port"
expect_error port_bad 2 "--set trace\.port=word: 'word' is not one of burst, cycle" --config "$quick" --set trace.port=word

# The fused groups: quick.yaml has 2 SpMV PEs fusing N_fuse = 2 steps each, 8 steps, so a batch
# is 4 steps: pe0 takes [0, 1] and [4, 5], pe1 [2, 3] and [6, 7]; the U·h PE one step at a time
# (from step 1: h_{-1} = 0 is pruned whole).
python3 - cycle_fast.vcd <<'EOF2' || problem "step .. step_last do not show the fused groups"
import sys, vcd
signals, end = vcd.parse(sys.argv[1])
M = 2**32 - 1
def groups(pe):
    first, last = signals[f"accel.{pe}.step"], signals[f"accel.{pe}.step_last"]
    at = lambda changes, t: [v for ct, v in changes if ct <= t][-1]
    times = sorted(set(t for t, _ in first + last))
    return sorted(set((at(first, t), at(last, t)) for t in times if at(first, t) != M))
want = {"pe0": [(0, 1), (4, 5)], "pe1": [(2, 3), (6, 7)], "pe2": [(t, t) for t in range(1, 8)]}
errors = [f"accel.{pe}: step .. step_last {groups(pe)}, want {w}" for pe, w in want.items() if groups(pe) != w]
if errors: sys.exit("\n".join(errors))
EOF2
echo "ok step_last"

# The GTKWave view: q.gtkw loads q.vcd, lists exactly the VCD's signals (with their widths), the
# schedule first; every state or code signal goes through a filter file that exists and names
# every value the signal takes in the VCD; steps are signed (-1 idle).
must_pass view --config "$quick" --vcd q.vcd --quiet
python3 - q <<'EOF2' || problem "the GTKWave view of q.vcd: see above"
import os, re, sys, vcd
stem = sys.argv[1]
signals, _ = vcd.parse(stem + ".vcd")
text = open(stem + ".gtkw").read().splitlines()
errors = []
if f'[dumpfile] "{os.path.abspath(stem + ".vcd")}"' not in text: errors.append("the .gtkw does not load the VCD by its absolute path")
groups = [l[1:] for i, l in enumerate(text) if l.startswith("-") and text[i - 1] == "@800200"]
if groups[:1] != ["schedule"]: errors.append(f"groups {groups}: the schedule is not on top")
listed, flags, filt = [], None, None
for line in text:
    if line.startswith("@"): flags, filt = int(line[1:], 16), None
    elif line.startswith("^"): filt = line.split(" ", 1)[1]
    elif line.startswith("+{"):
        alias, _, full = line[2:].partition("} SystemC.")
        name = re.sub(r"\[\d+:0\]$", "", full)
        if alias != name.replace(".", "/"): errors.append(f"{full}: shown as {alias}")
        listed.append(name)
        is_code = re.fullmatch(r"core\.state|rocc\.(owner|w_side|u_side|port)|accel\.(phase|\w+\.state)", name)
        is_step = re.fullmatch(r"accel\.(uh_step|\w+\.step(_last)?)", name)
        if (is_code or is_step) and not (filt and flags & 0x2000):
            errors.append(f"{name}: no translate filter"); continue
        if filt and not os.path.isfile(filt): errors.append(f"{name}: filter {filt} does not exist"); continue
        if is_step and not flags & 0x400: errors.append(f"{name}: not shown signed")
        if filt:
            table = dict(l.split(" ", 1) for l in open(filt).read().splitlines())
            if is_step:
                if table.get("-1") != "idle": errors.append(f"{name}: -1 is not shown as idle ({filt})")
            else:
                missing = sorted(set(str(v) for _, v in signals[name]) - set(table))
                if missing: errors.append(f"{name}: values {missing} have no name in {filt}")
if sorted(listed) != sorted(signals): errors.append(f"the .gtkw lists {sorted(listed)}, the VCD has {sorted(signals)}")
if errors: sys.exit("\n".join(errors))
EOF2
# No view for a VCD on stdout.
mkdir stdout && (cd stdout && must_pass ../view_stdout --config "$quick" --vcd - --quiet)
[ -z "$(ls stdout)" ] || problem "--vcd -: a GTKWave view was written: $(ls stdout)"
echo "ok gtkw"

# trace.tlm: every line parses with its fields; the accelerator's reads are the words the stats
# count on the W and U side but the store, its writes the store, and all reads the DRAM's bytes
# read (the driver as host: only the accelerator reaches memory); same config, same log.
for host in core driver; do
    must_pass tlm_$host --config "$quick" --set host.kind=$host --set trace.tlm=$tmp/tlm_$host.jsonl --stats tlm_$host.json --vcd "" --quiet
    python3 - tlm_$host <<'EOF2' || problem "trace.tlm, host.kind=$host: see above"
import json, sys
name = sys.argv[1]
stats = json.load(open(name + ".json"))
lines = [json.loads(l) for l in open(name + ".jsonl")]
errors = []
keys = {"time_ps", "initiator", "command", "address", "length", "response", "latency_ps"}
for i, l in enumerate(lines):
    if set(l) != keys: errors.append(f"line {i + 1}: fields {sorted(l)}")
    elif l["response"] != "TLM_OK_RESPONSE": errors.append(f"line {i + 1}: {l['response']}")
total = lambda who, cmd: sum(l["length"] for l in lines if l["initiator"] == who and l["command"] == cmd)
r = stats["rocc"]
if total("rocc", "read") != 8 * sum(r[k] for k in ("x", "bias", "table", "W", "U")):
    errors.append(f"the accelerator reads {total('rocc', 'read')} bytes, the stats count {8 * sum(r[k] for k in ('x', 'bias', 'table', 'W', 'U'))}")
if total("rocc", "write") != 8 * r["store"]: errors.append(f"the accelerator writes {total('rocc', 'write')} bytes, the stats {8 * r['store']}")
reads = sum(l["length"] for l in lines if l["command"] == "read")
if reads != stats["dram"]["bytes_read"]: errors.append(f"reads of {reads} bytes, the DRAM's bytes_read {stats['dram']['bytes_read']}")
if name.endswith("driver") and total("rocc", "read") != stats["dram"]["bytes_read"]:
    errors.append("with the driver, the accelerator's reads are not all the DRAM's reads")
if errors: sys.exit("\n".join(errors[:10]))
EOF2
    echo "ok tlm $host"
done
must_pass tlm_again --config "$quick" --set trace.tlm=$tmp/tlm_again.jsonl --vcd "" --quiet
cmp -s tlm_core.jsonl tlm_again.jsonl || problem "trace.tlm: two runs give different logs"
expect_error tlm_same_as_stats 2 'trace\.tlm: cannot write .*/x\.json: it is the same file as --stats \(x\.json\)$' --config "$quick" --set trace.tlm=$tmp/x.json --stats x.json --vcd ""
expect_error tlm_missing_dir 2 'trace\.tlm: cannot write /nonexistent/t\.jsonl: no folder /nonexistent' --config "$quick" --set trace.tlm=/nonexistent/t.jsonl --vcd ""
finish
