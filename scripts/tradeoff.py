#!/usr/bin/python3
"""Accuracy against cycles and energy of one trained model as its h thresholds change: a sweep of
the per-layer thresholds (scripts/sweep.py underneath: parallel, resumable, one CSV row per
point), then a table on stdout and a PNG of accuracy against cycles and against energy per
inference, the config's own thresholds marked.

    scripts/tradeoff.py --config configs/trained/fmnist.yaml \\
        --threshold 1=0,0.15,0.3,0.6 --threshold 2=0,0.4,0.8,1.6 \\
        -o traces/fmnist_tradeoff.csv --png traces/fmnist_tradeoff.png

--threshold LAYER=VALUES sweeps workload.layers[LAYER-1].h_threshold (layers from 1), every
combination of the layers' values. Every other option goes to sweep.py as it is (--n-pe,
--n-fuse, --param, --set, --jobs, --vp, --timeout, --retry-failed): a design point of N_pe or
N_fuse becomes another series. The accuracy comes from the stats' classifier (a config with
workload.classifier and host.firmware: classify); without one the accuracy column stays empty and
the plot shows cycles against energy. Exit status as sweep.py's (0 all points ok, 1 some failed,
2 bad arguments, 130 interrupted); the table and the plot show the points that are ok.
"""
import argparse
import csv
import os
import re
import subprocess
import sys

import sweep
from sweep_rows import KIND, SEQUENTIAL, UsageError, parse_values

THRESHOLD = "workload.layers[{}].h_threshold"
CONFIG_THRESHOLD = re.compile(r"\bh_threshold:\s*([-+0-9.eE]+)")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="\n".join(__doc__.splitlines()[2:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="the trained model's platform YAML")
    ap.add_argument("-o", "--out", required=True, help="the sweep CSV (resumed if it exists)")
    ap.add_argument("--threshold", action="append", default=[], metavar="LAYER=VALUES",
                    help="h thresholds of one layer (from 1) to sweep, e.g. 1=0,0.15,0.3 (repeatable)")
    ap.add_argument("--png", help="write the trade-off plot here (needs python3-matplotlib)")
    ap.add_argument("--vp", default=os.path.join(sweep.REPO, "build", "elstm-vp"), help="elstm-vp binary")
    args, rest = ap.parse_known_args(argv)
    if not args.threshold:
        ap.error("give at least one --threshold LAYER=VALUES")
    return args, rest


def threshold_layers(specs):
    """{layer index (from 0): VALUES} of the --threshold options; UsageError on a bad layer or value."""
    layers = {}
    for spec in specs:
        layer, sep, values = spec.partition("=")
        if not sep or not layer.strip().isdigit() or int(layer) < 1:
            raise UsageError(f"--threshold {spec}: expected LAYER=VALUES with LAYER from 1")
        index = int(layer) - 1
        if index in layers:
            raise UsageError(f"--threshold {spec}: layer {index + 1} given twice")
        for value in parse_values(values):
            try:
                float(value)
            except ValueError:
                raise UsageError(f"--threshold {spec}: '{value}' is not a number") from None
        layers[index] = values
    return layers


def config_thresholds(vp, config, sets):
    """The thresholds the config itself gives its layers, in layer order (what the plot marks),
    from its effective configuration; [] if elstm-vp cannot say."""
    proc = subprocess.run([vp, "--config", config, *sets, "--dump-config"], capture_output=True, text=True)
    if proc.returncode != 0:
        return []
    return [float(v) for v in CONFIG_THRESHOLD.findall(proc.stdout)]


def read_points(path, threshold_keys):
    """The ok rows of the cell-fusion schedule (the sequential companions are the speedup's
    baseline, not design points), as dicts with the thresholds as floats."""
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "ok" and r.get(KIND) != SEQUENTIAL]
    for r in rows:
        r["thresholds"] = tuple(float(r[k]) for k in threshold_keys)
    return rows


