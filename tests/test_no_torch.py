"""Spec review, compiling, expansion, diff and analysis run where there is no torch: each entry
point, in a fresh interpreter, leaves torch unimported (and what else it must not need)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ("specs", "tests/fixtures/compiler")

LOAD_AND_COMPILE = f"""
import clockspec
from pathlib import Path
paths = sorted(p for d in {SPECS!r} for p in Path(d).glob("*") if p.suffix in (".yaml", ".clk"))
assert len(paths) >= 4, paths
for path in paths:
    spec = clockspec.load(path)
    if isinstance(spec, clockspec.Experiment):
        plan = spec.compile(); plan.to_json(); plan.probe_steps()
"""
LOADS_TEXT = """
import clockspec
for path, syntax in (("specs/modadd.yaml", "yaml"), ("specs/modadd.clk", "clk")):
    clockspec.loads(open(path).read(), syntax=syntax).compile()
"""
EXPAND = """
import clockspec
clockspec.expand("specs/wd_family.yaml"); clockspec.expand("specs/wd_family.clk")
"""
DIFF = """
import clockspec
f = "tests/fixtures/diff/"
clockspec.diff(f + "base.yaml", f + "retrain.yaml"); clockspec.diff(f + "family_a.yaml", f + "family_b.yaml")
"""
CLI_PARSER = """
from clockspec.commands.main import build_parser
build_parser()
"""
REPORT = """
import json, math, tempfile
from pathlib import Path
import clockspec.report
from clockspec.commands.main import main
run = Path(tempfile.mkdtemp()) / "run"
run.mkdir()
run.joinpath("metrics.jsonl").write_text("".join(
    json.dumps({"step": t, "train_loss": math.exp(-t / 50), "weight_norm": 1 + 1 / (t + 1)}) + "\\n"
    for t in range(0, 2000, 10)))
assert main(["report", "-q", str(run)]) == 0 and run.joinpath("clock_curves.png").stat().st_size > 0
"""


@pytest.mark.parametrize("code, also_absent", [
    # numpy is in the `run` extra: loading, checking, expanding and diffing specs never need it
    (LOAD_AND_COMPILE, ["networkx", "numpy"]),  # the plan is a graph only when asked (Plan.graph)
    (LOADS_TEXT, ["networkx", "numpy"]),
    (EXPAND, ["numpy"]),
    (DIFF, ["numpy"]),
    (CLI_PARSER, ["numpy"]),  # registering every command, `run` included
    (REPORT, ["matplotlib.pyplot"]),  # figures on the Agg canvas, no pyplot state
], ids=["load-and-compile", "loads-text", "expand", "diff", "cli-parser", "report"])
def test_entry_point_never_imports_torch(code, also_absent):
    check = f"\nimport sys\nprint([m for m in {['torch', *also_absent]!r} if m in sys.modules])\n"
    done = subprocess.run([sys.executable, "-c", code + check], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
