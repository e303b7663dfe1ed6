#!/usr/bin/env bash
# The trained Fashion-MNIST model (configs/trained/fmnist.yaml) on the platform: 1000 test images
# through both layers with the firmware on the core, the golden check bit-exact, and the accuracy
# of the classifier on the last h equal to PyTorch's evaluation of the same fp16 weights under the
# same h-block rule (scripts/fmnist_accuracy.py --expect: within 2 of 1000 images).
set -euo pipefail
vp="$1" src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$vp" --config "$src/configs/trained/fmnist.yaml" -q --h-out "$tmp/h.npy" --stats "$tmp/stats.json" >"$tmp/out" 2>"$tmp/err" || {
    cat "$tmp/err"; echo "FAIL: elstm-vp exited non-zero"; exit 1; }
grep -q 'golden check: passed (7168000 h values, bit-exact)' "$tmp/out" || {
    cat "$tmp/out"; echo "FAIL: no bit-exact golden check over 1000 x 28 x (128 + 128) h values"; exit 1; }
/usr/bin/python3 "$src/scripts/fmnist_accuracy.py" "$tmp/h.layer2.npy" --data "$src/data/fmnist" --expect
