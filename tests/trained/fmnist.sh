#!/usr/bin/env bash
# The trained Fashion-MNIST model (configs/trained/fmnist.yaml) on the platform: 1000 test images
# through both layers on the accelerator and the classifier on the core (the classify firmware),
# the golden check bit-exact, the core's count equal to the host's recount from the golden h, and
# the accuracy in the summary equal to PyTorch's evaluation of the same fp16 weights under the
# same h-block rule (accuracy.json, pruned_fp16_thresholds_subset) within 2 of 1000 images:
# PyTorch adds the classifier's products in another order, which can flip a near tie. The same
# accuracy from the h outputs in numpy (scripts/fmnist_accuracy.py --expect).
set -euo pipefail
vp="$1" src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$vp" --config "$src/configs/trained/fmnist.yaml" -q --h-out "$tmp/h.npy" --stats "$tmp/stats.json" >"$tmp/out" 2>"$tmp/err" || {
    cat "$tmp/err"; echo "FAIL: elstm-vp exited non-zero"; exit 1; }
grep -q 'golden check: passed (7168000 h values, bit-exact)' "$tmp/out" || {
    cat "$tmp/out"; echo "FAIL: no bit-exact golden check over 1000 x 28 x (128 + 128) h values"; exit 1; }
grep -Eq '^  classifier check: passed \(the host counts [0-9]+ correct from the golden h\)$' "$tmp/out" || {
    grep classifier "$tmp/out"; echo "FAIL: no passed classifier check"; exit 1; }
/usr/bin/python3 - "$tmp/out" "$src/data/fmnist/accuracy.json" <<'PY'
import json, re, sys
line = re.search(r"^  accuracy: (\d+)/(\d+) = [0-9.]+ \(classifier on the core: ([1-9]\d*) cycles, accelerator: ([1-9]\d*) cycles\)$",
                 open(sys.argv[1]).read(), re.M)
if not line:
    sys.exit("FAIL: no accuracy line in the summary")
correct, images = int(line[1]), int(line[2])
want = round(json.load(open(sys.argv[2]))["accuracy"]["pruned_fp16_thresholds_subset"] * images)
print(f"on the core: {correct}/{images}; PyTorch: {want}/{images}")
if images != 1000 or abs(correct - want) > 2:
    sys.exit(f"FAIL: the core classifies {correct} of {images} images correctly, PyTorch {want} of 1000")
PY
/usr/bin/python3 "$src/scripts/fmnist_accuracy.py" "$tmp/h.layer2.npy" --data "$src/data/fmnist" --expect
