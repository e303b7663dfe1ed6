#!/usr/bin/python3
"""The cell-fusion schedule of one layer run from an elstm-vp VCD, as a Gantt chart (PNG): one
row per PE (bars coloured by state, labelled with the step or the fused steps), the vector PE,
the RoCC port's owner, and the prolog / main / epilog phases shaded behind them.

    build/elstm-vp --config configs/quick.yaml --vcd quick.vcd
    scripts/plot_schedule.py quick.vcd -o schedule.png              # the first layer run
    scripts/plot_schedule.py quick.vcd -o run2.png --run 2          # the third layer run
    scripts/plot_schedule.py ptb.vcd -o zoom.png --from 0 --to 200000

Runs under Debian's /usr/bin/python3 with python3-matplotlib.
"""
import argparse
import bisect
import importlib.util
import re
import sys

PE_STATES = {1: ("stall", "#cfcfcf"), 2: ("W·x", "#4c72b0"), 3: ("U·h", "#dd8452")}
OWNERS = {1: ("x", "#5f5f5f"), 2: ("bias", "#937860"), 3: ("table", "#da8bc3"),
          4: ("W", "#4c72b0"), 5: ("U", "#dd8452"), 6: ("store", "#55a868"),
          7: ("W+U", "#8172b3")}
VPE_COLOR = "#64b5cd"
PHASES = {1: ("prolog", "#fdf0c8"), 2: ("main", "#e3f1e0"), 3: ("epilog", "#f9dede")}
SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12, "fs": 1e-15}


# ---------------------------------------------------------------- VCD

def read_vcd(path):
    """(timescale in seconds, {dotted signal name: [(time, value), ...]}) with the top scope
    dropped (SystemC.accel.pe0.state -> accel.pe0.state). Vector values are read as signed
    two's complement of their declared width, so a step of -1 stays -1."""
    with open(path) as f:
        text = f.read()
    header, _, body = text.partition("$enddefinitions")
    match = re.search(r"\$timescale\s+(\d+)\s*([munpf]?s)\s+\$end", header)
    if not match:
        raise ValueError(f"{path}: no $timescale")
    timescale = int(match.group(1)) * SCALE[match.group(2)]
    scopes, names = [], {}
    for tokens in (line.split() for line in header.splitlines()):
        if tokens[:1] == ["$scope"]:
            scopes.append(tokens[2])
        elif tokens[:1] == ["$upscope"]:
            scopes.pop()
        elif tokens[:1] == ["$var"]:
            name = ".".join(scopes[1:] + [tokens[4]])
            names.setdefault(tokens[3], []).append((name, int(tokens[2])))
    signals = {name: [] for ids in names.values() for name, _ in ids}
    time, tokens = 0, iter(body.split())
    for token in tokens:
        if token == "$comment":
            for token in tokens:
                if token == "$end":
                    break
        elif token[0] == "#":
            time = int(token[1:])
        elif token[0] in "bBrR":  # a vector or real value, then its id
            ident = next(tokens)
            if token[0] in "bB":
                add_change(signals, names.get(ident, []), time, token[1:])
        elif token[0] in "01xzXZ":  # a scalar: value and id in one token
            add_change(signals, names.get(token[1:], []), time, token[0])
    return timescale, signals


def add_change(signals, ids, time, bits):
    for name, width in ids:
        value = int(bits, 2) if set(bits) <= {"0", "1"} else 0
        if len(bits) == width and bits[0] == "1" and width > 1:
            value -= 1 << width
        changes = signals[name]
        if changes and changes[-1][0] == time:
            changes[-1] = (time, value)
        else:
            changes.append((time, value))


def value_at(changes, times):
    """The signal's value at each of the sorted times (0 before its first change)."""
    at = [t for t, _ in changes]
    return [changes[i - 1][1] if i else 0 for i in (bisect.bisect_right(at, t) for t in times)]


def intervals(changes, start, end):
    """[(t0, t1, value)] of a signal over [start, end): the value holding in each piece."""
    times = sorted({t for t, _ in changes if start < t < end} | {start, end})
    return list(zip(times, times[1:], value_at(changes, times)))


def layer_runs(phase):
    """(start, end) of each layer run: from accel.phase leaving 0 to its return to 0."""
    runs, start = [], None
    for time, value in phase:
        if value != 0 and start is None:
            start = time
        elif value == 0 and start is not None:
            runs.append((start, time))
            start = None
    return runs


# ---------------------------------------------------------------- chart

def pe_segments(signals, pe, start, end):
    """[(t0, t1, state, step)] over [start, end): a piece wherever the PE's state or step changes."""
    state, step = signals[f"accel.{pe}.state"], signals[f"accel.{pe}.step"]
    times = sorted({t for t, _ in state + step if start < t < end} | {start, end})
    pieces = zip(times, times[1:], value_at(state, times), value_at(step, times))
    return [(a, b, st, sp) for a, b, st, sp in pieces]


def fused_steps(segments):
    """N_fuse of the run: the smallest gap between the first steps of the W·x bars."""
    firsts = sorted({step for pe in segments.values() for _, _, state, step in pe if state == 2 and step >= 0})
    return min([b - a for a, b in zip(firsts, firsts[1:])], default=1)


