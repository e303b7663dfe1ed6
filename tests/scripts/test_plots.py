"""scripts/plot_schedule.py and scripts/plot_sweep.py: the VCD reader on a small hand-written trace,
then both plot scripts end to end under /usr/bin/python3 when its matplotlib is there (Debian's
python3-matplotlib; skipped with a message otherwise), and the message when it is missing."""
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)
import plot_schedule  # noqa: E402  (matplotlib is imported only when drawing)
import sweep_rows  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SYSTEM_PYTHON = "/usr/bin/python3"
WIDTHS = {"accel.phase": 8, "accel.uh_step": 32, "accel.pe0.state": 8, "accel.pe0.step": 32,
          "accel.pe1.state": 8, "accel.pe1.step": 32, "accel.pe2.state": 8, "accel.pe2.step": 32,
          "accel.vpe.state": 8, "rocc.owner": 8, "core.flag": 1}
# Two layer runs of 2 SpMV PEs fusing 2 steps each (4 steps) and the SpMSpV PE; times in ns.
CHANGES = [
    (0, {"accel.uh_step": -1, "accel.pe0.step": -1, "accel.pe1.step": -1, "accel.pe2.step": -1}),
    (10, {"accel.phase": 1, "accel.pe0.state": 1, "accel.pe0.step": 0, "accel.pe1.state": 1,
          "accel.pe1.step": 2, "core.flag": 1}),
    (15, {"accel.pe0.state": 2, "accel.pe1.state": 2, "rocc.owner": 4}),
    (40, {"accel.phase": 2, "accel.pe0.state": 0, "accel.pe0.step": -1, "accel.pe1.state": 0,
          "accel.pe1.step": -1, "accel.pe2.state": 3, "accel.pe2.step": 0, "accel.uh_step": 0,
          "rocc.owner": 7}),
    (50, {"accel.pe2.state": 0, "accel.pe2.step": -1, "accel.vpe.state": 1, "rocc.owner": 5}),
    (55, {"accel.vpe.state": 0, "accel.pe2.state": 3, "accel.pe2.step": 3, "accel.uh_step": 3,
          "accel.phase": 3}),
    (80, {"accel.pe2.state": 0, "accel.pe2.step": -1, "rocc.owner": 6}),
    (90, {"accel.phase": 0, "rocc.owner": 0, "accel.uh_step": -1, "core.flag": 0}),
    (100, {"accel.phase": 1}),
    (150, {"accel.phase": 0}),
]


def write_vcd(path):
    """A VCD shaped like elstm-vp's (SystemC top scope, one scope per module, b-vectors, a
    $comment in the body), with one 1-bit scalar for the scalar syntax."""
    ids = {name: chr(ord("!") + i) for i, name in enumerate(WIDTHS)}
    lines = ["$timescale", "     1 ns", "$end", "$scope module SystemC $end", "$scope module accel $end"]
    for name in ["accel.phase", "accel.uh_step"]:
        lines.append(f"$var wire {WIDTHS[name]} {ids[name]} {name.split('.')[-1]} $end")
    for module in ["pe0", "pe1", "pe2", "vpe"]:
        lines.append(f"$scope module {module} $end")
        for name in WIDTHS:
            if name.startswith(f"accel.{module}."):
                lines.append(f"$var wire {WIDTHS[name]} {ids[name]} {name.split('.')[-1]} $end")
        lines.append("$upscope $end")
    lines += ["$upscope $end", "$scope module rocc $end", f"$var wire 8 {ids['rocc.owner']} owner $end",
              "$upscope $end", "$scope module core $end", f"$var wire 1 {ids['core.flag']} flag $end",
              "$upscope $end", "$upscope $end", "$enddefinitions $end",
              "$comment", "All initial values are dumped below at time 0 sec = 0 timescale units.", "$end"]
    for time, values in CHANGES:
        lines.append(f"#{time}")
        for name, value in values.items():
            width = WIDTHS[name]
            if width == 1:
                lines.append(f"{value}{ids[name]}")
            else:
                lines.append(f"b{value & ((1 << width) - 1):b} {ids[name]}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def has_matplotlib(python):
    if not os.path.exists(python):
        return False
    return subprocess.run([python, "-c", "import matplotlib"], capture_output=True).returncode == 0


class VcdTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="plot-test-")
        self.vcd = os.path.join(self.tmp.name, "run.vcd")
        write_vcd(self.vcd)

    def tearDown(self):
        self.tmp.cleanup()

    def test_read(self):
        timescale, signals = plot_schedule.read_vcd(self.vcd)
        self.assertEqual(timescale, 1e-9)
        self.assertEqual(set(signals), set(WIDTHS))
        self.assertEqual(signals["accel.pe2.step"], [(0, -1), (40, 0), (50, -1), (55, 3), (80, -1)])
        self.assertEqual(signals["core.flag"], [(10, 1), (90, 0)])
        self.assertEqual(plot_schedule.layer_runs(signals["accel.phase"]), [(10, 90), (100, 150)])
        self.assertEqual(plot_schedule.intervals(signals["rocc.owner"], 10, 60),
                         [(10, 15, 0), (15, 40, 4), (40, 50, 7), (50, 60, 5)])

    def test_segments_and_labels(self):
        _, signals = plot_schedule.read_vcd(self.vcd)
        segments = {pe: plot_schedule.pe_segments(signals, pe, 10, 90) for pe in ["pe0", "pe1"]}
        self.assertEqual(segments["pe1"], [(10, 15, 1, 2), (15, 40, 2, 2), (40, 90, 0, -1)])
        self.assertEqual(plot_schedule.fused_steps(segments), 2)
        self.assertEqual(plot_schedule.pe_names(signals), ["pe0", "pe1", "pe2"])
        self.assertEqual(plot_schedule.step_label(2, 0, 2, 3), "0–1")
        self.assertEqual(plot_schedule.step_label(2, 2, 4, 3), "2–3")  # the last batch is shorter
        self.assertEqual(plot_schedule.step_label(3, 3, 2, 3), "3")
        self.assertEqual(plot_schedule.step_label(1, -1, 2, 3), "")


