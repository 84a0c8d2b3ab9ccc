"""The messages a newcomer meets first: a key in the wrong block names the block that has it,
another field's word for a name suggests clockspec's, a file left mid-merge is said to be one."""
from __future__ import annotations

import pytest

from clockspec.commands.main import main
from clockspec.core.errors import did_you_mean

HEAD = "name: x\ntask: {kind: modular, modulus: 11}\nmodel: {kind: embed_mlp}\n"


def check(tmp_path, capsys, text: str, name: str = "spec.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    assert main(["check", str(path)]) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("line, says", [
    ("modulus: 7", "unknown key 'modulus' at the top level\n  hint: 'modulus' belongs inside task:"),
    ("lr: 0.1", "unknown key 'lr' at the top level\n  hint: 'lr' belongs inside optimizer:"),
    ("every: 10", "hint: 'every' belongs inside probes:"),
    ("optimizer: {kind: adamw, learning_rate: 0.1}", "unknown key 'learning_rate' in optimizer\n  hint: did you mean 'lr'?"),
    ("clocks: {a: first val_acc >= 0.5}", "unknown metric 'val_acc'\n  hint: did you mean 'test_acc'?"),
    ("probes: {metrics: [validation_loss]}", "hint: did you mean 'test_loss'?"),
])
def test_a_misplaced_or_foreign_name_gets_the_right_suggestion(tmp_path, capsys, line, says):
    assert says in check(tmp_path, capsys, HEAD + line + "\n")


def test_synonyms_come_before_near_spellings():
    assert did_you_mean("val_acc", ["train_acc", "test_acc"]) == "did you mean 'test_acc'?"
    assert did_you_mean("trian_acc", ["train_acc", "test_acc"]) == "did you mean 'train_acc'?"
    assert did_you_mean("val_acc", ["train_acc"]) == "did you mean 'train_acc'?"  # no synonym among the choices


@pytest.mark.parametrize("name, text", [
    ("spec.yaml", "name: x\n<<<<<<< HEAD\nseed: 1\n=======\nseed: 2\n>>>>>>> theirs\n" + HEAD[8:]),
    ("spec.clk", "experiment x {\n<<<<<<< HEAD\n  seed = 1\n=======\n  seed = 2\n>>>>>>> theirs\n}\n"),
])
def test_git_conflict_markers_are_a_merge_conflict(tmp_path, capsys, name, text):
    err = check(tmp_path, capsys, text, name)
    assert err.startswith(f"{tmp_path / name}:2:1: error: unresolved merge conflict")
    assert len(err.splitlines()) == 2


def test_a_line_of_equals_signs_alone_is_no_conflict(tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + "description: |\n  =======\n  a heading\n")
    assert main(["check", str(path)]) == 0


def test_the_documented_textconv_shows_a_value_set_to_its_default_as_a_change(tmp_path, capsys):
    """docs/language.md's `git config diff.clockspec.textconv` command, run on a spec before
    and after its lr is set to the default: the lr line changes, the block stays."""
    import re
    import shlex
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text()
    (command,) = re.findall(r'git config diff\.clockspec\.textconv "clockspec ([^"]+)"', doc)
    views = []
    for lr in ("0.01", "0.001"):
        path = tmp_path / "spec.yaml"
        path.write_text(HEAD + f"optimizer: {{kind: adamw, lr: {lr}}}\n")
        assert main([*shlex.split(command), str(path)]) == 0
        views.append(capsys.readouterr().out.splitlines())
    before, after = views
    assert [line for line in before if line not in after] == ["  lr: 0.01"]
    assert [line for line in after if line not in before] == ["  lr: 1e-3"]
