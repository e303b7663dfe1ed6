#!/usr/bin/env bash
# elstm-vp end to end: the default fast port timing (bursts planned in bulk) gives exactly the
# cycle counts of --timing exact (every word arbitrated in its own cycle): per run cycles, prolog,
# main, epilog and port words, over small workloads (every weight format and skip policy) x both
# schedules x DRAM latency 0 and 30.
# Then the rest of what the two modes must share: the simulation's end cycle and every VCD signal
# but dram.busy (exact mode makes one DRAM access per word, so only that trace may differ).
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

# compare.py MANIFEST: for each "RUN<TAB>command" line, compare RUN.fast.* with RUN.exact.*.
# Prints "stats<TAB>RUN<TAB>command<TAB>what" for the required per-run agreement and
# "trace<TAB>..." for the end cycle and the VCD.
cat >compare.py <<'EOF'
import json, sys, vcd

def stats_diffs(fast, exact):
    errors = []
    if fast["timing"] != "fast" or exact["timing"] != "exact":
        errors.append(f"timing fields are {fast['timing']!r} and {exact['timing']!r}, want 'fast' and 'exact'")
    if fast["cycles"] != exact["cycles"]:
        errors.append(f"cycles: fast {fast['cycles']}, exact {exact['cycles']}")
    if len(fast["runs"]) != len(exact["runs"]):
        errors.append(f"{len(fast['runs'])} runs (fast) vs {len(exact['runs'])} (exact)")
    for i, (f, e) in enumerate(zip(fast["runs"], exact["runs"])):
        for key in ("cycles", "prolog", "main", "epilog", "port_words", "h_blocks_skipped"):
            if f[key] != e[key]:
                errors.append(f"run {i}: {key}: fast {f[key]}, exact {e[key]}")
    for s, name in ((fast, "fast"), (exact, "exact")):
        if not s["golden"]["passed"]:
            errors.append(f"{name}: golden check failed: {s['golden']['first_mismatch']}")
    return errors

def trace_diffs(fast, exact, fast_vcd, exact_vcd):
    out = []
    if fast["end_cycle"] != exact["end_cycle"]:
        out.append(f"end_cycle: fast {fast['end_cycle']}, exact {exact['end_cycle']}")
    (fv, _), (ev, _) = vcd.parse(fast_vcd), vcd.parse(exact_vcd)
    for name in sorted(set(fv) | set(ev)):
        if name == "dram.busy": continue
        a, b = fv.get(name), ev.get(name)
        if a == b: continue
        if a is None or b is None:
            out.append(f"VCD {name}: only in {'exact' if a is None else 'fast'}")
            continue
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out.append(f"VCD {name}: first difference at change {i}: fast {a[i:i + 2]}, exact {b[i:i + 2]}")
    return out

for line in open(sys.argv[1]):
    run, command = line.rstrip("\n").split("\t")
    fast, exact = (json.load(open(f"{run}.{m}.json")) for m in ("fast", "exact"))
    for what in stats_diffs(fast, exact):
        print(f"stats\t{run}\t{command}\t{what}")
    for what in trace_diffs(fast, exact, f"{run}.fast.vcd", f"{run}.exact.vcd")[:6]:
        print(f"trace\t{run}\t{command}\t{what}")
EOF

pruned='w_sparsity: 0.3, u_sparsity: 0.5, h_threshold: 0.3, target_h_sparsity: 0.4'
write_config odd.yaml "[{input: 13, hidden: 18, $pruned}]" 7 1 "n_pe: 3" 3
write_config pe5.yaml "[{input: 17, hidden: 22, $pruned}, {input: 22, hidden: 9, $pruned}]" 9 1 "n_pe: 5" 2
write_config fuse8.yaml "[{input: 16, hidden: 16, $pruned}]" 5 1 "n_pe: 2" 8
write_config fuse1.yaml "[{input: 16, hidden: 16, $pruned}]" 6 1 "n_pe: 3" 1
write_config pes.yaml "[{input: 12, hidden: 16, $pruned}]" 7 2 \
    "pes: [{name: slow, role: spmv, macc_per_cycle: 1}, {name: fast, role: spmv, macc_per_cycle: 3}, {name: uh, role: spmspv, macc_per_cycle: 2}]" 3