def sweep_csv(path, extra_param=False):
    """A small sweep CSV: n_pe 2..3 x n_fuse 1..3, their sequential rows, one failed point."""
    keys = ["accel.n_pe", "schedule.n_fuse"] + (["dram.latency"] if extra_param else []) + ["schedule.kind"]
    rows = []
    for latency in (["0", "30"] if extra_param else [""]):
        for n_pe in ("2", "3"):
            rows.append({"accel.n_pe": n_pe, "schedule.n_fuse": "", "schedule.kind": "sequential",
                         "dram.latency": latency, "status": "ok", "cycles": "3000000",
                         "cycles_L1": "1000000", "cycles_L2": "2000000", "speedup": "1.0000"})
            for n_fuse in ("1", "2", "3"):
                l1, l2 = 800000 // int(n_pe) + 1000 * int(n_fuse), 1600000 // int(n_pe)
                rows.append({"accel.n_pe": n_pe, "schedule.n_fuse": n_fuse, "schedule.kind": "cell_fusion",
                             "dram.latency": latency, "status": "ok", "cycles": str(l1 + l2),
                             "cycles_L1": str(l1), "cycles_L2": str(l2)})
    rows.append({"accel.n_pe": "4", "schedule.n_fuse": "1", "schedule.kind": "cell_fusion",
                 "dram.latency": "0" if extra_param else "", "status": "failed", "error": "boom"})
    for row in rows:
        if not extra_param:
            del row["dram.latency"]
    by_point = {sweep_rows.point_key(r, keys): r for r in rows}
    for row in rows:
        sweep_rows.fill_speedup(row, by_point, keys)
    sweep_rows.write_csv(path, keys, rows, 2)


@unittest.skipUnless(has_matplotlib(SYSTEM_PYTHON),
                     f"{SYSTEM_PYTHON} has no matplotlib (apt-get install python3-matplotlib)")
class PlotScriptsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="plot-test-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_script(self, name, *args):
        return subprocess.run([SYSTEM_PYTHON, os.path.join(SCRIPTS, name)] + list(args),
                              capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg"))

    def assertPng(self, path):
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), PNG_SIGNATURE, path)

    def test_schedule(self):
        vcd = os.path.join(self.dir, "run.vcd")
        write_vcd(vcd)
        for args, png in [([], "run0.png"), (["--run", "1"], "run1.png"), (["--from", "0", "--to", "60"], "zoom.png")]:
            proc = self.run_script("plot_schedule.py", vcd, "-o", os.path.join(self.dir, png), *args)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertPng(os.path.join(self.dir, png))
        proc = self.run_script("plot_schedule.py", vcd, "-o", os.path.join(self.dir, "x.png"), "--run", "2")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("has 2 layer runs", proc.stderr)

    def test_sweep(self):
        path = os.path.join(self.dir, "sweep.csv")
        sweep_csv(path)
        out = os.path.join(self.dir, "plots")
        proc = self.run_script("plot_sweep.py", path, "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for png in ["cycles_vs_n_pe.png", "speedup_heatmap.png"]:
            self.assertPng(os.path.join(out, png))

    def test_sweep_with_a_third_parameter_needs_where(self):
        path = os.path.join(self.dir, "sweep.csv")
        sweep_csv(path, extra_param=True)
        proc = self.run_script("plot_sweep.py", path, "-o", self.dir)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("pick one with --where dram.latency=VALUE", proc.stderr)
        proc = self.run_script("plot_sweep.py", path, "-o", self.dir, "--where", "dram.latency=30")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertPng(os.path.join(self.dir, "speedup_heatmap.png"))


@unittest.skipIf(importlib.util.find_spec("matplotlib"), f"{sys.executable} has matplotlib")
class MissingMatplotlibTest(unittest.TestCase):
    def test_message(self):
        for name in ["plot_sweep.py", "plot_schedule.py"]:
            with self.subTest(script=name):
                proc = subprocess.run([sys.executable, os.path.join(SCRIPTS, name), "x", "-o", "y"],
                                      capture_output=True, text=True)
                self.assertEqual(proc.returncode, 2)
                self.assertIn("install python3-matplotlib", proc.stderr)
                self.assertIn("/usr/bin/python3", proc.stderr)


if __name__ == "__main__":
    unittest.main()
