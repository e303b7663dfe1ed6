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
its content or the fixed --set overrides) is refused. Ctrl-C stops launching points and waits for the running
ones; a second Ctrl-C (or SIGTERM) kills them, and their points are left for the resume.
Exit status: 0 every point ok, 1 some point failed, 2 bad arguments, 130 interrupted.
"""
import argparse
import concurrent.futures as cf
import csv
import hashlib
import itertools
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

import slurm_array

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIND = "schedule.kind"
NFUSE = "schedule.n_fuse"
SEQUENTIAL = "sequential"
SHORTHANDS = (("n_pe", "accel.n_pe"), ("n_fuse", NFUSE))
LAYER_COLUMN = re.compile(r"cycles_L(\d+)$")
# What a row was computed under, besides its parameters: the config file (absolute), its content
# and the fixed --set overrides. A row is reused only under the same three.
IDENTITY = ("config", "config_sha256", "sets")


class UsageError(Exception):
    """Bad arguments or inputs: reported in one line, exit status 2."""


# ---------------------------------------------------------------- parameters and points

def split_top(text):
    """Splits at commas outside brackets and braces, so a YAML list value stays whole."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "[{") - (ch in "]}")
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items]


def parse_values(spec):
    """'2..4,8' -> ['2', '3', '4', '8']; raises UsageError on empty items, bad or reversed ranges
    and duplicates."""
    values = []
    for item in split_top(spec):
        if not item:
            raise UsageError(f"'{spec}': empty value")
        match = re.fullmatch(r"(-?\d+)\s*\.\.\s*(-?\d+)", item)
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if lo > hi:
                raise UsageError(f"'{spec}': range {item} is empty (first > last)")
            values += [str(v) for v in range(lo, hi + 1)]
        elif ".." in item and not item.startswith(("[", "{")):
            raise UsageError(f"'{spec}': '{item}' is not an integer range a..b")
        else:
            values.append(item)
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise UsageError(f"'{spec}': {', '.join(duplicates)} given more than once")
    return values


def split_assignment(text, option):
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"{option} {text}: expected KEY=VALUE")
    return key.strip(), value


def sweep_params(args):
    """The swept keys, in command-line order, with their values; and the fixed --set overrides.
    schedule.kind is always a parameter (the sequential companions differ in it)."""
    params = {}

    def add(key, spec, option):
        if key in params:
            raise UsageError(f"{option}: {key} is swept twice")
        params[key] = parse_values(spec)

    for name, key in SHORTHANDS:
        spec = getattr(args, name)
        if spec is not None:
            add(key, spec, "--" + name.replace("_", "-"))
    for text in args.param:
        add(*split_assignment(text, "--param"), "--param")
    fixed = {}
    for text in args.set:
        key, value = split_assignment(text, "--set")
        if key in params:
            raise UsageError(f"--set {text}: {key} is also swept")
        fixed[key] = value
    if KIND not in params:
        params[KIND] = [fixed.pop(KIND, "cell_fusion")]
    return params, fixed


def companion(point):
    """The sequential run a point's speedup is measured against: N_fuse means nothing there."""
    seq = dict(point)
    seq[KIND] = SEQUENTIAL
    if NFUSE in seq:
        seq[NFUSE] = ""
    return seq


def sweep_points(params):
    """Every point of the product; the sequential companions first (they are the slowest runs,
    and every speedup waits for them), each point once."""
    keys = list(params)
    product = [dict(zip(keys, values)) for values in itertools.product(*params.values())]
    points = {}
    for point in [companion(p) for p in product] + product:
        if point[KIND] == SEQUENTIAL:
            point = companion(point)
        points.setdefault(point_key(point, keys), point)
    return list(points.values())


def point_key(point, keys):
    return tuple(point.get(k, "") for k in keys)


def describe(row, keys):
    return " ".join(f"{k}={row[k]}" for k in keys if row[k] != "")


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sweep_identity(config, fixed):
    path = os.path.realpath(config)
    return {"config": path, "config_sha256": file_sha256(path),
            "sets": shlex.join(f"{k}={v}" for k, v in fixed.items())}


def describe_identity(identity):
    text = f"{identity.get('config') or '?'} (sha256 {(identity.get('config_sha256') or '?')[:12]})"
    return text + (f" with --set {identity['sets']}" if identity.get("sets") else "")


