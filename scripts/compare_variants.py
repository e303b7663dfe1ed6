#!/usr/bin/env python3
"""E-LSTM next to its neighbours (ESE, BBS, DeltaLSTM and a CSR baseline) on the same workloads
and embedded constraints: runs elstm-vp on every config in configs/variants/ (or those given) and
prints one Markdown table with the cycles, the words each run moved through the RoCC port, the
SpMV buffer area its weight format needs, how much of h (or of the deltas) it skipped and its
output error against the dense fp32 LSTM on the same weights (the worst layer's max and mean |Δh|).

    scripts/compare_variants.py --vp build/elstm-vp            # all 15 configs, a few minutes
    scripts/compare_variants.py configs/variants/mnist_*.yaml  # one benchmark
"""
import argparse
import concurrent.futures
import glob
import os
import sys

from vp_run import run_vp

BENCHMARKS = ["mnist", "ptb", "wikitext"]
VARIANTS = ["elstm", "ese", "bbs", "delta", "csr"]  # table order; elstm is the reference


def label(config):
    """(benchmark, variant) from a file named <benchmark>_<variant>.yaml."""
    stem = os.path.splitext(os.path.basename(config))[0]
    bench, _, variant = stem.partition("_")
    return (bench, variant) if variant else ("", stem)


def order(config):
    bench, variant = label(config)
    return (BENCHMARKS.index(bench) if bench in BENCHMARKS else len(BENCHMARKS), bench,
            VARIANTS.index(variant) if variant in VARIANTS else len(VARIANTS), variant)


def run(vp, config, sets):
    args = []
    for s in sets:
        args += ["--set", s]
    return run_vp(vp, config, args)[0]


def skipped(stats):
    """What the run's skip policy left out, over all its layer runs."""
    runs = stats["runs"]
    if stats["variant"]["skip"] == "delta":
        x = 1 - sum(r["x_propagated"] for r in runs) / max(1, sum(r["x_total"] for r in runs))
        h = 1 - sum(r["h_propagated"] for r in runs) / max(1, sum(r["h_total"] for r in runs))
        return f"Δx {100 * x:.1f}%, Δh {100 * h:.1f}%"
    blocks = sum(r["h_blocks_total"] for r in runs)
    return f"h {100 * sum(r['h_blocks_skipped'] for r in runs) / max(1, blocks):.1f}%"


def row(config, stats, reference_cycles):
    bench, variant = label(config)
    v = stats["variant"]
    words = stats["rocc"]
    area = sum(w[m]["result_buffer_area"] + w[m]["vector_buffer_area"] for w in stats["weights"] for m in ("w", "u"))
    pruning = "/".join(sorted({w.get("pruning", "-") for w in stats["weights"]}))
    schedule = stats["runs"][0]["schedule"] if stats["runs"] else "-"
    speedup = f"{reference_cycles / stats['cycles']:.2f}" if reference_cycles else "-"
    error = max(stats["golden"]["fp32_max_error"])
    mean = max(stats["golden"]["fp32_mean_error"])
    return (f"| {bench} | {variant} | {v['format']} | {pruning} | {v['skip']} | {v['datapath']} | {schedule} "
            f"| {stats['cycles']:,} | {speedup} | {words['W']:,} | {words['U']:,} | {area:.4g} | {skipped(stats)} "
            f"| {error:.3g} | {mean:.3g} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vp", default="build/elstm-vp", help="the elstm-vp executable")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="passed to every run (e.g. schedule.kind=cell_fusion)")
    ap.add_argument("configs", nargs="*", help="default: configs/variants/*.yaml")
    args = ap.parse_args()
    configs = args.configs or glob.glob(os.path.join("configs", "variants", "*.yaml"))
    if not configs:
        sys.exit("compare_variants: no configs (run from the source folder or name them)")
    configs = sorted(configs, key=order)

    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {c: pool.submit(run, args.vp, c, args.set) for c in configs}
        results, failed = {}, []
        for c in configs:
            try:
                results[c] = futures[c].result()
            except RuntimeError as e:
                failed.append(str(e))
    for c, stats in results.items():
        if not stats["golden"]["passed"]:
            failed.append(f"{c}: golden check failed: {stats['golden']['first_mismatch']}")

    print("| benchmark | variant | format | pruning | skip | datapath | schedule | cycles | speedup vs elstm "
          "| W words | U words | SpMV buffer area | skipped | max abs error | mean abs error |")
    print("|---|---|---|---|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for c in configs:
        if c not in results:
            continue
        bench = label(c)[0]
        ref = next((results[o]["cycles"] for o in results if label(o) == (bench, "elstm")), None)
        print(row(c, results[c], ref))
    for f in failed:
        print(f"compare_variants: {f}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
