"""The wheel carries every module and grammar: build it, install it in a fresh venv, import.

A package missing from `[tool.setuptools] packages` still works in an editable install but
silently vanishes from the wheel; only a real install shows it.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = {"clockspec": ROOT / "clockspec", "clockspec.grammar": ROOT / "grammar",
                "clockspec.runtime": ROOT / "runtime"}


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
spec = clockspec.loads("name: x\\ntask: {kind: modular, modulus: 5}\\nmodel: {kind: mlp}\\nclocks: {fit: first train_loss <= 1e-2}\\n")
print("ok", len(sys.argv) - 2)
"""


@pytest.mark.slow
def test_wheel_installs_every_module_and_grammar(tmp_path):
    run = lambda *cmd: subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, cwd=tmp_path)
    # Build from a clean copy: a stale build/ folder in the checkout would hide a missing package.
    clean = tmp_path / "src"
    shutil.copytree(ROOT, clean, ignore=shutil.ignore_patterns(
        "build", "dist", ".venv", "*.egg-info", "__pycache__", ".git", ".hypothesis", ".pytest_cache", "runs"))
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", clean)
    wheel, = (tmp_path / "dist").glob("clockspec-*.whl")
    run(sys.executable, "-m", "venv", "--system-site-packages", tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", wheel)
    grammars = ",".join(sorted(p.name for p in (ROOT / "grammar").glob("*.lark")))
    modules = source_modules()
    assert "clockspec.printers.yaml_printer" in modules and "clockspec.runtime" in modules
    out = run(python, "-c", CHECK, grammars, *modules).stdout
    assert out.strip() == f"ok {len(modules)}"