def pe_names(signals):
    """accel.<pe>.state signals but the vector PE's, in natural order (pe2 before pe10)."""
    pes = {name.split(".")[1] for name in signals if re.fullmatch(r"accel\.\w+\.state", name)}
    natural = lambda pe: [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", pe)]
    return sorted(pes - {"vpe"}, key=natural)


def plot(signals, window, title, n_fuse, cycle, out):
    """The Gantt chart of the window [start, end) in VCD time units; cycle = units per cycle."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    start, end = window
    pes = pe_names(signals)
    segments = {pe: pe_segments(signals, pe, start, end) for pe in pes}
    n_fuse = n_fuse or fused_steps(segments)
    last_step = max([v for _, v in signals.get("accel.uh_step", [])], default=-1)
    rows = pes + (["vpe"] if "accel.vpe.state" in signals else []) + ["RoCC port"]
    top = len(rows) - 1  # rows are drawn top down: pe0 at the top, the port at the bottom
    fig, ax = plt.subplots(figsize=(14, 1.4 + 0.5 * len(rows)))
    bar = lambda y, pieces, color: ax.broken_barh([(a / cycle, (b - a) / cycle) for a, b in pieces],
                                                  (y - 0.38, 0.76), color=color, zorder=2)
    for a, b, phase in intervals(signals["accel.phase"], start, end):
        if phase in PHASES:
            ax.axvspan(a / cycle, b / cycle, color=PHASES[phase][1], zorder=0)
            ax.text((a + b) / 2 / cycle, top + 0.45, PHASES[phase][0], ha="center", va="bottom",
                    fontsize=9, style="italic")
    min_label = (end - start) * 0.008  # a label needs about this much bar per character
    for y, pe in zip(range(top, -1, -1), pes):
        for state, (_, color) in PE_STATES.items():
            bar(y, [(a, b) for a, b, st, _ in segments[pe] if st == state], color)
        for a, b, state, step in segments[pe]:
            label = step_label(state, step, n_fuse, last_step)
            if label and b - a > min_label * len(label):
                ax.text((a + b) / 2 / cycle, y, label, ha="center", va="center", fontsize=7,
                        color="white", zorder=3)
    if "vpe" in rows:
        bar(1, [(a, b) for a, b, v in intervals(signals["accel.vpe.state"], start, end) if v], VPE_COLOR)
    owner = intervals(signals["rocc.owner"], start, end)
    for code, (_, color) in OWNERS.items():
        bar(0, [(a, b) for a, b, v in owner if v == code], color)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(reversed(rows)))
    ax.set_ylim(-0.6, top + 1.1)
    ax.set_xlim(start / cycle, end / cycle)
    ax.set_xlabel("cycle")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(title, fontsize=10)
    legend = ([Patch(color=c, label=f"PE {n}") for n, c in PE_STATES.values()]
              + ([Patch(color=VPE_COLOR, label="vpe busy")] if "vpe" in rows else [])
              + [Patch(color=c, label=f"port: {n}") for n, c in OWNERS.values()])
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.005, 1), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=130)


def step_label(state, step, n_fuse, last_step):
    """A W·x bar fuses n_fuse steps from its first (fewer in the last batch); a U·h bar one."""
    if step < 0:
        return ""
    last = step + n_fuse - 1 if state == 2 else step
    if last_step >= 0:
        last = min(last, last_step)
    return f"{step}–{last}" if last > step else str(step)


def choose_window(args, signals, cycle):
    """(start, end, title) in VCD time units: --from/--to if given, else layer run --run."""
    if args.start is not None or args.end is not None:
        last = max((t for changes in signals.values() for t, _ in changes), default=0)
        start = round((args.start or 0) * cycle)
        end = round(args.end * cycle) if args.end is not None else last
        if end <= start:
            raise ValueError("empty window (--to must be after --from)")
        return start, end, f"{args.vcd}: cycles {start / cycle:,.0f}..{end / cycle:,.0f}"
    runs = layer_runs(signals["accel.phase"])
    if not 0 <= args.run < len(runs):
        raise ValueError(f"{args.vcd} has {len(runs)} layer runs; --run {args.run} is not one")
    start, end = runs[args.run]
    return start, end, (f"{args.vcd}: layer run {args.run} of {len(runs)}, cycles "
                        f"{start / cycle:,.0f}..{end / cycle:,.0f} ({(end - start) / cycle:,.0f} cycles)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="\n".join(__doc__.splitlines()[2:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vcd", help="VCD written by elstm-vp --vcd")
    ap.add_argument("-o", "--out", default="schedule.png", help="PNG to write")
    ap.add_argument("--run", type=int, default=0, help="layer run to draw (0-based; default the first)")
    ap.add_argument("--from", dest="start", type=float, metavar="CYCLE", help="window start (cycles)")
    ap.add_argument("--to", dest="end", type=float, metavar="CYCLE", help="window end (cycles)")
    ap.add_argument("--n-fuse", type=int, help="steps per W·x bar in the labels (default: inferred)")
    ap.add_argument("--clock-mhz", type=float, default=1000, help="the run's clock_mhz (default 1000)")
    args = ap.parse_args(argv)
    if importlib.util.find_spec("matplotlib") is None:  # checked first, for a clear message
        print("plot_schedule: matplotlib is missing: install python3-matplotlib (apt-get install "
              "python3-matplotlib) and run with /usr/bin/python3", file=sys.stderr)
        return 2
    try:
        timescale, signals = read_vcd(args.vcd)
        missing = [s for s in ("accel.phase", "rocc.owner") if s not in signals]
        if missing:
            raise ValueError(f"{args.vcd}: no {', '.join(missing)} signal (not an elstm-vp trace?)")
        cycle = 1.0 / (args.clock_mhz * 1e6) / timescale  # VCD time units per clock cycle
        start, end, title = choose_window(args, signals, cycle)
    except (OSError, ValueError) as e:
        print(f"plot_schedule: {e}", file=sys.stderr)
        return 2
    plot(signals, (start, end), title, args.n_fuse, cycle, args.out)
    print(f"plot_schedule: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
