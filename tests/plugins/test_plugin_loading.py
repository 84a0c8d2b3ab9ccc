"""Plugins found through entry points, refused one by one: a plugin that fails to import,
registers a name already taken, or gives no runtime piece is refused with its name, never a
traceback, and only a spec that uses its kind fails. Each plugin here is a distribution made
by hand (a module and its `.dist-info`) in a folder put on PYTHONPATH of a `clockspec`
subprocess, so no pip and no network are needed (the pip-installed example plugin is
test_example_plugin.py)."""
from __future__ import annotations

import ast
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


def test_a_refused_plugins_metric_is_named_with_the_reason_where_a_spec_records_or_watches_it(tmp_path):
    distribution(tmp_path / "site", "broken-metrics", "[clockspec.kinds]\nlab_norm = broken_ir\n",
                 {"broken_ir": "raise ImportError('no module named labtools')\n"})
    spec = SPEC.replace("MODEL", "{kind: mlp, hidden: [8]}")
    (tmp_path / "probe.yaml").write_text(spec.replace("{every: 2}", "{every: 2, metrics: [lab_norm]}"))
    (tmp_path / "clock.yaml").write_text(spec + "clocks: {c: first lab_norm <= 1}\n")
    why = "it comes from the plugin broken-metrics==1.0, which was refused (ImportError: no module named labtools)"
    probe = clockspec(tmp_path / "site", "check", "probe.yaml", cwd=tmp_path)
    assert probe.returncode == 2 and f"probe.yaml:5:30: error: probes.metrics[0]: unknown metric 'lab_norm': {why}" in probe.stderr
    clock = clockspec(tmp_path / "site", "check", "clock.yaml", cwd=tmp_path)
    assert clock.returncode == 2 and f"clock.yaml:6:19: error: clocks.c: unknown metric 'lab_norm': {why}" in clock.stderr


def test_a_plugin_that_takes_a_name_already_registered_is_refused_and_the_kind_stays_clockspecs(tmp_path):
    twice = ("from typing import Literal\nfrom clockspec.ir.models import MODELS, MLP\n"
             "@MODELS.register\nclass Mine(MLP):\n    kind: Literal['mlp']\n")
    distribution(tmp_path / "site", "greedy-plugin", "[clockspec.kinds]\nmlp = greedy_ir\n", {"greedy_ir": twice})
    _, plain = specs(tmp_path, "{kind: mlp}")
    out = clockspec(tmp_path / "site", "check", plain, cwd=tmp_path)
    assert out.returncode == 0
    assert out.stderr == ("warning: plugin greedy-plugin==1.0 refused: ValueError: model 'mlp' registered twice (a name "
                          "another kind has: a plugin namespaces its kinds, mylab.name)\n")


def test_a_plugin_whose_entry_points_name_a_kind_it_does_not_register_is_refused(tmp_path):
    distribution(tmp_path / "site", "empty-plugin", "[clockspec.kinds]\nghost = empty_ir\n", {"empty_ir": ""})
    uses, _ = specs(tmp_path, "{kind: ghost}")
    out = clockspec(tmp_path / "site", "check", uses, cwd=tmp_path)
    assert out.returncode == 2
    assert "its entry points name ghost, which it does not register" in out.stderr


def test_a_plugin_kind_without_its_runtime_piece_is_refused_at_run_and_named(tmp_path):
    """The example's IR module, declared without its runtime module: check passes (the IR side
    is whole), `plugins` says each kind is refused at run, and `run` refuses a spec that uses
    its model, or only its metric, before anything is written."""
    distribution(tmp_path / "site", "half-plugin", "[clockspec.kinds]\nres_mlp = clockspec_resmlp.ir\n")
    shutil.copytree(EXAMPLE / "clockspec_resmlp", tmp_path / "site" / "clockspec_resmlp")
    uses, plain = specs(tmp_path, "{kind: res_mlp, width: 8, depth: 1}")
    (tmp_path / "metric.yaml").write_text(SPEC.replace("MODEL", "{kind: mlp, hidden: [8]}").replace(
        "{every: 2}", "{every: 2, metrics: [ntk_alignment]}"))
    assert clockspec(tmp_path / "site", "check", uses, "metric.yaml", cwd=tmp_path).returncode == 0
    listed = clockspec(tmp_path / "site", "plugins", cwd=tmp_path).stdout
    assert listed.startswith("half-plugin 1.0\n")
    for family, kind in [("model", "res_mlp"), ("metric", "ntk_alignment"), ("optimizer", "signum")]:
        assert f"\n  {family} {kind}: refused at run: the plugin half-plugin==1.0 gives no runtime piece for it" in listed
    for spec, family, kind in [(uses, "model", "res_mlp"), ("metric.yaml", "metric", "ntk_alignment")]:
        out = clockspec(tmp_path / "site", "run", spec, "--out", "runs", cwd=tmp_path)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"runtime {family} '{kind}' is refused: the plugin half-plugin==1.0 gives no runtime piece" in out.stderr
    assert not list((tmp_path / "runs").glob("**/metrics.jsonl"))
    assert clockspec(tmp_path / "site", "run", plain, "--out", "runs", cwd=tmp_path).returncode == 0


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


