"""The hooks of .pre-commit-hooks.yaml, run the way pre-commit runs them.

pre-commit filters the staged files by the hook's `files` pattern (re.search on the path
from the repository root), runs `entry` with the files as arguments, and fails the hook
when the command fails or changes a file.
"""
from __future__ import annotations

import hashlib
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import clockspec

ROOT = Path(__file__).resolve().parents[2]
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
GOOD = clockspec.dumps(clockspec.load(ROOT / "tests" / "fixtures" / "diff" / "base.yaml"))  # canonical
MESSY = (ROOT / "tests" / "fixtures" / "diff" / "reformatted.yaml").read_text()


@pytest.fixture
def tree(tmp_path):
    files = {
        "specs/good.yaml": GOOD,
        "specs/messy.yaml": MESSY,
        "specs/bad.yaml": GOOD.replace("embed_mlp", "emb_mlp"),
        ".pre-commit-config.yaml": "repos: []\n",  # a YAML file that is no spec
        ".github/workflows/ci.yml": "on: push\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path, sorted(files)


def run_hook(hook_id: str, root: Path, staged: list[str]):
    """(status, output, files the hook changed) as pre-commit would see them."""
    hook = HOOKS[hook_id]
    chosen = [f for f in staged if re.search(hook["files"], f)]
    before = {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in staged}
    entry = shlex.split(hook["entry"])
    assert entry[0] == "clockspec"  # the console script; run it from this interpreter
    done = subprocess.run([sys.executable, "-m", "clockspec.commands.main", *entry[1:], *hook.get("args", []), *chosen],
                          cwd=root, capture_output=True, text=True, check=False)
    changed = [f for f in staged if hashlib.sha256((root / f).read_bytes()).hexdigest() != before[f]]
    return done.returncode, done.stdout + done.stderr, changed, chosen


def test_hooks_are_declared_as_pre_commit_expects():
    assert set(HOOKS) == {"clockspec-check", "clockspec-fmt"}
    for hook in HOOKS.values():
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert hook["language"] == "python"  # pre-commit installs this repository's package


def test_only_spec_files_are_passed(tree):
    root, staged = tree
    *_, chosen = run_hook("clockspec-check", root, staged)
    assert chosen == ["specs/bad.yaml", "specs/good.yaml", "specs/messy.yaml"]


def test_check_fails_on_a_bad_spec_with_its_position(tree):
    root, staged = tree
    status, out, changed, _ = run_hook("clockspec-check", root, staged)
    assert status == 2 and changed == []
    assert "specs/bad.yaml:" in out and "unknown model kind 'emb_mlp'" in out and "did you mean 'embed_mlp'?" in out
    status, out, _, _ = run_hook("clockspec-check", root, ["specs/good.yaml", "specs/messy.yaml"])
    assert status == 0 and "error:" not in out  # warnings (if any) do not fail the commit


def test_fmt_rewrites_in_place_and_then_passes(tree):
    root, staged = tree
    staged = [f for f in staged if f != "specs/bad.yaml"]
    status, out, changed, _ = run_hook("clockspec-fmt", root, staged)
    assert changed == ["specs/messy.yaml"]  # pre-commit fails the hook: a file was modified
    assert "reformatted specs/messy.yaml" in out
    status, out, changed, _ = run_hook("clockspec-fmt", root, staged)
    assert (status, changed) == (0, [])  # the second commit attempt passes
    before = subprocess.run([sys.executable, "-m", "clockspec.commands.main", "diff", str(ROOT / "tests/fixtures/diff/reformatted.yaml"),
                             "specs/messy.yaml"], cwd=root, capture_output=True, text=True, check=False)
    assert before.returncode == 0, before.stdout  # formatting changed no meaning
