#!/usr/bin/env python3
"""The paper's Fig. 10 on the platform: per benchmark layer, the speedup of h-block pruning
alone and of pruning with cell fusion over E-LSTM with neither optimisation, with the h
sparsity each run reached and the simulated cycles against the paper's analytic model.
E-LSTM with neither optimisation is the paper's multi-PE pipeline (its slide 11): the SpMV
PEs share each W stream, one step each (N_fuse = 1), U·h follows step by step, no pruning.
The last columns compare cell fusion with the one-PE `sequential` schedule too. A layer's
figures sum all its runs (every sequence of the workload).

    scripts/fig10.py --vp build/elstm-vp            # mnist, ptb, wikitext (about a minute)
    scripts/fig10.py --vp build/elstm-vp mnist fmnist   # the trained Fashion-MNIST model
                                                        # next to the calibrated mnist workload
"""
import argparse
import os
import sys

from vp_run import run_vp

PAPER = {  # Fig. 10: sparse h only, + cell fusion (N_fuse)
    ("mnist", 1): (1.31, 1.40), ("mnist", 2): (1.30, 1.51),
    ("ptb", 1): (1.52, 2.20), ("ptb", 2): (1.40, 2.03),
    ("wikitext", 1): (1.34, 1.87), ("wikitext", 2): (1.34, 1.83),
}
# Trained models: their config under --configs, and the paper's benchmark of the same shape.
TRAINED = {"fmnist": ("trained/fmnist.yaml", "mnist")}
VARIANTS = {
    "baseline": ["--set", "schedule.n_fuse=1", "--set", "schedule.pruning=false"],
    "sparse_h": ["--set", "schedule.n_fuse=1"],
    "fusion": [],
    "sequential": ["--set", "schedule.kind=sequential"],
}


def run(vp, config, extra):
    """Per layer, in layer order: its runs summed (cycles, h blocks, analytic cycles)."""
    try:
        runs = run_vp(vp, config, ["--set", "outputs.h=\"\""] + extra)[0]["runs"]
    except RuntimeError as e:
        sys.exit(f"fig10: {e}")
    layers = {}
    for r in runs:
        total = layers.setdefault(r["layer"], dict(layer=r["layer"], n_fuse=r["n_fuse"], cycles=0,
                                                   h_blocks_total=0, h_blocks_skipped=0, analytic=0.0))
        total["cycles"] += r["cycles"]
        total["h_blocks_total"] += r["h_blocks_total"]
        total["h_blocks_skipped"] += r["h_blocks_skipped"]
        total["analytic"] += r["cycles"] / r["cycles_over_analytic"]
    return [layers[k] for k in sorted(layers)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vp", default="build/elstm-vp")
    ap.add_argument("--configs", default="configs")
    ap.add_argument("benchmarks", nargs="*", default=["mnist", "ptb", "wikitext"])
    args = ap.parse_args()

    print(f"{'layer':<12} {'h skipped':>9} {'sparse h':>9} {'paper':>6} {'+fusion':>8} {'paper':>6} "
          f"{'N_fuse':>6} {'fusion/seq':>10} {'cyc/model':>9}")
    for bench in args.benchmarks:
        config_name, paper_bench = TRAINED.get(bench, (bench + ".yaml", bench))
        config = os.path.join(args.configs, config_name)
        runs = {v: run(args.vp, config, extra) for v, extra in VARIANTS.items()}
        for base, sparse, fused, seq in zip(runs["baseline"], runs["sparse_h"], runs["fusion"], runs["sequential"]):
            layer = base["layer"]
            paper = PAPER.get((paper_bench, layer), (float("nan"), float("nan")))
            skipped = fused["h_blocks_skipped"] / max(fused["h_blocks_total"], 1)
            print(f"{bench + ' L' + str(layer):<12} {100 * skipped:>8.1f}% "
                  f"{base['cycles'] / sparse['cycles']:>9.2f} {paper[0]:>6.2f} "
                  f"{base['cycles'] / fused['cycles']:>8.2f} {paper[1]:>6.2f} {fused['n_fuse']:>6} "
                  f"{seq['cycles'] / fused['cycles']:>10.2f} {fused['cycles'] / fused['analytic']:>9.3f}")


if __name__ == "__main__":
    main()
