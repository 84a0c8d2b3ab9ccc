"""The example plugin (examples/plugin: the `res_mlp` model, `sign_parity` task, `ntk_alignment` metric and `signum`
optimizer kinds), pip-installed offline from a
copy of its folder into a target folder that `clockspec` subprocesses see on PYTHONPATH; not
on it, the plugin is uninstalled. It checks, explains and trains a batched family whose members
equal their solo runs byte for byte; a new version changes the train hash of exactly the
specs that use it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import clockspec
from clockspec.syntax.validate import PLUGIN_HINT

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plugin"
TEACHER = "{kind: teacher, inputs: 6, classes: 3, rank: 1, train_size: 24, test_size: 24}"
SPEC = "name: s\ntask: " + TEACHER + "\nmodel: MODEL\ntrain: {steps: 4}\nprobes: {every: 2}\n"
RES = SPEC.replace("MODEL", "{kind: res_mlp, width: 8, depth: 2}")
PLAIN = SPEC.replace("MODEL", "{kind: mlp, hidden: [8]}")
PARITY = PLAIN.replace(TEACHER, "{kind: sign_parity, inputs: 6, relevant: 3, train_size: 24, test_size: 24}")
ALIGNED = PLAIN.replace("{every: 2}", "{every: 2, metrics: [ntk_alignment]}")
SIGNUM = PLAIN + "optimizer: {kind: signum}\n"


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    """Version -> a folder the example plugin is pip-installed into, at 0.1.0 and at 0.2.0."""
    tmp = tmp_path_factory.mktemp("plugin")
    out = {}
    for version in ("0.1.0", "0.2.0"):
        source = tmp / f"src-{version}"
        shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        pyproject = source / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', f'version = "{version}"'))
        out[version] = tmp / f"site-{version}"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "--target", out[version], source], check=True, capture_output=True)
    return out


def python(site: Path | None, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site) if site else ""}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_installed_it_checks_and_explains_naming_its_version_uninstalled_check_says_how(sites, tmp_path):
    (tmp_path / "res.yaml").write_text(RES)
    installed = python(sites["0.2.0"], "-m", "clockspec.commands.main", "check", "res.yaml", cwd=tmp_path)
    assert installed.returncode == 0 and installed.stderr == ""
    explained = python(sites["0.2.0"], "-m", "clockspec.commands.main", "explain", "res.yaml", cwd=tmp_path)
    assert "Plugins (their versions are in the train hash): model res_mlp from clockspec-resmlp==0.2.0." in explained.stdout
    listed = python(sites["0.2.0"], "-m", "clockspec.commands.main", "plugins", cwd=tmp_path)
    trains = "trains on the stacked step (batched like clockspec's own kinds)"
    assert listed.stdout == (
        "clockspec-resmlp 0.2.0\n"
        f"  metric ntk_alignment: {trains}; it is measured eagerly at probes, outside the step\n"
        f"  model res_mlp: {trains}; compiled with the step under train.compile: true; auto leaves it eager (it "
        "declares no saving)\n"
        f"  task sign_parity: {trains}; its data is built once, before the step\n"
        f"  optimizer signum: {trains}; its update runs eagerly after the compiled step\n")
    gone = python(None, "-m", "clockspec.commands.main", "check", "res.yaml", cwd=tmp_path)
    assert gone.returncode == 2 and "Traceback" not in gone.stderr
    assert f"res.yaml:3:15: error: unknown model kind 'res_mlp'\n  hint: did you mean 'embed_mlp'? {PLUGIN_HINT}" in gone.stderr


def test_a_spec_that_lists_its_plugins_says_which_to_install_and_refuses_another_version(sites, tmp_path):
    """`plugins: [clockspec-resmlp==0.1.0]` is met by 0.1.0 (and changes no hash); 0.2.0 installed
    fails at the entry; with nothing installed, the unknown kind's hint names the pip command."""
    (tmp_path / "lists.yaml").write_text(RES + "plugins: [clockspec-resmlp==0.1.0]\n")
    met = python(sites["0.1.0"], "-m", "clockspec.commands.main", "check", "lists.yaml", cwd=tmp_path)
    assert met.returncode == 0 and met.stderr == ""
    script = "import sys, clockspec\nfor text in sys.argv[1:]: print(clockspec.loads(text).compile().train_hash)\n"
    hashes = python(sites["0.1.0"], "-c", script, RES, (tmp_path / "lists.yaml").read_text()).stdout.split()
    assert len(hashes) == 2 and hashes[0] == hashes[1]
    other = python(sites["0.2.0"], "-m", "clockspec.commands.main", "check", "lists.yaml", cwd=tmp_path)
    assert other.returncode == 2 and other.stderr == (
        "lists.yaml:6:11: error: plugins[0]: clockspec-resmlp 0.2.0 is installed, not ==0.1.0: "
        "pip install 'clockspec-resmlp==0.1.0'\n")
    gone = python(None, "-m", "clockspec.commands.main", "check", "lists.yaml", cwd=tmp_path)
    assert gone.returncode == 2 and "Traceback" not in gone.stderr
    assert ("lists.yaml:3:15: error: unknown model kind 'res_mlp'\n  hint: did you mean 'embed_mlp'? The spec's "
            "`plugins` lists clockspec-resmlp==0.1.0, not installed at that version: pip install "
            "'clockspec-resmlp==0.1.0'\n") in gone.stderr
    assert ("lists.yaml:6:11: error: plugins[0]: the plugin clockspec-resmlp==0.1.0 is not installed: "
            "pip install 'clockspec-resmlp==0.1.0'") in gone.stderr


