"""The Slurm side of scripts/sweep.py: the array script (one task per point, every task's log in
the parts folder as slurm-<job>_<task>.log, its row in point_<task>.csv), and the merge of the
parts, which names every point without an ok row with its task's log and the command that
resubmits just those tasks. Standard library only."""
import json
import os
import re
import shlex

from sweep_rows import (IDENTITY, UsageError, describe, describe_identity, fill_speedup,
                        identity_of, log, point_key, read_csv, row_layers, write_csv)

SWEEP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep.py")
LOG_NAME = re.compile(r"slurm-(\d+)_(\d+)\.log$")


def script_text(n_tasks, log_dir, sbatch_options, comments, workdir, task_command):
    """A bash sbatch script: `#SBATCH` lines (the array, one core per task, the logs, then the
    user's options), comments, and the task command, which sees its index as $id."""
    lines = ["#!/bin/bash",
             "#SBATCH --job-name=elstm-sweep",
             f"#SBATCH --array=0-{n_tasks - 1}",
             "#SBATCH --cpus-per-task=1",
             f"#SBATCH --output={log_dir}/slurm-%A_%a.log"]
    lines += [f"#SBATCH {option}" for option in sbatch_options]
    lines += [f"# {comment}" if comment else "#" for comment in comments]
    lines += ["set -euo pipefail",
              f"cd {shlex.quote(workdir)}",
              "id=$SLURM_ARRAY_TASK_ID",
              f"exec {task_command}"]
    return "\n".join(lines) + "\n"


def task_log(log_dir, task):
    """The log of the latest job that ran array task `task` (a resubmission gets a new job id),
    or None when no job ran it."""
    found = []
    for name in os.listdir(log_dir):
        match = LOG_NAME.fullmatch(name)
        if match and int(match.group(2)) == task:
            found.append((int(match.group(1)), name))
    return os.path.join(log_dir, max(found)[1]) if found else None


def last_line(path):
    """The last non-empty line of a task log: where a task that wrote no row says why."""
    with open(path, errors="replace") as f:
        lines = [line.strip() for line in f if line.strip()]
    return lines[-1] if lines else "(empty log)"


def resubmit_command(script, tasks):
    """sbatch with --array on the command line, which overrides the script's own #SBATCH --array."""
    return shlex.join(["sbatch", "--array=" + ",".join(str(t) for t in tasks), script])


MANIFEST = "sweep.json"  # in the parts folder: the emitted sweep's points, for --merge
PART = re.compile(r"point_(\d+)\.csv$")


def task_command(args, params, fixed, identity):
    """The sweep's own command line, canonical and absolute (a task may run on another node and in
    another folder): what every array task reruns with --point. The task checks the config's
    hash before it runs anything."""
    cmd = ["python3", SWEEP, "--vp", os.path.abspath(args.vp),
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
    merge = shlex.join(["python3", SWEEP, "--merge", out, parts])
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
        f.write(script_text(len(points), parts, args.sbatch, comments, os.getcwd(), command))
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
        log_path = task_log(log_dir, task)
        if row is not None:
            what = f"failed: {row['error']}" + (f" (log {log_path})" if log_path else "")
        elif log_path:
            what = f"no result; log {log_path}: {last_line(log_path)}"
        else:
            what = "no result and no log (the task never ran)"
        log(f"point {task} ({describe(point, keys)}): {what}")
    if missing:
        log(f"{len(missing)} of {len(manifest['points'])} points have no ok row; resubmit just them: "
            f"{resubmit_command(manifest['script'], missing)}")
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
