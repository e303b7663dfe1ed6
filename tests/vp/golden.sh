#!/usr/bin/env bash
# elstm-vp end to end: the accelerator's h outputs equal the golden LSTM bit for bit for both
# schedules, pruning on and off, over shapes that hit the edge cases (n not a multiple of 4, odd m,
# 3 layers, N_fuse beyond the steps, 2 and 5 PEs, explicit PEs with 2 MACs per cycle, several
# sequences, empty W/U, every h block pruned); and the stats JSON is consistent with the workload:
# value counts, per-run shape, port words, prolog + main + epilog, and cycles >= the paper's model.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

# check.py MANIFEST: one line per run, "NAME<TAB>SCHEDULE<TAB>PRUNING<TAB>STEPS<TAB>SEQUENCES<TAB>
# N_PE<TAB>LAYERS_JSON<TAB>COMMAND" with LAYERS_JSON [[m, n, n_fuse(, "empty": W and U all zero)], ...];
# the stats are in NAME.SCHEDULE.PRUNING.json. Prints one line per problem, "RUN (COMMAND): what".
cat >check.py <<'EOF'
import json, math, sys

problems = []
shapes = {}   # name -> {(schedule, pruning): [W words per stream, U words, h blocks skipped] per run}
skipped_with_pruning = 0

def check_run(s, schedule, pruning, steps, sequences, n_pe, layers):
    errors = []
    def check(ok, what):
        if not ok: errors.append(what)
    g = s["golden"]
    want_values = sequences * steps * sum(l[1] for l in layers)
    check(g["passed"] is True, f"golden.passed is {g['passed']} (first mismatch: {g['first_mismatch']})")
    check(g["values_compared"] == want_values, f"golden.values_compared {g['values_compared']}, want {want_values}")
    runs = s["runs"]
    check(len(runs) == sequences * len(layers), f"{len(runs)} runs, want {sequences * len(layers)}")
    check(s["cycles"] == sum(r["cycles"] for r in runs), "top-level cycles is not the sum of the runs' cycles")
    check(s["end_cycle"] >= s["cycles"], f"end_cycle {s['end_cycle']} < cycles {s['cycles']}")
    check(g["first_mismatch"] is None, f"golden.first_mismatch is {g['first_mismatch']!r}, want null (none)")
    names = [p["name"] for p in s["pes"]]
    check([p["role"] for p in s["pes"]].count("vector") == 1 and s["pes"][-1]["role"] == "vector",
          f"pes[] does not end with the one vector PE: {s['pes']}")
    check(len(names) == n_pe + 1, f"{len(names)} PEs, want {n_pe} and the vector PE")
    for r in s["runs"]:
        check(list(r["pe_utilisation"]) == names, f"pe_utilisation names {list(r['pe_utilisation'])}, pes[] {names}")
    for i, r in enumerate(runs):
        k = i % len(layers)
        m, n, n_fuse = layers[k][:3]
        empty = layers[k][3:] == ["empty"]
        spmv = n_pe - 1 if schedule == "cell_fusion" else 1
        group = n_fuse if schedule == "cell_fusion" else 1
        tag = f"run {i} (layer {k + 1}, sequence {i // len(layers)})"
        want = {"layer": k + 1, "sequence": i // len(layers), "m": m, "n": n, "steps": steps,
                "schedule": schedule, "n_fuse": group, "batches": math.ceil(steps / (spmv * group)),
                "h_blocks_total": steps * math.ceil(n / 4)}
        for key, v in want.items():
            check(r[key] == v, f"{tag}: {key} = {r[key]!r}, want {v!r}")
        check(r["cycles"] == r["prolog"] + r["main"] + r["epilog"],
              f"{tag}: cycles {r['cycles']} != prolog {r['prolog']} + main {r['main']} + epilog {r['epilog']}")
        if not pruning:
            check(r["h_blocks_skipped"] == 0, f"{tag}: {r['h_blocks_skipped']} h blocks skipped with pruning off")
        # The paper's model counts non-zero weights only: an all-zero layer costs it nothing. The
        # simulation pays block heads, padding and the x/bias/table loads the model ignores.
        check(r["analytic_cycles"] > 0 or empty, f"{tag}: analytic_cycles {r['analytic_cycles']} is not > 0")
        check(r["cycles"] >= r["analytic_cycles"],
              f"{tag}: cycles {r['cycles']} < analytic_cycles {r['analytic_cycles']} (the simulation beats the paper's model)")
        w = r["port_words"]
        # x and h are fp32 padded to whole words per step; bias is 4n fp16 (4 per word); the table
        # has one 16-bit entry per U block column of 4 h values, 4 per word.
        for key, v in {"x": steps * math.ceil(m / 2), "store": steps * math.ceil(n / 2), "bias": n,
                       "table": math.ceil(math.ceil(n / 4) / 4)}.items():
            check(w[key] == v, f"{tag}: port_words.{key} = {w[key]}, want {v}")
        check(w["W"] % r["batches"] == 0, f"{tag}: {w['W']} W words do not split into {r['batches']} equal streams")
        if not pruning:
            check(w["U"] % steps == 0, f"{tag}: {w['U']} U words with pruning off are not steps x U")
        check(sum(w.values()) <= r["cycles"], f"{tag}: {sum(w.values())} port words in {r['cycles']} cycles (> 1 per cycle)")
        for name, u in r["pe_utilisation"].items():
            check(0 <= u <= 1, f"{tag}: pe_utilisation.{name} = {u}")
    return errors

