"""One elstm-vp run for the scripts that compare runs (fig10.py, compare_variants.py,
bench/cpu_vs_accel.py): no VCD, quiet, the stats JSON through a temporary file."""
import json
import os
import subprocess
import tempfile


def run_vp(vp, config, args=()):
    """The stats of `vp --config config ARGS` and what it printed; RuntimeError naming the
    command and its stderr when it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "stats.json")
        cmd = [vp, "--config", config, "--vcd", "", "-q", "--stats", stats] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.strip()}")
        with open(stats) as f:
            return json.load(f), proc.stdout