def identity_of(row):
    return {k: row.get(k) or "" for k in IDENTITY}


def check_identity(path, rows, identity):
    """Refuses rows computed under another configuration: reusing them would mix results."""
    for row in rows:
        if identity_of(row) != identity:
            raise UsageError(f"{path} holds points computed with {describe_identity(identity_of(row))}, "
                             f"this sweep runs {describe_identity(identity)}: choose another -o "
                             f"(or remove {path} to recompute)")


# ---------------------------------------------------------------- CSV rows

def columns(keys, n_layers):
    """Stable column order: the parameters, then the outcome, then the figures."""
    layers = range(1, n_layers + 1)
    return (list(keys) + ["status", "error", "cycles"] + [f"cycles_L{i}" for i in layers]
            + ["speedup"] + [f"speedup_L{i}" for i in layers]
            + ["pe_utilisation", "port_utilisation_w", "port_utilisation_u", "area", "wall_s"]
            + list(IDENTITY))


def row_layers(row):
    return sum(1 for column in row if LAYER_COLUMN.match(column))


def stats_figures(stats):
    """The CSV figures of one elstm-vp stats JSON. Port utilisations are weighted by each layer
    run's cycles; PE utilisation is the mean over the SpMV/SpMSpV PEs (not the vector PE)."""
    runs = stats["runs"]
    total = sum(r["cycles"] for r in runs)
    figures = {"cycles": str(total)}
    for layer in sorted({r["layer"] for r in runs}):
        figures[f"cycles_L{layer}"] = str(sum(r["cycles"] for r in runs if r["layer"] == layer))
    pes = stats["pes"]
    figures["pe_utilisation"] = f"{sum(p['utilisation'] for p in pes) / len(pes):.6g}"
    for side in "wu":
        weighted = sum(r[f"port_utilisation_{side}"] * r["cycles"] for r in runs)
        figures[f"port_utilisation_{side}"] = f"{weighted / total:.6g}" if total else ""
    figures["area"] = f"{sum(b['area'] for b in stats['buffers']):.6g}"
    return figures


def fill_speedup(row, rows, keys):
    """speedup = the sequential companion's cycles / this point's, in total and per layer."""
    if row["status"] != "ok":
        return
    seq = rows.get(point_key(companion(row), keys))
    if seq is None or seq["status"] != "ok":
        return
    for column in [c for c in row if c == "cycles" or LAYER_COLUMN.match(c)]:
        if row[column] and seq.get(column):
            row[column.replace("cycles", "speedup")] = f"{int(seq[column]) / int(row[column]):.4f}"


