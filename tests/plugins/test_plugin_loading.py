"""Plugins found through entry points, refused one by one: a plugin that fails to import,
registers a name already taken, or gives no runtime piece is refused with its name, never a
traceback, and only a spec that uses its kind fails. Each plugin here is a distribution made
by hand (a module and its `.dist-info`) in a folder put on PYTHONPATH of a `clockspec`
subprocess, so no pip and no network are needed (the pip-installed example plugin is
test_example_plugin.py)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

from clockspec.ir.plugins import IR_GROUP, RUNTIME_GROUP
from clockspec.syntax.validate import PLUGIN_HINT

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugin"
TEACHER = "{kind: teacher, inputs: 6, classes: 3, rank: 1, train_size: 24, test_size: 24}"
SPEC = "name: s\ntask: " + TEACHER + "\nmodel: MODEL\ntrain: {steps: 4}\nprobes: {every: 2}\n"


def distribution(site: Path, name: str, entry_points: str, modules: dict[str, str] | None = None) -> None:
    """Write an installed distribution `name` 1.0 into `site`: its modules and its metadata."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    for module, text in (modules or {}).items():
        (site / f"{module}.py").write_text(text)


def clockspec(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "clockspec.commands.main", *args], capture_output=True, text=True, env=env, cwd=cwd)


def specs(folder: Path, model: str) -> tuple[str, str]:
    """(a spec that uses `model`, one that uses clockspec's own mlp), written into `folder`."""
    (folder / "uses.yaml").write_text(SPEC.replace("MODEL", model))
    (folder / "plain.yaml").write_text(SPEC.replace("MODEL", "{kind: mlp, hidden: [8]}"))
    return "uses.yaml", "plain.yaml"