write_config dense.yaml "[{input: 24, hidden: 12, h_threshold: 0.1}]" 8 1 "n_pe: 4" 4
write_config three.yaml "[{input: 8, hidden: 12, w_sparsity: 0.8, u_sparsity: 0.9, h_threshold: 0.2}, {input: 12, hidden: 8, w_sparsity: 0.5, u_sparsity: 0.2, h_threshold: 0.2}, {input: 8, hidden: 4, h_threshold: 0.2}]" \
    5 1 "n_pe: 3" "[1, 2, 5]"

count=0
: >manifest
# workload NAME CONFIG [--set KEY=VALUE ...]: both schedules x DRAM latency 0 and 30, fast and exact.
workload() {
    local name="$1" config="$2"; shift 2
    local schedule latency run
    for schedule in cell_fusion sequential; do
        for latency in 0 30; do
            run="$name.$schedule.lat$latency"
            local args=(--config "$config" "$@" --set schedule.kind=$schedule --set dram.latency=$latency --quiet)
            must_pass "$run.fast" "${args[@]}" --stats "$run.fast.json" --vcd "$run.fast.vcd"
            must_pass "$run.exact" "${args[@]}" --timing exact --stats "$run.exact.json" --vcd "$run.exact.vcd"
            printf '%s\telstm-vp %s --vcd F --stats F [--timing exact]\n' "$run" "$(printf '%q ' "${args[@]}")" >>manifest
            count=$((count + 1))
        done
    done
    echo "ran $name"
}

workload quick "$configs/quick.yaml"
workload odd odd.yaml
workload pe5 pe5.yaml --set "accel.vector_pe={lanes: 1, latency: 0}"
workload fuse8 fuse8.yaml
workload fuse1 fuse1.yaml
workload pes pes.yaml
workload dense dense.yaml --set dram.bytes_per_cycle=16
workload three three.yaml --set schedule.pruning=false
# The other weight formats, the fixed-point datapath and the delta policy (whose W side waits for
# x before it fetches W, and fetches only the segments some Δx needs).
workload csc odd.yaml --set accel.format=csc_ese
workload fixed pe5.yaml --set accel.format=csc_ese --set accel.datapath=fixed
workload bbs pes.yaml --set accel.format=cbs_bbs
workload csr three.yaml --set accel.format=csr
workload delta fuse1.yaml --set accel.format=csc_ese --set schedule.skip=delta --set "schedule.delta={theta_x: 0.4, theta_h: 0.05}"
workload delta_esell pe5.yaml --set schedule.skip=delta --set "schedule.delta={theta_x: 0.6, theta_h: 0.02}"
# The bare RoCC driver as host ends the simulation with the accelerator's last store (the RISC-V
# core's firmware runs on after it, which would hide a difference at the end).
workload driver "$configs/quick.yaml" --set host.kind=driver

python3 compare.py manifest >diffs
# report KIND: one block per run of the differences of that kind.
report() {
    awk -F '\t' -v kind="$1" '$1 == kind { if ($2 != last) { print $2 " (" $3 "):"; last = $2 } print "  " $4 }' diffs
}
stats=$(report stats)
[ -z "$stats" ] && echo "exact_vs_fast: the per-run stats of all $count fast/exact pairs agree" \
    || problem "fast and exact timing give different run statistics:
$stats"
trace=$(report trace)
[ -z "$trace" ] || problem "fast and exact timing agree on the runs, but the end cycle or the VCD (all signals but dram.busy) differ:
$trace"
finish
