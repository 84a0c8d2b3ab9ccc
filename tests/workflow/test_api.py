"""The Python API: clockspec.run for experiments and families, results as DataFrames,
clockspec.runs as a DataFrame; and the same from a script piped to `python -`."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import clockspec
from tiny import tiny_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = tiny_spec("api-tiny")


def test_run_an_experiment_and_read_dataframes(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    result = clockspec.run(spec, set={"seed": 3}, out=tmp_path / "runs")
    assert list(result.status.values()) == ["complete"] and result.run_dir.name.startswith("api-tiny-")
    metrics = result.metrics()
    assert list(metrics["step"]) == [0, 10, 20, 30, 40] and {"train_loss", "test_acc", "run"} <= set(metrics)
    clocks = result.clocks().set_index("clock")
    assert bool(clocks.loc["perfect", "censored"]) and clocks["step"].isna()["perfect"]
    assert clocks.loc["memorize", "step"] == int(clocks.loc["memorize", "step"])
    index = clockspec.runs(tmp_path / "runs", where="seed == 3")
    assert list(index["name"]) == ["api-tiny"] and list(index["spec.seed"]) == [3]
    assert clockspec.load(result.run_dir / "spec.lock.yaml").seed == 3  # the effective spec is what ran


def test_bad_options_are_spec_errors_naming_them(tmp_path):
    with pytest.raises(clockspec.SpecError, match=r"set\[optimizer.lerning\]: error: 'optimizer.lerning'"):
        clockspec.run(clockspec.loads(SPEC), set={"optimizer.lerning": 1}, out=tmp_path)
    with pytest.raises(clockspec.SpecError, match=r"grid\[optimizer.lr\]: error: member lr=-1"):
        clockspec.run(clockspec.loads(SPEC), grid={"optimizer.lr": [0.1, -1]}, out=tmp_path)


STDIN_SCRIPT = """
import clockspec
spec = clockspec.loads('''{spec}''')
one = clockspec.run(spec, out={out!r})
fam = clockspec.run(spec, grid={{"seed": [1, 2]}}, out={out!r}, jobs=2)
print("experiment", list(one.status.values()))
print("family", sorted(fam.status.values()), (fam.folder / "family.csv").exists())
print("clocks", len(fam.clocks()), "rows", len(fam.metrics()))
print("index", len(clockspec.runs({out!r})))
"""


@pytest.mark.slow
def test_from_python_stdin_a_family_runs_on_spawned_workers(tmp_path):
    script = textwrap.dedent(STDIN_SCRIPT).format(spec=SPEC, out=str(tmp_path / "runs"))
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["experiment ['complete']", "family ['complete', 'complete'] True",
                                        "clocks 4 rows 10", "index 3"]
