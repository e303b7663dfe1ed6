"""The Slurm side of scripts/sweep.py: the array script (one task per point, every task's log in
the parts folder as slurm-<job>_<task>.log), finding a task's log, and the command that
resubmits some of the tasks. Standard library only."""
import os
import re
import shlex

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
