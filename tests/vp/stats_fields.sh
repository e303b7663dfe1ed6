#!/usr/bin/env bash
# elstm-vp end to end: every field of the stats JSON (a plain run and a delta-policy run) is
# documented in README's Statistics section; the vector PE is in pes[] as in pe_utilisation, and
# golden.first_mismatch is null when nothing differs.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"
must_pass plain --config "$quick" -q --vcd "" --stats plain.json
must_pass delta --config "$quick" -q --vcd "" --stats delta.json --set schedule.skip=delta

/usr/bin/python3 - "$src/README.md" plain.json delta.json <<'PY' || problem "see above"
import json, re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
section = readme.split("\n## Statistics\n", 1)[1].split("\n## ", 1)[0]
documented = {w for span in re.findall(r"`([^`]+)`", section) for w in re.findall(r"[A-Za-z_0-9]+", span)}
missing = set()

def walk(node, path):
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in documented:
                missing.add(f"{path}.{k}".lstrip("."))
            if k != "pe_utilisation":  # keyed by PE name
                walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for v in node:
            walk(v, path + "[]")

bad = False
for f in sys.argv[2:]:
    s = json.load(open(f))
    walk(s, "")
    names = [p["name"] for p in s["pes"]]
    if s["pes"][-1] != {"name": "vpe", "role": "vector", "busy_cycles": s["pes"][-1]["busy_cycles"],
                        "utilisation": s["pes"][-1]["utilisation"]}:
        print(f"{f}: pes[] does not end with the vector PE: {s['pes'][-1]}"); bad = True
    for r in s["runs"]:
        if list(r["pe_utilisation"]) != names:
            print(f"{f}: pe_utilisation {list(r['pe_utilisation'])} vs pes[] {names}"); bad = True
    if s["golden"]["passed"] and s["golden"]["first_mismatch"] is not None:
        print(f"{f}: golden.first_mismatch is {s['golden']['first_mismatch']!r}, want null"); bad = True
for m in sorted(missing):
    print(f"README's Statistics section does not document {m}")
sys.exit(1 if missing or bad else 0)
PY
finish
