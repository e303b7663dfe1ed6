#!/usr/bin/env bash
# elstm-vp end to end: the stats' energy is the counted events times the energy table, for every
# layer run and for the whole run (core included), per inference the whole divided by the
# sequences, and the summary's line says the same; a table from YAML (--set) is used as given,
# the fixed-point datapath prices its MACs at mac_fixed; bad energy keys are refused.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"
must_pass plain --config "$quick" --vcd "" --stats plain.json
must_pass table --config "$quick" -q --vcd "" --stats table.json --set energy.dram_word=100 \
    --set energy.buffer_access_32=2 --set energy.mac=3 --set energy.mac_fixed=1 --set energy.vector_op=7 \
    --set energy.rocc_word=0.5 --set energy.core_instruction=11
must_pass fixed --config "$quick" -q --vcd "" --stats fixed.json --set accel.datapath=fixed --set accel.format=csc_ese
must_pass driver --config "$quick" -q --vcd "" --stats driver.json --set host.kind=driver

/usr/bin/python3 - plain.json table.json fixed.json driver.json plain.out <<'PY' || problem "see above"
import json, math, re, sys
bad = False
# The stats print 6 significant digits.
def check(what, got, want):
    global bad
    if not math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-9):
        print(f"{what}: {got} in the stats, {want} from the counts"); bad = True

HAND = {"dram_word": 1280, "buffer_access_32": 5, "mac": 4.6, "mac_fixed": 3.2,
        "vector_op": 8 * 0.9 + 3 * 3.7 + 0.9 + 5 * 5, "rocc_word": 2, "core_instruction": 70}
GIVEN = {"dram_word": 100, "buffer_access_32": 2, "mac": 3, "mac_fixed": 1, "vector_op": 7, "rocc_word": 0.5,
         "core_instruction": 11}

def priced(ev, t, mac):
    buffers = sum((b["reads"] + b["writes"]) * b["entry_bits"] / 32 * t["buffer_access_32"] for b in ev["buffers"])
    return {"dram": ev["port_words"] * t["dram_word"], "buffers": buffers, "macs": ev["macs"] * t[mac],
            "vector_pe": ev["vector_ops"] * t["vector_op"],
            "rocc": (ev["port_words"] + ev["command_words"]) * t["rocc_word"],
            "core": ev.get("core_instructions", 0) * t["core_instruction"]}

for path, table, mac in ((sys.argv[1], HAND, "mac"), (sys.argv[2], GIVEN, "mac"), (sys.argv[3], HAND, "mac_fixed"),
                         (sys.argv[4], HAND, "mac")):
    s = json.load(open(path))
    e = s["energy"]
    for k, v in table.items():
        check(f"{path} table_pj.{k}", e["table_pj"][k], v)
    if e["mac_key"] != mac:
        print(f"{path}: mac_key {e['mac_key']}, want {mac}"); bad = True
    summed = {k: 0 for k in ("port_words", "command_words", "macs", "vector_ops")}
    buf = {}
    for i, r in enumerate(s["runs"]):
        ev = r["energy_pj"]["events"]
        want = priced(ev, table, mac)
        want.pop("core")
        for k, v in want.items():
            check(f"{path} runs[{i}].energy_pj.{k}", r["energy_pj"][k], v)
        check(f"{path} runs[{i}].energy_pj.total", r["energy_pj"]["total"], sum(want.values()))
        check(f"{path} runs[{i}] macs", ev["macs"], ev["macs_w"] + ev["macs_u"])
        check(f"{path} runs[{i}] port_words", ev["port_words"], sum(r["port_words"].values()))
        check(f"{path} runs[{i}] vector_ops", ev["vector_ops"], r["steps"] * r["n"])
        for k in summed:
            summed[k] += ev[k]
        for b in ev["buffers"]:
            acc = buf.setdefault(b["name"], [0, 0])
            acc[0] += b["reads"]; acc[1] += b["writes"]
    ev = e["events"]
    for k in ("port_words", "macs", "vector_ops"):
        check(f"{path} events.{k} = sum over runs", ev[k], summed[k])
    if ev["command_words"] < summed["command_words"]:
        print(f"{path}: events.command_words {ev['command_words']} < the runs' {summed['command_words']}"); bad = True
    check(f"{path} events.macs = the PEs' MACs", ev["macs"], sum(p.get("macs", 0) for p in s["pes"]))
    host = s["host"]
    check(f"{path} core_instructions", ev["core_instructions"], host.get("instructions", 0))
    for b, lifetime in zip(ev["buffers"], s["buffers"]):
        check(f"{path} {b['name']} reads", b["reads"], lifetime["reads"])
        check(f"{path} {b['name']} writes", b["writes"], lifetime["writes"])
        check(f"{path} {b['name']} reads = the runs'", b["reads"], buf[b["name"]][0])
        if lifetime["reads"] == 0:
            print(f"{path}: {b['name']} reports no reads"); bad = True
    want = priced(ev, table, mac)
    for k, v in want.items():
        check(f"{path} energy_pj.{k}", e["energy_pj"][k], v)
        check(f"{path} per_inference_pj.{k}", e["per_inference_pj"][k], v / e["sequences"])
    check(f"{path} energy_pj.total", e["energy_pj"]["total"], sum(want.values()))
    check(f"{path} sequences", e["sequences"], 2)

# The summary's line: per inference in µJ and each component's share.
s = json.load(open(sys.argv[1]))["energy"]["per_inference_pj"]
line = [l for l in open(sys.argv[5]) if l.startswith("  energy: ")]
m = re.match(r"  energy: (\S+) uJ per inference \(DRAM (\S+) %, buffers (\S+) %, MACs (\S+) %, vector PE (\S+) %, "
             r"RoCC (\S+) %, core (\S+) %\)$", line[0].rstrip("\n") if line else "")
if not m:
    print(f"summary energy line: {line}"); bad = True
else:
    if abs(float(m[1]) - s["total"] * 1e-6) > 5e-5 * s["total"] * 1e-6:  # printed to 5 digits
        print(f"summary {m[1]} uJ, stats {s['total'] * 1e-6} uJ"); bad = True
    for k, v in zip(("dram", "buffers", "macs", "vector_pe", "rocc", "core"), m.groups()[1:]):
        if abs(float(v) - 100 * s[k] / s["total"]) > 0.051:
            print(f"summary {k} {v} %, stats {100 * s[k] / s['total']} %"); bad = True
sys.exit(1 if bad else 0)
PY

# Bad energy keys: a negative price, an unknown key.
expect_error energy_negative 2 "--set energy\.mac=-1: -1 is out of range; expected a number >= 0" \
    --config "$quick" --vcd "" --set energy.mac=-1
expect_error energy_unknown 2 "--set energy\.sram=5: unknown key 'energy\.sram' \(--set\); valid keys of energy: dram_word, buffer_access_32, mac, mac_fixed, vector_op, rocc_word, core_instruction" \
    --config "$quick" --vcd "" --set energy.sram=5
finish