def test_a_plugin_that_fails_to_import_fails_only_the_specs_that_use_it(tmp_path):
    distribution(tmp_path / "site", "broken-plugin", "[clockspec.kinds]\nbroken_net = broken_ir\n",
                 {"broken_ir": "raise RuntimeError('the lab server is down')\n"})
    uses, plain = specs(tmp_path, "{kind: broken_net}")
    ok = clockspec(tmp_path / "site", "check", plain, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ("warning: plugin broken-plugin==1.0 refused: RuntimeError: the lab server is down\n")
    bad = clockspec(tmp_path / "site", "check", uses, cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert ("uses.yaml:3:15: error: unknown model kind 'broken_net': it comes from the plugin broken-plugin==1.0, "
            "which was refused (RuntimeError: the lab server is down)") in bad.stderr
    listed = clockspec(tmp_path / "site", "plugins", cwd=tmp_path)
    assert listed.stdout == "broken-plugin 1.0: refused: RuntimeError: the lab server is down\n"


def test_a_plugin_that_takes_a_name_already_registered_is_refused_and_the_kind_stays_clockspecs(tmp_path):
    twice = ("from typing import Literal\nfrom clockspec.ir.models import MODELS, MLP\n"
             "@MODELS.register\nclass Mine(MLP):\n    kind: Literal['mlp']\n")
    distribution(tmp_path / "site", "greedy-plugin", "[clockspec.kinds]\nmlp = greedy_ir\n", {"greedy_ir": twice})
    _, plain = specs(tmp_path, "{kind: mlp}")
    out = clockspec(tmp_path / "site", "check", plain, cwd=tmp_path)
    assert out.returncode == 0
    assert out.stderr == "warning: plugin greedy-plugin==1.0 refused: ValueError: model 'mlp' registered twice\n"


def test_a_plugin_whose_entry_points_name_a_kind_it_does_not_register_is_refused(tmp_path):
    distribution(tmp_path / "site", "empty-plugin", "[clockspec.kinds]\nghost = empty_ir\n", {"empty_ir": ""})
    uses, _ = specs(tmp_path, "{kind: ghost}")
    out = clockspec(tmp_path / "site", "check", uses, cwd=tmp_path)
    assert out.returncode == 2
    assert "its entry points name ghost, which it does not register" in out.stderr


def test_a_plugin_kind_without_its_runtime_piece_is_refused_at_run_and_named(tmp_path):
    """The example's IR module, declared without its runtime module: check passes (the IR side
    is whole), `plugins` says the kind is refused at run, and `run` refuses the spec that uses it."""
    distribution(tmp_path / "site", "half-plugin", "[clockspec.kinds]\nres_mlp = clockspec_resmlp.ir\n")
    shutil.copytree(EXAMPLE / "clockspec_resmlp", tmp_path / "site" / "clockspec_resmlp")
    uses, _ = specs(tmp_path, "{kind: res_mlp, width: 8, depth: 1}")
    assert clockspec(tmp_path / "site", "check", uses, cwd=tmp_path).returncode == 0
    listed = clockspec(tmp_path / "site", "plugins", cwd=tmp_path)
    assert listed.stdout.startswith("half-plugin 1.0\n  model res_mlp: refused at run: the plugin half-plugin==1.0 "
                                    "gives no runtime piece for it")
    out = clockspec(tmp_path / "site", "run", uses, "--out", "runs", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "runtime model 'res_mlp' is refused: the plugin half-plugin==1.0 gives no runtime piece" in out.stderr
    assert not list((tmp_path / "runs").glob("*/metrics.jsonl"))


def test_an_editable_plugins_source_is_in_the_hash(tmp_path):
    """An editable install's code changes with no new version: a hash of its package's files
    joins its identity, so an edit of its runtime module retrains the specs that use it."""
    site = tmp_path / "site"
    distribution(site, "editable-plugin", "[clockspec.kinds]\nres_mlp = clockspec_resmlp.ir\n")
    (site / "editable_plugin-1.0.dist-info" / "direct_url.json").write_text(
        '{"url": "file:///src", "dir_info": {"editable": true}}')
    shutil.copytree(EXAMPLE / "clockspec_resmlp", site / "clockspec_resmlp")
    script = "import clockspec, sys; print(clockspec.loads(sys.argv[1]).compile().train_hash)"
    spec = SPEC.replace("MODEL", "{kind: res_mlp}")
    env = {**os.environ, "PYTHONPATH": str(site)}
    before = subprocess.run([sys.executable, "-c", script, spec], capture_output=True, text=True, env=env).stdout
    with (site / "clockspec_resmlp" / "runtime.py").open("a") as module:
        module.write("# an edit\n")
    after = subprocess.run([sys.executable, "-c", script, spec], capture_output=True, text=True, env=env).stdout
    assert len(before.strip()) == 64 and before != after
    (tmp_path / "uses.yaml").write_text(spec)
    explained = clockspec(site, "explain", "uses.yaml", cwd=tmp_path).stdout
    assert re.search(r"model res_mlp from editable-plugin==1\.0\+source\.[0-9a-f]{12}\.", explained)


def test_an_unknown_kind_says_how_a_plugins_kind_is_installed(tmp_path):
    uses, _ = specs(tmp_path, "{kind: res_mlp}")
    out = clockspec(tmp_path / "site", "check", uses, cwd=tmp_path)
    assert out.returncode == 2
    assert f"uses.yaml:3:15: error: unknown model kind 'res_mlp'\n  hint: did you mean 'embed_mlp'? {PLUGIN_HINT}" in out.stderr


def test_the_docs_section_names_the_example_plugins_entry_points():
    """docs/extending.md "As a plugin" is held to examples/plugin: the groups and modules it shows
    are the example's, and the example's modules exist."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]["entry-points"]
    assert set(project) == {IR_GROUP, RUNTIME_GROUP}
    section = (EXAMPLE.parents[1] / "docs" / "extending.md").read_text().split("## As a plugin")[1].split("\n## ")[0]
    for group, points in project.items():
        assert f'[project.entry-points."{group}"]' in section
        for kind, module in points.items():
            assert f'`{kind} = "{module}"`' in section
            assert (EXAMPLE / (module.replace(".", "/") + ".py")).is_file()
