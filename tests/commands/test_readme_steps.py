"""The README's commands, run top to bottom in a scratch copy of the project (those that do
not train: `run`, `runs`, `compare`, `report` and a `diff` against git history are left out),
leave the shipped-spec tests green: what they write into `specs/` (the ablation) is a
valid spec of the user's own, which those tests check without counting it as shipped."""
from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

import shipped
from clockspec.commands.main import main

ROOT = Path(__file__).resolve().parents[2]
TRAINS = {"run", "runs", "compare", "report", "diff"}


def readme_commands() -> list[list[str]]:
    """The `clockspec ...` lines of the README's code blocks, less comments and `[optional]` parts."""
    out = []
    for line in (ROOT / "README.md").read_text().splitlines():
        text = line.strip()
        if not text.startswith("clockspec "):
            continue
        words, skipping = [], False
        for word in shlex.split(text, comments=True)[1:]:
            skipping = skipping or word.startswith("[")
            if not skipping:
                words.append(word)
            skipping = skipping and not word.endswith("]")
        out.append(words)
    return out


def test_the_readme_lists_the_commands_this_test_runs():
    names = [c[0] for c in readme_commands()]
    assert {"check", "ablate", "fmt", "convert", "schema", "expand"} <= set(names)


@pytest.mark.slow
def test_the_readmes_steps_leave_the_shipped_spec_tests_green(tmp_path, monkeypatch, capsys):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    ran = []
    for words in readme_commands():
        if words[0] not in TRAINS:
            assert main(words) == 0, words
            ran.append(words[0])
    assert "ablate" in ran and (tmp_path / "specs" / "quickstart_ablation.yaml").is_file()
    capsys.readouterr()
    # what tests/commands/test_directories.py asserts of specs/, on the scratch copy
    assert main(["check", str(tmp_path / "specs")]) == 0
    ok = {line.split(": ok (")[0] for line in capsys.readouterr().out.splitlines() if ": ok (" in line}
    assert {str(tmp_path / "specs" / name) for name in shipped.NAMES} <= ok
    assert str(tmp_path / "specs" / "quickstart_ablation.yaml") in ok
