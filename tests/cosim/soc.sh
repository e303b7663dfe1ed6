#!/usr/bin/env bash
# The SoC example (examples/soc/) against elstm-vp: the platform of configs/quick.yaml inside a
# user's SoC, its memory side through the user's router at zero delay and its host the user's
# own, must take the accelerator cycles elstm-vp gives the same config with host.kind: driver
# (read from elstm-vp's stats here, not written down), pass the golden check bit for bit, and
# show all of the accelerator's traffic at the router (the example exits 1 otherwise).
#   tests/cosim/soc.sh ELSTM_VP SOC SOURCE_DIR
set -euo pipefail
vp=$1 soc=$2 config="$3/configs/quick.yaml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$vp" --config "$config" --set host.kind=driver --vcd "" --stats "$work/driver.json" -q >/dev/null
cycles=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cycles"])' "$work/driver.json")
"$soc" "$config" "$cycles" trace.vcd= | tee "$work/soc.out"
grep -q "^ok: .* layer runs in $cycles accelerator cycles; expected $cycles$" "$work/soc.out"