def read_csv(path):
    """(parameter keys, {point key: row}) of a sweep CSV: the parameters are the columns before
    'status'."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        if "status" not in header:
            raise UsageError(f"{path}: not a sweep CSV (no 'status' column)")
        keys = header[:header.index("status")]
        return keys, {point_key(row, keys): row for row in reader}


class Table:
    """The sweep's CSV: appended row by row as points finish (so an interrupt loses only the
    running points), rewritten whole when the columns widen, a point is replaced, or the sweep
    ends (to fill in speedups). Rewrites go through a temporary file, so the CSV is always whole."""

    def __init__(self, path, keys, identity):
        self.path, self.keys, self.rows, self.n_layers = path, keys, {}, 0
        if os.path.exists(path) and os.path.getsize(path) > 0:
            old_keys, self.rows = read_csv(path)
            if set(old_keys) != set(keys):
                raise UsageError(f"{path} sweeps {', '.join(old_keys)}, this sweep "
                                 f"{', '.join(keys)}: choose another -o")
            check_identity(path, self.rows.values(), identity)
            self.keys = old_keys  # the file's column order, whatever the order of the options
            self.n_layers = max([row_layers(r) for r in self.rows.values()], default=0)
        self.save()

    def done(self, point, retry_failed):
        row = self.rows.get(point_key(point, self.keys))
        return row is not None and (row["status"] == "ok" or not retry_failed)

    def add(self, row):
        key = point_key(row, self.keys)
        replaced = key in self.rows
        self.rows[key] = row
        fill_speedup(row, self.rows, self.keys)
        if replaced or row_layers(row) > self.n_layers:
            self.n_layers = max(self.n_layers, row_layers(row))
            self.save()
        else:
            with open(self.path, "a", newline="") as f:
                self._writer(f).writerow(row)

    def finish(self, points):
        """Fills in the speedups and puts the rows in point order (a file that does not depend
        on which run finished first); rows of other sweeps stay, after them."""
        order = {point_key(p, self.keys): i for i, p in enumerate(points)}
        ranked = sorted(self.rows.items(), key=lambda item: order.get(item[0], len(order)))
        self.rows = dict(ranked)
        for row in self.rows.values():
            fill_speedup(row, self.rows, self.keys)
        self.save()

    def save(self):
        write_csv(self.path, self.keys, self.rows.values(), self.n_layers)

    def _writer(self, f):
        return csv.DictWriter(f, columns(self.keys, self.n_layers), restval="")


def write_csv(path, keys, rows, n_layers):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, columns(keys, n_layers), restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


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


def log(text):
    print(f"sweep: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- Slurm and merging

MANIFEST = "sweep.json"  # in the parts folder: the emitted sweep's points, for --merge
PART = re.compile(r"point_(\d+)\.csv$")


def task_command(args, params, fixed, identity):
    """The sweep's own command line, canonical and absolute (a task may run on another node and in
    another folder): what every array task reruns with --point. The task checks the config's
    hash before it runs anything."""
    cmd = ["python3", os.path.abspath(__file__), "--vp", os.path.abspath(args.vp),
           "--config", identity["config"], "--config-sha256", identity["config_sha256"]]
    for key, values in params.items():
        cmd += ["--param", f"{key}={','.join(values)}"]
    for key, value in fixed.items():
        cmd += ["--set", f"{key}={value}"]
    if args.timeout is not None:
        cmd += ["--timeout", f"{args.timeout:g}"]
    return cmd


def emit_slurm(args, params, fixed, points, identity):
    """A bash sbatch script, one array task per point, each writing its row to a part file; and
    the manifest of the points in the parts folder."""
    out = os.path.abspath(args.out)
    parts = os.path.splitext(out)[0] + ".parts"
    script = os.path.abspath(args.emit_slurm)
    keys = list(params)
    os.makedirs(parts, exist_ok=True)  # Slurm opens the tasks' logs there before they start
    with open(os.path.join(parts, MANIFEST), "w") as f:
        json.dump(dict(identity, script=script, vp=os.path.abspath(args.vp), keys=keys,
                       points=points), f, indent=1)
    merge = shlex.join(["python3", os.path.abspath(__file__), "--merge", out, parts])
    comments = [f"{len(points)} points of {os.path.abspath(args.vp)} --config {identity['config']}",
                f"(sha256 {identity['config_sha256']}), one per task, fixed --set: "
                f"{identity['sets'] or 'none'}.",
                "Task K writes its row to point_K.csv next to its log slurm-<job>_K.log.",
                f"When all are done: {merge}", ""]
    comments += [f"task {k}: {describe(p, keys)}" for k, p in enumerate(points)]
    # --retry-failed: a resubmitted task reruns its point unless its part file holds it ok.
    command = (f"{shlex.join(task_command(args, params, fixed, identity))} --jobs 1 --retry-failed "
               f"--point \"$id\" --out {shlex.quote(parts)}/point_\"$id\".csv")
    with open(script, "w") as f:
        f.write(slurm_array.script_text(len(points), parts, args.sbatch, comments, os.getcwd(),
                                        command))
    log(f"wrote {args.emit_slurm}: {len(points)} array tasks; submit with sbatch {args.emit_slurm}, "
        f"then {merge}")
    return 0


def merge_sources(sources):
    """The part files to merge and the manifest, if a source is an emitted sweep's parts folder
    (then its point_K.csv files, in task order)."""
    parts, manifest, log_dir = [], None, None
    for source in sources:
        if not os.path.isdir(source):
            parts.append(source)
            continue
        try:
            with open(os.path.join(source, MANIFEST)) as f:
                manifest = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"{source}: not the parts folder of an --emit-slurm sweep "
                             f"({MANIFEST}: {getattr(e, 'strerror', None) or e})")
        log_dir = source
        found = [(int(m.group(1)), name) for name in os.listdir(source)
                 for m in [PART.fullmatch(name)] if m and os.path.isfile(os.path.join(source, name))]
        parts += [os.path.join(source, name) for _, name in sorted(found)]
    return parts, manifest, log_dir


def report_tasks(manifest, log_dir, keys, rows):
    """Every point of the manifest without an ok row, with its task's log, and the command that
    resubmits just those tasks. Returns how many."""
    missing = []
    for task, point in enumerate(manifest["points"]):
        row = rows.get(point_key(point, keys))
        if row is not None and row["status"] == "ok":
            continue
        missing.append(task)
        task_log = slurm_array.task_log(log_dir, task)
        if row is not None:
            what = f"failed: {row['error']}" + (f" (log {task_log})" if task_log else "")
        elif task_log:
            what = f"no result; log {task_log}: {slurm_array.last_line(task_log)}"
        else:
            what = "no result and no log (the task never ran)"
        log(f"point {task} ({describe(point, keys)}): {what}")
    if missing:
        log(f"{len(missing)} of {len(manifest['points'])} points have no ok row; resubmit just them: "
            f"{slurm_array.resubmit_command(manifest['script'], missing)}")
    return len(missing)


def merge_csvs(out, sources):
    """One CSV from part files: one row per point, an ok row wins over a failed one, a later file
    over an earlier one; speedups recomputed. All rows must come from one configuration. With a
    parts folder, the rows follow the order of the points and every point without an ok row is
    reported."""
    if not sources:
        raise UsageError("--merge OUT.csv PARTS_FOLDER|PART.csv...: nothing to merge")
    parts, manifest, log_dir = merge_sources(sources)
    keys = manifest["keys"] if manifest else None
    identity = {k: manifest[k] for k in IDENTITY} if manifest else None
    first, rows = os.path.join(log_dir, MANIFEST) if manifest else None, {}
    for path in parts:
        try:
            part_keys, part_rows = read_csv(path)
        except OSError as e:
            raise UsageError(f"{path}: {e.strerror}")
        if keys is not None and part_keys != keys:
            raise UsageError(f"{path} sweeps {', '.join(part_keys)}, {first} {', '.join(keys)}")
        keys, first = keys or part_keys, first or path
        for key, row in part_rows.items():
            identity = identity or identity_of(row)
            if identity_of(row) != identity:
                raise UsageError(f"{path} holds points computed with "
                                 f"{describe_identity(identity_of(row))}, {first} with "
                                 f"{describe_identity(identity)}: not one sweep")
            if key not in rows or row["status"] == "ok" or rows[key]["status"] != "ok":
                rows[key] = row
    if keys is None:
        raise UsageError("--merge: no part files")
    if manifest:
        order = {point_key(p, keys): i for i, p in enumerate(manifest["points"])}
        rows = dict(sorted(rows.items(), key=lambda item: order.get(item[0], len(order))))
    for row in rows.values():
        fill_speedup(row, rows, keys)
    write_csv(out, keys, rows.values(), max([row_layers(r) for r in rows.values()], default=0))
    failed = sum(r["status"] != "ok" for r in rows.values())
    log(f"merged {len(parts)} files into {out}: {len(rows)} points, {failed} failed")
    missing = report_tasks(manifest, log_dir, keys, rows) if manifest else 0
    return 1 if failed or missing else 0


# ---------------------------------------------------------------- command line

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="\n".join(__doc__.splitlines()[2:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="platform YAML, passed to every run")
    ap.add_argument("--config-sha256", metavar="HEX",
                    help="refuse to run unless the config's content has this hash (Slurm tasks)")
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
            return merge_csvs(args.merge[0], args.merge[1:])
        if not args.config or not args.out:
            raise UsageError("--config and -o are required (or --merge)")
        if not os.path.isfile(args.config):
            raise UsageError(f"{args.config}: no such config")
        if args.jobs < 1:
            raise UsageError(f"--jobs {args.jobs}: must be at least 1")
        params, fixed = sweep_params(args)
        points = sweep_points(params)
        identity = sweep_identity(args.config, fixed)
        if args.config_sha256 and args.config_sha256 != identity["config_sha256"]:
            raise UsageError(f"{identity['config']}: content changed since the sweep was emitted "
                             f"(sha256 {identity['config_sha256'][:12]}, expected "
                             f"{args.config_sha256[:12]}); emit the script again")
        if args.emit_slurm:
            return emit_slurm(args, params, fixed, points, identity)
        if not os.access(args.vp, os.X_OK):
            raise UsageError(f"{args.vp}: no elstm-vp there; build it or pass --vp")
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
