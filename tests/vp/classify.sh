#!/usr/bin/env bash
# elstm-vp end to end: workload.classifier with the classify firmware on a small generated
# workload. The counts are known without the platform's classifier: a zero W with a bias whose
# first maximum is class 1 labels every sequence 1 (labels chosen: 3 of 6 correct; a tie at
# class 3 tests "first maximum"); W = the first rows of the identity picks h[c] exactly, so numpy's
# argmax of the h the run wrote gives the classes (labels chosen: 4 of 6 correct). Then a
# program that does not classify, one that miscounts, and every bad classifier input with its
# one-line message.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"
py=/usr/bin/python3
"$py" -c 'import numpy' 2>/dev/null || fail "$py has no numpy (Debian's python3-numpy)"

# classify_config FILE CLASSIFIER [HOST]: 2 layers 8 -> 10 -> 12, 5 steps, 6 sequences.
classify_config() {
    write_config "$1" "[{input: 8, hidden: 10, u_sparsity: 0.5}, {input: 10, hidden: 12, u_sparsity: 0.5}]" 5 6
    sed -i "s|^  seed: 7$|  seed: 7\n  classifier: $2|" "$1"
    printf '%s\n' "host: ${3:-{firmware: classify\}}" >>"$1"
}

"$py" - <<'PY'
import numpy as np
np.save("w0.npy", np.zeros((4, 12), np.float32))
np.save("b_tie.npy", np.array([0, 0.5, 0.25, 0.5], np.float32))
np.save("labels_a.npy", np.array([1, 3, 1, 0, 1, 2], np.uint8))
np.save("eye.npy", np.eye(4, 12, dtype=np.float32))
np.save("b0.npy", np.zeros(4, np.float32))
np.save("w_11.npy", np.zeros((4, 11), np.float32))
np.save("b_5.npy", np.zeros(5, np.float32))
np.save("labels_5.npy", np.zeros(5, np.int64))
np.save("labels_4.npy", np.array([1, 3, 1, 0, 4, 2], np.int32))
np.save("labels_neg.npy", np.array([-1, 3, 1, 0, 1, 2], np.int8))
np.save("labels_f.npy", np.zeros(6, np.float32))
np.save("w_big.npy", np.zeros((100000, 12), np.float32))
np.save("b_big.npy", np.zeros(100000, np.float32))
PY

# The constant class 1: 3 correct, counted by the core and recounted by the host.
classify_config a.yaml "{w: w0.npy, bias: b_tie.npy, labels: labels_a.npy}"
must_pass a --config a.yaml -q --stats a.json --h-out h.npy
grep -Eq '^  accuracy: 3/6 = 0\.5000 \(classifier on the core: [1-9][0-9]* cycles, accelerator: [1-9][0-9]* cycles\)$' a.out ||
    problem "a: no 'accuracy: 3/6 = 0.5000' line: $(grep accuracy a.out)"
grep -q '^  classifier check: passed (the host counts 3 correct from the golden h)$' a.out || problem "a: no passed classifier check"
[ "$(json a.json '" ".join(str(s["classifier"][k]) for k in ("correct", "host_correct", "classified", "passed"))')" = "3 3 6 True" ] ||
    problem "a: stats classifier $(json a.json 's["classifier"]')"
[ "$(json a.json 's["classifier"]["accelerator_cycles"] == s["cycles"] and 0 < s["classifier"]["core_cycles"] < s["host"]["cycles"] - s["cycles"]')" = True ] ||
    problem "a: cycles: $(json a.json 's["classifier"], s["cycles"], s["host"]["cycles"]')"

# The class of each sequence's largest h[0..3] at the last step, from the h the run wrote.
"$py" - <<'PY'
import numpy as np
pred = np.load("h.layer2.npy")[:, -1, :4].argmax(axis=1)
labels = np.where(np.arange(6) < 4, pred, (pred + 1) % 4)
np.save("labels_b.npy", labels.astype(np.int64))
PY
classify_config b.yaml "{w: eye.npy, bias: b0.npy, labels: labels_b.npy}"
must_pass b --config b.yaml -q --stats b.json
grep -q '^  accuracy: 4/6 = 0\.6667 ' b.out || problem "b: no 'accuracy: 4/6 = 0.6667' line: $(grep accuracy b.out)"
[ "$(json b.json '" ".join(str(s["classifier"][k]) for k in ("correct", "host_correct"))')" = "4 4" ] ||
    problem "b: stats classifier $(json b.json 's["classifier"]')"

# Every stats field of the classifier is documented.
"$py" - "$src/README.md" a.json <<'PY' || problem "see above"
import json, re, sys
section = open(sys.argv[1], encoding="utf-8").read().split("\n## Statistics\n", 1)[1].split("\n## ", 1)[0]
documented = {w for span in re.findall(r"`([^`]+)`", section) for w in re.findall(r"[A-Za-z_0-9]+", span)}
missing = [k for k in ["classifier"] + list(json.load(open(sys.argv[2]))["classifier"]) if k not in documented]
for k in missing:
    print(f"README's Statistics section does not document classifier.{k}")
