#!/usr/bin/env python3
"""Design-space sweep of elstm-vp: any --set-able key over lists or ranges, in parallel, one CSV
row per point, resumable.

    scripts/sweep.py --config configs/ptb.yaml --n-pe 2..6 --n-fuse 1..8 -o sweep.csv
    scripts/sweep.py --config configs/ptb.yaml --param accel.vector_pe.lanes=4,8,16 -o lanes.csv
    scripts/sweep.py ... -o sweep.csv --emit-slurm sweep.sbatch    # one Slurm array task per point
    scripts/sweep.py --merge sweep.csv sweep.parts                   # merge the tasks' rows

A value is a list "a,b,c" (commas inside [] or {} belong to the value: "[3,2],[2,2]") whose items
may be inclusive integer ranges "a..b". Every point of the cartesian product runs with
schedule.kind=cell_fusion (unless schedule.kind is swept or set); each distinct point without
schedule.n_fuse also runs once with schedule.kind=sequential, the baseline of the speedup columns.
Rerunning the same command skips the points already in the CSV with status ok (failed points are
kept, or retried with --retry-failed); a CSV computed under another configuration (config file,
its content or the fixed --set overrides) is refused. Ctrl-C stops launching points and waits for
the running ones; a second Ctrl-C (or SIGTERM) kills them, and their points are left for the resume.
Exit status: 0 every point ok, 1 some point failed, 2 bad arguments, 130 interrupted.
"""
import argparse
import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import slurm_array
from sweep_rows import (KIND, SEQUENTIAL, Table, UsageError, describe, log, point_key,
                        stats_figures, sweep_identity, sweep_params, sweep_points)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- running points

class Control:
    """What the signal handler asks for: it only sets flags; the main loop acts on them."""

    def __init__(self):
        self.stop = self.kill = False
        self.procs = set()
        self.lock = threading.Lock()

    def on_signal(self, signum, _frame):
        if signum == signal.SIGINT and not self.stop:
            self.stop = True
        else:
            self.stop = self.kill = True

    def kill_all(self):
        with self.lock:
            for proc in self.procs:
                proc.kill()


def vp_command(vp, config, fixed, point, stats_path):
    cmd = [vp, "--config", config, "--vcd", "", "--quiet", "--stats", stats_path]
    for key, value in list(fixed.items()) + list(point.items()):
        if value != "":
            cmd += ["--set", f"{key}={value}"]
    return cmd