LAB = ("from typing import Literal\nfrom clockspec.ir.models import MODELS, MLP\n"
       "@MODELS.register\nclass LabMLP(MLP):\n    kind: Literal['mylab.mlp']\n")
PENALTIES = """\
from typing import ClassVar, Literal
from pydantic import Field
from clockspec.ir.base import Strict
from clockspec.ir.losses import LOSSES, Loss
from clockspec.ir.regularizers import REGULARIZERS
LOSSES.add('focal', Loss('focal loss', 'focal loss (nats)'))
@REGULARIZERS.register
class L1(Strict):
    kind: Literal['l1'] = Field('l1', exclude=True)
    strength: float = Field(1e-3, ge=0.0)
    per_member_fields: ClassVar[tuple[str, ...]] = ('strength',)
    def misfits(self, spec, layers): return iter(())
    def resolved(self, model): return self
    def describe(self, derived): return 'An L1 penalty.'
"""


def test_a_namespaced_kind_checks_and_round_trips_through_clk(tmp_path):
    distribution(tmp_path / "site", "lab-plugin", "[clockspec.kinds]\nmylab.mlp = lab_ir\n", {"lab_ir": LAB})
    uses, _ = specs(tmp_path, "{kind: mylab.mlp, hidden: [8]}")
    site = tmp_path / "site"
    assert clockspec(site, "convert", "--to", "clk", uses, "-o", "uses.clk", cwd=tmp_path).returncode == 0
    assert "\n  model mylab.mlp {\n    hidden = [8]\n  }\n" in (tmp_path / "uses.clk").read_text()
    assert clockspec(site, "check", "uses.clk", cwd=tmp_path).returncode == 0
    assert clockspec(site, "fmt", "--check", "uses.clk", cwd=tmp_path).returncode == 0
    back = clockspec(site, "convert", "--to", "yaml", "uses.clk", cwd=tmp_path).stdout
    assert back == clockspec(site, "convert", "--canonical", uses, cwd=tmp_path).stdout and "kind: mylab.mlp" in back
    (tmp_path / "typo.clk").write_text((tmp_path / "uses.clk").read_text().replace("mylab.mlp", "mylab.mpl"))
    typo = clockspec(site, "check", "typo.clk", cwd=tmp_path)
    assert typo.returncode == 2 and "error: unknown model kind 'mylab.mpl'\n  hint: did you mean 'mylab.mlp'?" in typo.stderr


def test_a_plugins_metric_with_a_dotted_name_is_refused(tmp_path):
    metric = "from clockspec.ir.metrics import Metric, register\nregister(Metric('mylab.norm', 'a norm'))\n"
    distribution(tmp_path / "site", "dotted-plugin", "[clockspec.kinds]\nmylab.norm = dotted_ir\n", {"dotted_ir": metric})
    _, plain = specs(tmp_path, "{kind: mlp}")
    out = clockspec(tmp_path / "site", "check", plain, cwd=tmp_path)
    assert out.returncode == 0
    assert out.stderr.startswith("warning: plugin dotted-plugin==1.0 refused: its metric 'mylab.norm' is not a plain name")


def test_a_plugins_loss_and_regularizer_check_and_explain_and_are_refused_at_run_without_their_pieces(tmp_path):
    entry = "[clockspec.kinds]\nfocal = penalty_ir\nl1 = penalty_ir\n"
    distribution(tmp_path / "site", "penalty-plugin", entry, {"penalty_ir": PENALTIES})
    (tmp_path / "uses.yaml").write_text(SPEC.replace("MODEL", "{kind: mlp, hidden: [8]}").replace(
        "{steps: 4}", "{steps: 4, loss: focal}") + "regularizers: {l1: {strength: 0.01}}\n")
    site = tmp_path / "site"
    assert clockspec(site, "check", "uses.yaml", cwd=tmp_path).returncode == 0
    explained = clockspec(site, "explain", "uses.yaml", cwd=tmp_path).stdout
    assert ("Plugins (their versions are in the train hash): loss focal from penalty-plugin==1.0; "
            "regularizer l1 from penalty-plugin==1.0.") in explained and "An L1 penalty." in explained
    listed = clockspec(site, "plugins", cwd=tmp_path).stdout
    assert "\n  loss focal: refused at run" in listed and "\n  regularizer l1: refused at run" in listed
    (tmp_path / "typo.yaml").write_text((tmp_path / "uses.yaml").read_text().replace("l1:", "l2:"))
    typo = clockspec(site, "check", "typo.yaml", cwd=tmp_path)
    assert typo.returncode == 2 and "typo.yaml:6:16: error: unknown key 'l2' in regularizers\n" in typo.stderr
    assert typo.stderr.rstrip().endswith(", l1")  # the hint's known keys
    ran = clockspec(site, "run", "uses.yaml", "--out", "runs", cwd=tmp_path)
    assert ran.returncode == 2 and "is refused: the plugin penalty-plugin==1.0 gives no runtime piece" in ran.stderr
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").glob("**/metrics.jsonl"))


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
    registries = {"TASKS", "MODELS", "OPTIMIZERS", "REGULARIZERS", "LOSSES", "METRICS", "register"}
    for path in (EXAMPLE / "clockspec_resmlp").glob("*.py"):  # where the example registers, the doc says
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and registries & {alias.name for alias in node.names}:
                assert f"`{node.module}`" in section, f"{path.name} registers through {node.module}"
