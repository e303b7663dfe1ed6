#!/usr/bin/env python3
"""Accelerator against the CPU alone, in simulated cycles, layer by layer: runs elstm-vp on a
config once with the `elstm` firmware (the co-processor does the LSTM) and once with
`lstm_cpu` (the RISC-V core computes it in software), and prints both and their ratio, with
the ISS speed (MIPS) of the CPU-only run.

    bench/cpu_vs_accel.py --vp build/elstm-vp --config configs/mnist.yaml
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from vp_run import run_vp  # noqa: E402


def run(vp, config, extra):
    try:
        return run_vp(vp, config, extra)
    except RuntimeError as e:
        sys.exit(f"cpu_vs_accel: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vp", default="build/elstm-vp")
    ap.add_argument("--config", required=True)
    ap.add_argument("--max-instructions", default="100000000000")
    ap.add_argument("--tolerance", default="1e-4", help="golden tolerance for lstm_cpu (its libm is not glibc's)")
    args = ap.parse_args()

    accel, _ = run(args.vp, args.config, [])
    cpu, out = run(args.vp, args.config, ["--set", "host.firmware=lstm_cpu",
                                          "--set", f"host.max_instructions={args.max_instructions}",
                                          "--set", f"host.golden_tolerance={args.tolerance}"])
    cpu_cycles = {(int(l), int(s)): int(c) for l, s, c in re.findall(r"^layer (\d+) seq (\d+): (\d+) cycles$", out, re.M)}
    mips = re.search(r"([0-9.e+]+) MIPS \(wall\)", out)

    print(f"{args.config}: accelerator (elstm firmware) vs CPU only (lstm_cpu), simulated cycles")
    print(f"{'layer':>5} {'seq':>4} {'accelerator':>14} {'CPU only':>16} {'speedup':>9}")
    for r in accel["runs"]:
        key = (r["layer"], r["sequence"])
        c = cpu_cycles.get(key)
        speedup = f"{c / r['cycles']:.1f}x" if c else "-"
        print(f"{key[0]:>5} {key[1]:>4} {r['cycles']:>14} {c if c else '-':>16} {speedup:>9}")
    print(f"CPU-only run: {cpu['host']['instructions']} instructions, "
          f"{mips.group(1) if mips else '?'} MIPS (ISS speed, wall clock)")
    print(f"golden check: accelerator {'passed' if accel['golden']['passed'] else 'FAILED'} (bit-exact), "
          f"CPU only {'passed' if cpu['golden']['passed'] else 'FAILED'} "
          f"(max |diff| {cpu['golden']['max_abs_diff']:.3g})")


if __name__ == "__main__":
    main()
