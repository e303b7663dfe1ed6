#!/usr/bin/env bash
# elstm-vp --dump-config: the effective configuration (file and --set overrides, paths absolute)
# runs as it is and reproduces the run: run A with overrides, dump the same command line, run B
# from the dump in another folder: stats (but for the config file's own name) and VCD (but
# for its $date line, which names the config file)
# identical. The dump of a dump is the dump; the stats carry it with version and schema_version.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

sets=(--set accel.n_pe=4 --set 'schedule.n_fuse=[3,2]' --set dram.latency=12 --set workload.sequences=1)
must_pass a --config "$configs/quick.yaml" "${sets[@]}" --vcd a.vcd --stats a.json --quiet
run_vp dump --config "$configs/quick.yaml" "${sets[@]}" --vcd b.vcd --stats b.json --dump-config
[ "$rc" -eq 0 ] && [ ! -s dump.err ] || fail "--dump-config: exit $rc: $(cat dump.err)"
mkdir elsewhere && cp dump.out elsewhere/d.yaml
(cd elsewhere && "$vp" --config d.yaml --quiet >/dev/null) || fail "the dump does not run: elsewhere/d.yaml"
[ -f b.json ] && [ -f b.vcd ] || fail "the run from the dump wrote no b.json, b.vcd (absolute paths)"
"$vp" --config elsewhere/d.yaml --dump-config >again.yaml
cmp -s again.yaml elsewhere/d.yaml || problem "the dump of the dump differs: $(diff again.yaml elsewhere/d.yaml | head -5)"
grep -q "^  n_pe: 4$" dump.out && grep -q "latency: 12" dump.out && grep -q "vcd: $tmp/b.vcd" dump.out \
    || problem "the dump lacks the overrides or the absolute VCD path: $(head -20 dump.out)"
python3 - a.json b.json <<'EOF' || problem "stats differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in (a, b):
    s.pop("config")
if a != b:
    sys.exit("\n".join(f"{k}: {a.get(k)!r:.80} vs {b.get(k)!r:.80}" for k in a if a.get(k) != b.get(k)))
EOF
strip_date() { awk '/^\$date/{d=1} !d{print} d&&/^\$end/{d=0}' "$1"; }
cmp -s <(strip_date a.vcd) <(strip_date b.vcd) || problem "the VCDs differ beyond \$date"
[ "$(json b.json 's["schema_version"], s["version"] == open(0).read().split()[1]' <<<"$("$vp" --version)")" = "(1, True)" ] \
    || problem "stats: schema_version / version wrong: $(json b.json 's["schema_version"], s["version"]')"
json b.json 's["effective_config"]' | sed '$d' | cmp -s - <(grep -v -e '^trace:' -e '^  vcd:' -e '^stats:' elsewhere/d.yaml) \
    || problem "stats effective_config is not the dump without its outputs"
expect_error dump_bad 2 "--set accel\.n_pe=1: 1 is out of range" --config "$configs/quick.yaml" --set accel.n_pe=1 --dump-config
# --list-inputs: every file the run reads, key and absolute path, from any folder.
(cd elsewhere && "$vp" --config "$configs/trained/fmnist.yaml" --list-inputs >../inputs.out) || fail "--list-inputs: exit $?"
data=$(cd "$configs/../data/fmnist" && pwd)
expected=$(printf '%s\t%s\n' "the config" "$(cd "$configs/trained" && pwd)/fmnist.yaml" \
    "workload.layers[0].npy.w" "$data/w1.npy" "workload.layers[0].npy.u" "$data/u1.npy" \
    "workload.layers[0].npy.bias" "$data/b1.npy" "workload.layers[1].npy.w" "$data/w2.npy" \
    "workload.layers[1].npy.u" "$data/u2.npy" "workload.layers[1].npy.bias" "$data/b2.npy" \
    "workload.inputs" "$data/x_test.npy" "workload.classifier.w" "$data/fc_w.npy" \
    "workload.classifier.bias" "$data/fc_b.npy" "workload.classifier.labels" "$data/labels_test.npy")
[ "$(grep -v '^host.firmware' inputs.out)" = "$expected" ] || problem "--list-inputs: $(cat inputs.out)"
grep -q "^host.firmware	/.*/classify\.elf$" inputs.out || problem "--list-inputs names no firmware ELF: $(cat inputs.out)"
expect_error list_bad 2 "--set accel\.n_pe=1: 1 is out of range" --config "$configs/quick.yaml" --set accel.n_pe=1 --list-inputs
finish