for line in open(sys.argv[1]):
    name, schedule, pruning, steps, sequences, n_pe, layers, command = line.rstrip("\n").split("\t")
    pruning = pruning == "true"
    run = f"{name}.{schedule}.{str(pruning).lower()}"
    try:
        s = json.load(open(run + ".json"))
    except (OSError, ValueError) as e:
        problems.append(f"{run} ({command}): no stats: {e}")
        continue
    errors = check_run(s, schedule, pruning, int(steps), int(sequences), int(n_pe), json.loads(layers))
    for e in errors:
        problems.append(f"{run} ({command}): {e}")
    if not errors:
        shapes.setdefault(name, {})[(schedule, pruning)] = \
            [[r["port_words"]["W"] // r["batches"], r["port_words"]["U"], r["h_blocks_skipped"]] for r in s["runs"]]
    if pruning:
        skipped_with_pruning += sum(r["h_blocks_skipped"] for r in s["runs"])
    if name == "allpruned" and pruning and s["runs"][0]["h_blocks_skipped"] != s["runs"][0]["h_blocks_total"]:
        problems.append(f"{run}: {s['runs'][0]['h_blocks_skipped']} of {s['runs'][0]['h_blocks_total']} h blocks "
                        "skipped with threshold 100 (want all)")

# Same weights, same inputs, same pruning decisions: both schedules move the same W stream per
# batch, the same U words, and skip the same h blocks.
for name, got in shapes.items():
    for pruning in (True, False):
        a, b = got.get(("cell_fusion", pruning)), got.get(("sequential", pruning))
        if a and b and a != b:
            problems.append(f"{name} pruning={str(pruning).lower()}: [W words per stream, U words, h blocks skipped] "
                            f"per run differ between schedules:\n  cell_fusion {a}\n  sequential  {b}")
if skipped_with_pruning == 0:
    problems.append("pruning on never skipped an h block in any workload")
print("\n".join(problems))
EOF

: >manifest
# shape NAME CONFIG STEPS SEQUENCES N_PE LAYERS_JSON [--set ...]: run the four schedule x pruning
# combinations (checked together by check.py at the end).
shape() {
    local name="$1" config="$2" steps="$3" sequences="$4" n_pe="$5" layers="$6"; shift 6
    local schedule pruning run
    for pruning in true false; do
        for schedule in cell_fusion sequential; do
            run="$name.$schedule.$pruning"
            local args=(--config "$config" "$@" --set schedule.kind=$schedule --set schedule.pruning=$pruning --vcd "")
            run_vp "$run" "${args[@]}" --stats "$run.json" --quiet
            if [ "$rc" -ne 0 ]; then
                problem "$run: exit $rc (want 0): elstm-vp $(printf "%q " "${args[@]}")
$(head -n 4 "$run.err")"
                continue
            fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" $schedule $pruning "$steps" "$sequences" "$n_pe" "$layers" \
                "elstm-vp $(printf "%q " "${args[@]}") --stats F" >>manifest
        done
    done
    echo "ran $name"
}

pruned='w_sparsity: 0.3, u_sparsity: 0.5, h_threshold: 0.3, target_h_sparsity: 0.4'

# 1. quick.yaml itself: 2 layers 16 -> 16, 8 steps, 2 sequences, 3 PEs, N_fuse 2.
shape quick "$configs/quick.yaml" 8 2 3 '[[16, 16, 2], [16, 16, 2]]'

# 2. m odd (x padded to whole words) and n = 18, not a multiple of 4 (a partial h block).
write_config odd.yaml "[{input: 13, hidden: 18, $pruned}, {input: 18, hidden: 18, $pruned}]" 7 1 "n_pe: 3" 3
shape odd odd.yaml 7 1 3 '[[13, 18, 3], [18, 18, 3]]'

# 3. three layers with per-layer N_fuse, n = 10 and 6.
write_config three.yaml "[{input: 12, hidden: 20, $pruned}, {input: 20, hidden: 10, $pruned}, {input: 10, hidden: 6, $pruned}]" \
    5 1 "n_pe: 3" "[2, 1, 3]"
shape three three.yaml 5 1 3 '[[12, 20, 2], [20, 10, 1], [10, 6, 3]]'

# 4. N_fuse (16) larger than the steps (6) with 2 PEs: one batch, one SpMV PE.
write_config fuse16.yaml "[{input: 16, hidden: 16, $pruned}]" 6 1 "n_pe: 2" 16
shape fuse16 fuse16.yaml 6 1 2 '[[16, 16, 16]]'

# 5. five PEs (4 SpMV), odd m, n = 22 and 9, steps not a multiple of the batch (8).
write_config pe5.yaml "[{input: 17, hidden: 22, $pruned}, {input: 22, hidden: 9, $pruned}]" 9 1 "n_pe: 5" 2
shape pe5 pe5.yaml 9 1 5 '[[17, 22, 2], [22, 9, 2]]'

# 6. explicit PEs, two of them with 2 MACs per cycle; 3 sequences.
write_config pes.yaml "[{input: 16, hidden: 16, $pruned}]" 6 3 \
    "pes: [{name: wa, role: spmv, macc_per_cycle: 2}, {name: wb, role: spmv}, {name: uh, role: spmspv, macc_per_cycle: 2}]" 2
shape pes pes.yaml 6 3 3 '[[16, 16, 2]]'

# 7. degenerate layers: 1 -> 1, then an all-zero W and U (gates are the bias alone), 2 sequences.
write_config tiny.yaml "[{input: 1, hidden: 1, h_threshold: 0.3}, {input: 1, hidden: 5, w_sparsity: 1.0, u_sparsity: 1.0, h_threshold: 0.3}]" \
    4 2 "n_pe: 3" 2
shape tiny tiny.yaml 4 2 3 '[[1, 1, 2], [1, 5, 2, "empty"]]'

# 8. dense weights and a threshold so high every h block is pruned (U·h skips everything), 4 PEs.
write_config allpruned.yaml "[{input: 8, hidden: 12, h_threshold: 100}]" 4 1 "n_pe: 4" 2
shape allpruned allpruned.yaml 4 1 4 '[[8, 12, 2]]'
out=$(python3 check.py manifest)
[ -z "$out" ] || problem "$(grep -c '^[^ ]' <<<"$out") wrong result(s) or statistic(s):
$out"
finish
