"""SLURM settings: `[tool.clockspec.slurm]` of the nearest pyproject.toml, overridden by the
`--slurm-*` options; a bad one is an error naming where it is; no submitit says how to install."""
import os
import sys

import pytest

import clockspec
from clockspec.families.expand import expand_family
from clockspec.orchestrate.execute import run_family
from clockspec.orchestrate.slurm import settings


def test_the_command_line_overrides_the_project(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.clockspec.slurm]\npartition = "gpu"\ntime = 30\nmem_gb = 4\n')
    (tmp_path / "specs").mkdir()
    assert settings({"time": 90, "partition": None}, tmp_path / "specs") == {"partition": "gpu", "time": 90,
                                                                              "mem_gb": 4}
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text("[tool.clockspec]\nruns = 'r'\n")  # the nearest decides
    assert settings({"cpus_per_task": 2}, tmp_path / "other") == {"cpus_per_task": 2}


@pytest.mark.parametrize("table, message", [
    ('partition = 3', "SLURM setting 'partition' must be a string, not 3"),
    ('time = -1', "SLURM setting 'time' must be a non-negative whole number, not -1"),
    ('gpus = 1', "unknown SLURM setting 'gpus'; expected one of partition, time, cpus_per_task, gpus_per_node"),
])
def test_a_bad_setting_names_the_file_and_the_key(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.clockspec.slurm]\n{table}\n")
    with pytest.raises(clockspec.SpecError) as info:
        settings({}, tmp_path)
    assert info.value.diagnostics[0].file == f"{tmp_path / 'pyproject.toml'}: [tool.clockspec.slurm]"
    assert info.value.diagnostics[0].message.startswith(message)


def test_submitit_missing_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "submitit", None)
    (tmp_path / "base.yaml").write_text("name: t\ntask: {kind: modular, modulus: 7}\nmodel: {kind: mlp, hidden: [8]}\n"
                                        "train: {steps: 20}\nprobes: {every: 10}\n")
    (tmp_path / "fam.yaml").write_text("family: f\nbase: base.yaml\nvary:\n  grid:\n    seed: [0]\n")
    with pytest.raises(clockspec.SpecError) as info:
        run_family(expand_family(tmp_path / "fam.yaml"), out=tmp_path / "runs", executor="slurm",
                   stream=open(os.devnull, "w"))
    assert info.value.diagnostics[0].hint == 'pip install "clockspec[slurm]"'