def test_a_new_version_changes_the_train_hash_of_exactly_the_specs_that_use_it(sites):
    script = ("import sys, clockspec\n"
              "for text in sys.argv[1:]: print(clockspec.loads(text).compile().train_hash)\n")
    hashes = {v: python(site, "-c", script, RES, PLAIN, PARITY, ALIGNED, SIGNUM).stdout.split() for v, site in sites.items()}
    for used in (0, 2, 3, 4):  # the specs that use it (its model, task, metric, optimizer) retrain
        assert hashes["0.1.0"][used] != hashes["0.2.0"][used]
    plain = clockspec.loads(PLAIN).compile().train_hash  # here, with no plugin installed
    assert hashes["0.1.0"][1] == hashes["0.2.0"][1] == plain  # the one that does not keeps its hash


def test_its_specs_are_checked_explained_and_diffed_without_importing_torch(sites):
    """Only the IR side is imported to review a spec that uses it: its runtime module (torch)
    is imported by the training step alone."""
    script = ("import sys, clockspec\nfrom clockspec.compiler.explain import explain\n"
              "a, b = clockspec.loads(sys.argv[1]), clockspec.loads(sys.argv[2])\n"
              "from clockspec.diff.render import render\n"
              "print(explain(a.compile()).count('clockspec-resmlp==0.1.0'), bool(clockspec.diff(a, b)))\n"
              "print([line for line in render(clockspec.diff(a, b)).splitlines() if 'plugins' in line])\n"
              "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('clockspec_resmlp')))\n")
    out = python(sites["0.1.0"], "-c", script, RES, RES.replace("width: 8", "width: 16"))
    assert out.stdout.splitlines() == ["1 True", "['plugins: model res_mlp from clockspec-resmlp==0.1.0']",
                                       "['clockspec_resmlp', 'clockspec_resmlp.ir']"], out.stderr


@pytest.mark.slow
def test_a_member_of_a_batch_of_three_is_bit_identical_to_it_alone_with_the_plugins_kinds(sites):
    """The suite's own test enumerates the runtime registries: with the plugin installed it
    has a `model-res_mlp`, a `task-sign_parity` and an `optimizer-signum` case (three members batched, the middle one
    equal to its solo run byte for byte), eager, and the model's compiled too, with no edit."""
    out = python(sites["0.1.0"], "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow or not slow",
                 "tests/runtime/test_every_kind_batches.py", "-k", "model-res_mlp or task-sign_parity or optimizer-signum")
    assert out.returncode == 0 and "4 passed" in out.stdout, out.stdout + out.stderr


def test_its_kinds_train_as_their_papers_say_and_all_four_batch_bit_identically(sites):
    """tests/plugins/example_kinds.py, run with the plugin installed: signum against its
    algorithm by hand and against Lion, ntk_alignment against a kernel built gradient by
    gradient, and a batch of three using the plugin's task, model, optimizer and metric whose
    middle member equals its solo run byte for byte."""
    out = python(sites["0.1.0"], "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/plugins/example_kinds.py")
    assert out.returncode == 0 and "4 passed" in out.stdout, out.stdout + out.stderr