def series_of(row, keys):
    """The design point apart from the thresholds (N_pe, N_fuse, other swept keys), as a label."""
    return " ".join(f"{k.split('.')[-1]}={row[k]}" for k in keys if row.get(k, ""))


def print_table(rows, threshold_keys, other_keys, marked):
    layers = " ".join(f"{'thr L' + str(i + 1):>7}" for i in range(len(threshold_keys)))
    print(f"{layers} {'accuracy':>9} {'cycles':>12} {'speedup':>8} {'uJ/inference':>13}  design point")
    for r in sorted(rows, key=lambda r: (series_of(r, other_keys), r["thresholds"])):
        accuracy = f"{100 * float(r['accuracy']):.1f} %" if r.get("accuracy") else "n/a"
        energy = f"{float(r['energy_uj_per_inference']):.2f}" if r.get("energy_uj_per_inference") else "n/a"
        mark = "  <- the config's thresholds" if r["thresholds"] == marked else ""
        print(" ".join(f"{t:>7g}" for t in r["thresholds"]) +
              f" {accuracy:>9} {int(r['cycles']):>12} {r.get('speedup') or 'n/a':>8} {energy:>13}  "
              f"{series_of(r, other_keys)}{mark}")


def plot(path, rows, other_keys, marked):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_accuracy = all(r.get("accuracy") for r in rows)
    has_energy = all(r.get("energy_uj_per_inference") for r in rows)
    y_key, y_label = ("accuracy", "accuracy (%)") if has_accuracy else ("cycles", "cycles")
    panels = [("cycles", "accelerator cycles (all sequences)")] + ([("energy_uj_per_inference", "energy per inference (µJ)")]
                                                        if has_energy else [])
    if y_key == "cycles":
        panels = [p for p in panels if p[0] != "cycles"] or [("cycles", "accelerator cycles (all sequences)")]
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    groups = {}
    for r in rows:
        groups.setdefault(series_of(r, other_keys), []).append(r)
    for ax, (x_key, x_label) in zip(axes[0], panels):
        for label, members in sorted(groups.items()):
            members.sort(key=lambda r: float(r[x_key]))
            xs = [float(r[x_key]) for r in members]
            ys = [float(r[y_key]) * (100 if y_key == "accuracy" else 1) for r in members]
            ax.plot(xs, ys, "o", label=label or None)
            for r, x, y in zip(members, xs, ys):
                ax.annotate("/".join(f"{t:g}" for t in r["thresholds"]), (x, y), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
                if r["thresholds"] == marked:
                    ax.plot([x], [y], "*", color="red", markersize=14,
                            label="the config's thresholds" if label == sorted(groups)[0] else None)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("h thresholds (per layer, annotated): " + y_label.split(" (")[0] + " against cost")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    args, rest = parse_args(argv)
    try:
        layers = threshold_layers(args.threshold)
    except UsageError as e:
        print(f"tradeoff: {e}", file=sys.stderr)
        return 2
    params = {THRESHOLD.format(i): values for i, values in layers.items()}
    sweep_argv = ["--config", args.config, "-o", args.out, "--vp", args.vp] + rest
    for key, values in params.items():
        sweep_argv += ["--param", f"{key}={values}"]
    status = sweep.main(sweep_argv)
    if status not in (0, 1) or not os.path.exists(args.out):
        return status
    sweep_args = sweep.parse_args(sweep_argv)
    other_keys = [k for k in sweep.sweep_params(sweep_args)[0] if k not in params and k != KIND]
    sets = [a for text in sweep_args.set for a in ("--set", text)]
    own = config_thresholds(args.vp, args.config, sets)
    marked = tuple(own[i] for i in layers) if all(i < len(own) for i in layers) else None
    rows = read_points(args.out, list(params))
    print_table(rows, list(params), other_keys, marked)
    if args.png and rows:
        try:
            plot(args.png, rows, other_keys, marked)
        except ImportError:
            print("tradeoff: matplotlib is missing: install python3-matplotlib and run with /usr/bin/python3",
                  file=sys.stderr)
            return 2
        print(f"tradeoff: wrote {args.png}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