sys.exit(1 if missing else 0)
PY

# A program that runs the layers but classifies nothing (elstm under another name).
cp "$(dirname "$vp")/firmware/elstm.elf" prog.elf
classify_config own.yaml "{w: w0.npy, bias: b_tie.npy, labels: labels_a.npy}" "{firmware: prog.elf}"
after_run=1 expect_error own 1 'classifier check failed: the firmware classified 0 of 6 sequences \(descriptor field classified\)$' --config own.yaml -q

# A program that claims every label correct: the host's recount from the golden h differs.
miscount="$(dirname "$vp")/tests/core_wrap/miscount.elf"
[ -f "$miscount" ] || fail "no $miscount (built with the tests)"
classify_config lie.yaml "{w: w0.npy, bias: b_tie.npy, labels: labels_a.npy}" "{firmware: $miscount}"
after_run=1 expect_error miscount 1 'classifier check failed: the firmware counts 6 correct labels, the host 3 from the golden h$' --config lie.yaml -q
grep -q '^  classifier check: FAILED: the firmware counts 6 correct labels, the host 3 from the golden h$' miscount.out ||
    problem "miscount: the summary has no FAILED classifier check: $(grep classifier miscount.out)"

at='[^ ]*\.yaml:[0-9]+:[0-9]+: workload\.classifier'
classify_config w.yaml "{w: w_11.npy, bias: b0.npy, labels: labels_a.npy}"
expect_error w 2 "$at\.w: (.*/)?w_11\.npy: shape \(4, 11\) does not match the expected \(classes, hidden\) = \(1\.\.100000, 12\) \(the last layer's hidden size 12\)$" --config w.yaml
classify_config bias.yaml "{w: w0.npy, bias: b_5.npy, labels: labels_a.npy}"
expect_error bias 2 "$at\.bias: (.*/)?b_5\.npy: shape \(5,\) does not match the expected \(classes,\) = \(4,\) \(classes from (.*/)?w0\.npy\)$" --config bias.yaml
classify_config len.yaml "{w: w0.npy, bias: b0.npy, labels: labels_5.npy}"
expect_error len 2 "$at\.labels: (.*/)?labels_5\.npy: shape \(5,\) does not match the expected \(sequences,\) = \(6,\) \(workload\.sequences\)$" --config len.yaml
classify_config range.yaml "{w: w0.npy, bias: b0.npy, labels: labels_4.npy}"
expect_error range 2 "$at\.labels: (.*/)?labels_4\.npy: element 4 = 4 is not a class in \[0, 4\) \(classes from (.*/)?w0\.npy\)$" --config range.yaml
classify_config neg.yaml "{w: w0.npy, bias: b0.npy, labels: labels_neg.npy}"
expect_error neg 2 "$at\.labels: (.*/)?labels_neg\.npy: element 0 = -1 is not a class in \[0, 4\)" --config neg.yaml
classify_config float.yaml "{w: w0.npy, bias: b0.npy, labels: labels_f.npy}"
expect_error float 2 "$at\.labels: (.*/)?labels_f\.npy: unsupported dtype '<f4' \(expected an integer: " --config float.yaml
classify_config elstm.yaml "{w: w0.npy, bias: b0.npy, labels: labels_a.npy}" "{firmware: elstm}"
expect_error elstm 2 "$at: runs on the core in the classify firmware, but host\.firmware is elstm; set host\.firmware: classify$" --config elstm.yaml
classify_config driver.yaml "{w: w0.npy, bias: b0.npy, labels: labels_a.npy}" "{kind: driver}"
expect_error driver 2 "$at: runs on the core, but host\.kind is driver; use host\.kind: core with host\.firmware: classify$" --config driver.yaml
# A classifier the memory limit or the DRAM cannot hold, known from its header before it is loaded.
classify_config big.yaml "{w: w_big.npy, bias: b_big.npy, labels: labels_a.npy}"
expect_error memory 2 "big\.yaml: limits\.memory: the run would take about 9\.2 MiB of memory, more than the limit of 1\.0 MiB; the most, 9\.2 MiB, for the classifier \(100000 x 12 from workload\.classifier\.w\)$" \
    --config big.yaml --set limits.memory=1MiB
expect_error dram 2 "big\.yaml: dram\.size: the workload image needs at least [0-9]+ bytes from 0x80000000 but the DRAM has 5242880$" \
    --config big.yaml --set dram.size=5MiB
write_config none.yaml "[{input: 8, hidden: 12}]" 5 6
expect_error none 2 "--set host\.firmware=classify: classify needs workload\.classifier: \{w: FILE\.npy, bias: FILE\.npy, labels: FILE\.npy\}$" --config none.yaml --set host.firmware=classify
finish
