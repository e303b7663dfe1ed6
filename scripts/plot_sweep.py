#!/usr/bin/python3
"""Plots of a scripts/sweep.py CSV (PNG): cycles against N_pe with one line per N_fuse (and the
sequential schedule dashed), and the heat map of the speedup over the sequential schedule,
N_pe x N_fuse; in total and, for up to three layers, per layer.

    scripts/plot_sweep.py sweep.csv -o plots/        # plots/cycles_vs_n_pe.png, plots/speedup_heatmap.png
    scripts/plot_sweep.py lanes.csv -o plots/ --where accel.vector_pe.lanes=8

Runs under Debian's /usr/bin/python3 with python3-matplotlib.
"""
import argparse
import csv
import math
import os
import sys

KIND = "schedule.kind"
MAX_LAYER_PANELS = 3


class PlotError(Exception):
    """A CSV the plots cannot be drawn from: reported in one line, exit status 2."""


def number(text):
    """Numeric order for parameter values ('10' after '9'); non-numbers sort after, as text."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def read_sweep(path, where):
    """(parameter keys, number of layers, ok rows matching every --where KEY=VALUE)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        if "status" not in header:
            raise PlotError(f"{path}: not a sweep CSV (no 'status' column)")
        rows = [r for r in reader if r["status"] == "ok"]
    keys = header[:header.index("status")]
    for key, value in where.items():
        if key not in keys:
            raise PlotError(f"--where {key}: not a parameter of {path} ({', '.join(keys)})")
        rows = [r for r in rows if r[key] == value]
    n_layers = sum(1 for c in header if c.startswith("cycles_L"))
    return keys, n_layers, rows


def check_single(rows, keys, x, series):
    """The plots have two axes: every other swept key must be fixed (by --where)."""
    for key in keys:
        if key in (x, series, KIND):
            continue
        values = sorted({r[key] for r in rows}, key=number)
        if len(values) > 1:
            raise PlotError(f"{key} takes {len(values)} values ({', '.join(values)}); "
                            f"pick one with --where {key}=VALUE")


def panels(n_layers):
    """(column suffix, title) of each panel: the total, then each layer if there are few."""
    layers = [(f"_L{i}", f"layer {i}") for i in range(1, n_layers + 1)]
    return [("", "all layers")] + (layers if n_layers <= MAX_LAYER_PANELS else [])


def cycles_plot(plt, rows, x, series, n_layers, out):
    fused = [r for r in rows if r[KIND] != "sequential"]
    seq = [r for r in rows if r[KIND] == "sequential"]
    scale, unit = (1e6, " (millions)") if max(int(r["cycles"]) for r in rows) >= 1e6 else (1, "")
    short_x, short_series = x.split(".")[-1], series.split(".")[-1]
    layout = panels(n_layers)
    fig, axes = plt.subplots(1, len(layout), figsize=(4.6 * len(layout) + 1.4, 4.2), squeeze=False)

    def draw(ax, line, column, *style, **kwargs):
        line = sorted(line, key=lambda r: number(r[x]))
        ax.plot([float(r[x]) for r in line], [int(r[column]) / scale for r in line], *style, **kwargs)

    for ax, (suffix, title) in zip(axes[0], layout):
        column = "cycles" + suffix
        for value in sorted({r[series] for r in fused}, key=number):
            draw(ax, [r for r in fused if r[series] == value and r[column]], column, marker="o",
                 markersize=3.5, label=f"{short_series} = {value}")
        draw(ax, [r for r in seq if r[column]], column, "k--", label="sequential")
        best = min((r for r in fused if r[column]), key=lambda r: int(r[column]), default=None)
        if best:
            draw(ax, [best], column, "r*", markersize=13, zorder=5, label="fewest cycles")
            title += f"\nfewest: {short_x} {best[x]}, {short_series} {best[series]} ({int(best[column]):,} cycles)"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(x)
        ax.set_ylabel("simulated cycles" + unit)
        ax.set_xticks(sorted({float(r[x]) for r in rows}))
        ax.grid(alpha=0.3)
    # The lines are the same in every panel: one legend, outside them.
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1 - 1.4 / (4.6 * len(layout) + 1.4), 1))
    fig.savefig(out, dpi=120)
    plt.close(fig)


def heatmap_plot(plt, rows, x, series, n_layers, out):
    fused = [r for r in rows if r[KIND] != "sequential"]
    if not any(r["speedup"] for r in fused):
        raise PlotError("no speedups in the CSV (no ok sequential rows): no heat map")
    xs = sorted({r[x] for r in fused}, key=number)
    ss = sorted({r[series] for r in fused}, key=number)
    layout = panels(n_layers)
    fig, axes = plt.subplots(1, len(layout), figsize=(1.0 + 0.62 * len(ss) * len(layout) + 1.4 * len(layout),
                                                      1.6 + 0.5 * len(xs)), squeeze=False)
    for ax, (suffix, title) in zip(axes[0], layout):
        column = "speedup" + suffix
        grid = [[math.nan] * len(ss) for _ in xs]
        for r in fused:
            if r[column]:
                grid[xs.index(r[x])][ss.index(r[series])] = float(r[column])
        image = ax.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
        finite = [v for row in grid for v in row if not math.isnan(v)]
        best = max(finite, default=math.nan)
        middle = (min(finite, default=0) + best) / 2
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                if not math.isnan(v):
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                            color="black" if v > middle else "white",
                            fontweight="bold" if v == best else "normal")
        ax.set_xticks(range(len(ss)))
        ax.set_xticklabels(ss)
        ax.set_yticks(range(len(xs)))
        ax.set_yticklabels(xs)
        ax.set_xlabel(series)
        ax.set_ylabel(x)
        ax.set_title(f"speedup over sequential, {title}", fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.85)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def parse_where(items):
    where = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise PlotError(f"--where {item}: expected KEY=VALUE")
        where[key] = value
    return where


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="\n".join(__doc__.splitlines()[2:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", help="CSV written by scripts/sweep.py")
    ap.add_argument("-o", "--out", default=".", help="directory for the PNG files")
    ap.add_argument("--x", default="accel.n_pe", help="parameter on the x axis / heat-map rows")
    ap.add_argument("--series", default="schedule.n_fuse", help="parameter of the lines / heat-map columns")
    ap.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                    help="keep only the rows with this parameter value (repeatable)")
    args = ap.parse_args(argv)
    try:
        import matplotlib
    except ImportError:
        print("plot_sweep: matplotlib is missing: install python3-matplotlib (apt-get install "
              "python3-matplotlib) and run with /usr/bin/python3", file=sys.stderr)
        return 2
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        keys, n_layers, rows = read_sweep(args.csv, parse_where(args.where))
        for key in (args.x, args.series):
            if key not in keys:
                raise PlotError(f"{args.csv} does not sweep {key} (its parameters: {', '.join(keys)})")
        if not rows:
            raise PlotError(f"{args.csv}: no ok rows to plot")
        check_single(rows, keys, args.x, args.series)
        os.makedirs(args.out, exist_ok=True)
        outs = [os.path.join(args.out, f"cycles_vs_{args.x.split('.')[-1]}.png"),
                os.path.join(args.out, "speedup_heatmap.png")]
        cycles_plot(plt, rows, args.x, args.series, n_layers, outs[0])
        heatmap_plot(plt, rows, args.x, args.series, n_layers, outs[1])
    except (OSError, PlotError) as e:
        print(f"plot_sweep: {e}", file=sys.stderr)
        return 2
    print(f"plot_sweep: wrote {', '.join(outs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
