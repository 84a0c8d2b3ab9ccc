"""The wheel carries every module and grammar and works on its own: build it, install it into
an isolated venv, then check a spec and train a tiny one from outside the source tree.

A package missing from `[tool.setuptools] packages` still works in an editable install but
silently vanishes from the wheel; only a real install shows it. The venv sees no site-packages
of the base interpreter (a clean machine's base has none of our dependencies); the dependencies
come from the environment running the tests (the README's venv) through a `.pth` line, which adds
that folder to `sys.path` without running its `.pth` files, so the editable install stays out.
"""
import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

from clean_wheel import wheel_and_venv

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = {"clockspec": ROOT / "clockspec", "clockspec.grammar": ROOT / "grammar",
                "clockspec.runtime": ROOT / "runtime"}
TINY = """\
clockspec: 1
name: tiny
task: {kind: modular, modulus: 5, train_fraction: 0.6}
model: {kind: mlp, hidden: [8]}
train: {steps: 30}
probes: {every: 10}
clocks: {fit: first train_loss <= 1e-2}
"""


def source_modules() -> list[str]:
    """Every module the source tree holds, by its installed name."""
    names = set()
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if "__pycache__" not in rel.parts:
                names.add(".".join([package, *parts]))
    return sorted(names)


CHECK = """
import importlib, sys
from importlib.resources import files
from pathlib import Path
import clockspec
assert Path(clockspec.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), clockspec.__file__
for name in sys.argv[2:]:
    importlib.import_module(name)
from lark import Lark
for grammar in sys.argv[1].split(","):
    assert (files("clockspec.grammar") / grammar).is_file(), grammar
    Lark.open_from_package("clockspec.grammar", grammar, parser="lalr")
print("ok", len(sys.argv) - 2)
"""


def dependency_folders() -> list[str]:
    """The site-packages folders of the environment running the tests, not the base's."""
    base = {Path(p).resolve() for p in site.getsitepackages([sys.base_prefix])}
    return [p for p in site.getsitepackages() if Path(p).resolve() not in base]


@pytest.mark.slow
def test_wheel_installs_and_runs_in_an_isolated_venv(tmp_path):
    def run(*cmd, cwd=tmp_path):
        done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
        assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    wheel, venv = wheel_and_venv(tmp_path, run)
    python, clockspec_cli = venv / "bin" / "python", venv / "bin" / "clockspec"
    own_site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    Path(own_site, "deps-from-test-env.pth").write_text("\n".join(dependency_folders()) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    run(sys.executable, "-m", "pip", "--python", python, "check")  # every declared dependency is there

    grammars = ",".join(sorted(p.name for p in (ROOT / "grammar").glob("*.lark")))
    modules = source_modules()
    assert "clockspec.syntax.yaml_printer" in modules and "clockspec.runtime" in modules
    assert run(python, "-I", "-c", CHECK, grammars, *modules).strip() == f"ok {len(modules)}"

    work = tmp_path / "work"
    work.mkdir()
    (work / "tiny.yaml").write_text(TINY)
    run(clockspec_cli, "check", "tiny.yaml", cwd=work)
    run(clockspec_cli, "run", "--quiet", "--out", "runs", "tiny.yaml", cwd=work)
    run_dir, = [p for p in (work / "runs" / ".objects").glob("*") if p.is_dir()]  # the one program (beside its lock file)
    assert json.loads((run_dir / "status.json").read_text())["status"] == "complete"
