#!/usr/bin/env bash
# elstm-vp end to end with the neighbouring designs' variants: every weight format, pruning kind,
# skip policy and datapath passes its golden check bit for bit, with the RISC-V core running the
# elstm firmware (which sends commands 7 and 8) and with the test-bench driver; the stats say
# what each variant did (row formats stream all of U, column formats skip; delta propagates
# fewer elements as Θ grows); delta with Θ = 0 on the fixed-point datapath gives what skip none
# gives; and scripts/compare_variants.py makes its table from the shipped mnist variants.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

layers='[{input: 13, hidden: 18, w_sparsity: 0.4, u_sparsity: 0.5, h_threshold: 0.3, target_h_sparsity: 0.4}, {input: 18, hidden: 9, w_sparsity: 0.5, u_sparsity: 0.3, h_threshold: 0.3, target_h_sparsity: 0.4}]'
write_config base.yaml "$layers" 9 2 "n_pe: 3" 2

# run NAME ARGS...: both hosts, golden check bit-exact; stats in NAME.core.json / NAME.driver.json.
run() {
    local name="$1"; shift
    local host
    for host in core driver; do
        must_pass "$name.$host" --config base.yaml "$@" --set host.kind=$host --stats "$name.$host.json" --quiet
        [ "$(json "$name.$host.json" 's["golden"]["passed"] and s["golden"]["tolerance"] == 0')" = True ] ||
            problem "$name ($host): golden check not passed bit-exact"
    done
    [ "$(json "$name.core.json" '[r["cycles"] for r in s["runs"]]')" = "$(json "$name.driver.json" '[r["cycles"] for r in s["runs"]]')" ] ||
        echo "note: $name: the core and the driver issue commands at different times (cycles may differ)"
}

for format in esell csc_ese cbs_bbs csr; do
    for schedule in cell_fusion sequential; do
        run "$format.$schedule" --set accel.format=$format --set schedule.kind=$schedule
    done
done
run ese --set accel.format=csc_ese --set accel.datapath=fixed --set schedule.skip=none \
    --set 'workload.layers[0].pruning=load_balanced' --set 'workload.layers[1].pruning=load_balanced'
run bbs --set accel.format=cbs_bbs --set schedule.skip=none \
    --set 'workload.layers[0].pruning=bank_balanced' --set 'workload.layers[1].pruning=bank_balanced'
run fixed_esell --set accel.datapath=fixed
for theta in 0 0.05 0.3; do
    run "delta$theta" --set accel.format=csc_ese --set schedule.skip=delta \
        --set "schedule.delta={theta_x: $theta, theta_h: $theta}"
done
run delta_fixed0 --set accel.format=csc_ese --set accel.datapath=fixed --set schedule.skip=delta \
    --set "schedule.delta={theta_x: 0, theta_h: 0}"
run none_fixed --set accel.format=csc_ese --set accel.datapath=fixed --set schedule.skip=none

# A row format reads all of U every step whatever h is; a column format only the kept segments.
for schedule in cell_fusion sequential; do
    esell_u=$(json "esell.$schedule.driver.json" 's["rocc"]["U"]')
    csr_u=$(json "csr.$schedule.driver.json" 'sum(w["u"]["stream_words"] for w in s["weights"]) * 9 * 2')
    [ "$(json "csr.$schedule.driver.json" 's["rocc"]["U"]')" = "$csr_u" ] ||
        problem "csr ($schedule): U words are not all of U every step ($csr_u)"
    [ "$(json "esell.$schedule.driver.json" 's["runs"][0]["h_blocks_skipped"] > 0')" = True ] ||
        problem "esell ($schedule): no h block skipped"
    [ "$(json "esell.$schedule.driver.json" 's["rocc"]["U"] < sum(w["u"]["stream_words"] for w in s["weights"]) * 9 * 2')" = True ] ||
        problem "esell ($schedule): U words $esell_u are not below all of U every step"
done

# Delta: Θ = 0 propagates every change, larger Θ fewer; the fp32 error grows with Θ.
prop() { json "$1.driver.json" 'sum(r["x_propagated"] + r["h_propagated"] for r in s["runs"])'; }
[ "$(prop delta0)" -gt "$(prop delta0.05)" ] && [ "$(prop delta0.05)" -gt "$(prop delta0.3)" ] ||
    problem "delta: propagated elements do not fall with Θ: $(prop delta0) $(prop delta0.05) $(prop delta0.3)"
err() { json "$1.driver.json" 'max(s["golden"]["fp32_max_error"])'; }
python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(0 if a < 1e-4 and b > a else 1)" "$(err delta0)" "$(err delta0.3)" ||
    problem "delta: fp32 error at Θ 0 ($(err delta0)) is not tiny or not below Θ 0.3's ($(err delta0.3))"

# Fixed point, Θ = 0: the same h as skip none (both match their golden models bit for bit, and
# those are equal; here the error statistics of the two runs must agree to the last digit).
for key in fp32_max_error fp32_mean_error; do
    [ "$(json delta_fixed0.driver.json "s['golden']['$key']")" = "$(json none_fixed.driver.json "s['golden']['$key']")" ] ||
        problem "fixed point: delta with Θ 0 and skip none differ in $key"
done
python3 -c "import sys; e = float(sys.argv[1]); sys.exit(0 if 0 < e < 0.01 else 1)" "$(err ese)" ||
    problem "ESE (fixed point): fp32 error $(err ese) not in (0, 0.01)"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) == 0 else 1)" "$(err bbs)" || problem "BBS (fp32, skip none): fp32 error $(err bbs), want 0"

# The comparison table from the shipped mnist variants.
python3 "$src/scripts/compare_variants.py" --vp "$vp" --jobs 2 "$configs"/variants/mnist_*.yaml >table.md 2>table.err ||
    problem "compare_variants.py failed: $(cat table.err)"
rows=$(grep -c '^| mnist |' table.md || true)
[ "$rows" -eq 5 ] || problem "compare_variants.py: $rows mnist rows, want 5:
$(cat table.md)"
grep -q '^| mnist | elstm | esell | unstructured | h_block_threshold | fp32 | cell_fusion |.*| 1.00 |' table.md ||
    problem "compare_variants.py: no E-LSTM reference row:
$(cat table.md)"
finish