def failure(returncode, out, err):
    """The error of a failed run: elstm-vp's one-line message on stderr, else the last line it
    printed, else how it ended."""
    for text, pick in ((err, 0), (out, -1)):
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines:
            return lines[pick]
    if returncode < 0:
        return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def run_point(vp, config, fixed, point, timeout, control, identity):
    """Runs one point; returns its row, or None when the sweep was interrupted before or while
    it ran (so the resume runs it)."""
    if control.stop:
        return None
    row = dict(point, **identity)
    with tempfile.TemporaryDirectory(prefix="elstm-sweep-") as tmp:
        stats_path = os.path.join(tmp, "stats.json")
        start = time.monotonic()
        try:
            # A session of its own: a terminal's Ctrl-C reaches the sweep, not the runs.
            proc = subprocess.Popen(vp_command(vp, config, fixed, point, stats_path),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
        except OSError as e:
            return dict(row, status="failed", error=f"cannot run {vp}: {e.strerror}")
        with control.lock:
            control.procs.add(proc)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            timed_out = True
        finally:
            with control.lock:
                control.procs.discard(proc)
        row["wall_s"] = f"{time.monotonic() - start:.2f}"
        if control.kill:
            return None
        if timed_out:
            return dict(row, status="failed", error=f"timeout after {timeout:g} s")
        if proc.returncode != 0:
            return dict(row, status="failed", error=failure(proc.returncode, out, err))
        try:
            with open(stats_path) as f:
                stats = json.load(f)
            figures = stats_figures(stats)
        except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as e:
            return dict(row, status="failed", error=f"unreadable stats: {e!r}")
        if not stats.get("golden", {}).get("passed", False):
            return dict(row, status="failed", error="golden check failed")
        return dict(row, status="ok", error="", **figures)


def run_sweep(args, params, fixed, points, identity):
    table = Table(args.out, list(params), identity)
    todo = [p for p in points if not table.done(p, args.retry_failed)]
    n_seq = sum(p[KIND] == SEQUENTIAL for p in points)
    jobs = min(args.jobs, len(todo)) or 1
    log(f"{len(points)} points ({len(points) - n_seq} + {n_seq} sequential), "
        f"{len(points) - len(todo)} already in {args.out}, running {len(todo)} on {jobs} workers")
    control = Control()
    old = {s: signal.signal(s, control.on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        finished = collect(args, fixed, todo, jobs, table, control, identity)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        table.finish(points)
    if control.stop:
        log(f"interrupted after {finished} of {len(todo)} points; "
            f"run the same command again to resume")
        return 130
    return report_failures(table, points)


def collect(args, fixed, todo, jobs, table, control, identity):
    """Runs the points on a thread pool (each thread waits on its elstm-vp process) and adds each
    row as it finishes. Returns the number of points finished."""
    finished, cancelled, killed = 0, False, False
    with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
        pending = {pool.submit(run_point, args.vp, args.config, fixed, p, args.timeout, control,
                               identity): p
                   for p in todo}
        while pending:
            done, _ = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for future in done:
                pending.pop(future)
                row = None if future.cancelled() else future.result()
                if row is not None:
                    table.add(row)
                    finished += 1
                    log(f"[{finished}/{len(todo)}] {describe(row, table.keys)}: "
                        + (f"{row['cycles']} cycles, {row['wall_s']} s" if row["status"] == "ok"
                           else f"FAILED: {row['error']}"))
            if control.stop and not cancelled:
                cancelled = True
                for future in pending:
                    future.cancel()
                log("interrupted: no new points; waiting for the running ones "
                    "(Ctrl-C again kills them)")
            if control.kill and not killed:
                killed = True
                control.kill_all()
    return finished


def report_failures(table, points):
    failed = [table.rows[point_key(p, table.keys)] for p in points
              if table.rows.get(point_key(p, table.keys), {}).get("status") == "failed"]
    for row in failed:
        log(f"failed: {describe(row, table.keys)}: {row['error']}")
    if failed:
        log(f"{len(failed)} of {len(points)} points failed (rerun with --retry-failed to retry)")
        return 1
    log(f"all {len(points)} points ok: {table.path}")
    return 0


# ---------------------------------------------------------------- command line

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="\n".join(__doc__.splitlines()[2:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="platform YAML, passed to every run")
    ap.add_argument("--config-sha256", metavar="HEX",
                    help="refuse to run unless the effective configuration and its input files have this hash (Slurm tasks)")
    ap.add_argument("--n-pe", dest="n_pe", metavar="VALUES", help="short for --param accel.n_pe=VALUES")
    ap.add_argument("--n-fuse", dest="n_fuse", metavar="VALUES",
                    help="short for --param schedule.n_fuse=VALUES")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUES",
                    help="sweep a key over a list / range (repeatable)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="fixed override for every run (repeatable)")
    ap.add_argument("-o", "--out", help="the CSV (read to resume, appended to)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="parallel runs (default: all cores)")
    ap.add_argument("--vp", default=os.path.join(REPO, "build", "elstm-vp"), help="elstm-vp binary")
    ap.add_argument("--timeout", type=float, help="seconds before a run counts as failed")
    ap.add_argument("--retry-failed", action="store_true", help="rerun points that failed before")
    ap.add_argument("--point", type=int, metavar="K", help="run only point K (0-based; Slurm task)")
    ap.add_argument("--emit-slurm", metavar="FILE", help="write a Slurm array script, run nothing")
    ap.add_argument("--sbatch", action="append", default=[], metavar="OPTION",
                    help="extra #SBATCH line for --emit-slurm, e.g. --sbatch=--time=0:30:00")
    ap.add_argument("--merge", nargs="+", metavar="CSV",
                    help="OUT.csv PARTS_FOLDER|PART.csv...: merge the part files of a Slurm "
                    "sweep into OUT.csv, run nothing")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.merge:
            return slurm_array.merge_csvs(args.merge[0], args.merge[1:])
        if not args.config or not args.out:
            raise UsageError("--config and -o are required (or --merge)")
        if not os.path.isfile(args.config):
            raise UsageError(f"{args.config}: no such config")
        if args.jobs < 1:
            raise UsageError(f"--jobs {args.jobs}: must be at least 1")
        params, fixed = sweep_params(args)
        points = sweep_points(params)
        if not os.access(args.vp, os.X_OK):
            raise UsageError(f"{args.vp}: no elstm-vp there; build it or pass --vp")
        identity = sweep_identity(args.config, fixed, args.vp)
        if args.config_sha256 and args.config_sha256 != identity["config_sha256"]:
            raise UsageError(f"{identity['config']}: configuration or input files changed since the sweep "
                             f"was emitted (sha256 {identity['config_sha256'][:12]}, expected "
                             f"{args.config_sha256[:12]}); emit the script again")
        if args.emit_slurm:
            return slurm_array.emit_slurm(args, params, fixed, points, identity)
        if args.point is not None:
            if not 0 <= args.point < len(points):
                raise UsageError(f"--point {args.point}: the sweep has points 0..{len(points) - 1}")
            points = [points[args.point]]
        return run_sweep(args, params, fixed, points, identity)
    except (UsageError, OSError) as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
