"""The family part of a diff: axes, members matched by content then name, the base file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import clockspec
from clockspec.commands.main import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "diff"
GOLDEN = ROOT / "tests" / "golden" / "diff"


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("md", "md")])
def test_family_golden(monkeypatch, capsys, golden, fmt, suffix):
    monkeypatch.chdir(ROOT)
    rel = Path("tests/fixtures/diff")
    assert main(["diff", str(rel / "family_a.yaml"), str(rel / "family_b.yaml"), "--format", fmt]) == 1
    golden(GOLDEN / f"family.{suffix}", capsys.readouterr().out)


def test_axes_and_members():
    d = clockspec.diff(FIXTURES / "family_a.yaml", FIXTURES / "family_b.yaml")
    f = d.family
    assert [(a.path, a.op) for a in f.axes] == [
        (("grid", "regularizers.weight_decay.strength"), "changed"), (("zip", "train.steps"), "added")]
    assert f.members_added == ["steps-30000_wd-3_seed-0", "steps-30000_wd-3_seed-1"]
    assert f.members_removed == []
    # train.steps 30000 is the base's value: the same four experiments under new names
    assert f.members_renamed["steps-30000_wd-1_seed-0"] == "wd-1_seed-0"
    assert set(f.members_kept.values()) == {"renamed"} and len(f.members_kept) == 4
    assert not f.base_changes


def test_apply_works_on_families():
    a, b = clockspec.load(FIXTURES / "family_a.yaml"), clockspec.load(FIXTURES / "family_b.yaml")
    assert clockspec.apply(a, clockspec.diff(a, b, impact=False)) == b


def test_an_edited_base_file_changes_the_family(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        shutil.copy(FIXTURES / "family_a.yaml", folder / "fam.yaml")
    shutil.copy(FIXTURES / "base.yaml", old / "base.yaml")
    (new / "base.yaml").write_text((FIXTURES / "base.yaml").read_text().replace("first train_loss <= 1e-2", "settle train_loss within 5%"))
    d = clockspec.diff(old / "fam.yaml", new / "fam.yaml")
    assert d.changes == [] and bool(d)  # the family file is the same, its experiments are not
    f = d.family
    assert [c.dotted for c in f.base_changes] == ["clocks.fit"]
    assert f.base_impact.verdict == "re-evaluate" and not f.base_listed
    assert set(f.members_kept.values()) == {"re-evaluate"} and len(f.members_kept) == 4
    text = d.format("text")
    assert "  base (base.yaml):\n    ~ clocks.fit:" in text
    assert text.rstrip().endswith("the family file is unchanged; base re-evaluate: clock fit (+1 downstream); members: 0 added, 0 removed, 4 re-evaluate")


def test_an_inline_base_lists_its_changes_once():
    data = clockspec.load(FIXTURES / "base.yaml").model_dump(mode="json", exclude_none=True)
    a = clockspec.Family.model_validate({"family": "f", "base": data, "vary": {"grid": {"seed": [0, 1]}}})
    b = a.model_copy(update={"base": a.base.model_copy(update={"seed": 5})})
    d = clockspec.diff(a, b)
    assert [c.dotted for c in d.changes] == ["base.seed"]
    assert d.family.base_listed and "  base (" not in d.format("text")
    # seed is varied: every member sets its own, so the base's seed reaches none of them
    assert set(d.family.members_kept.values()) == {"unchanged"}
