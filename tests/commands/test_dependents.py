"""`clockspec check --dependents FILES`: the families whose base is among FILES are checked too."""
import os
import shutil

import pytest

import shipped
from clockspec.commands.dependents import families_based_on
from clockspec.commands.main import main

FAMILY = "clockspec: 1\nfamily: {name}\nbase: {base}\nvary:\n  grid:\n    task.train_fraction: [0.3, 0.5]\n"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """base.yaml; fam.yaml and sub/up.yaml based on it; other.yaml on another base; noise."""
    shutil.copy(shipped.SPECS_DIR / "quickstart.yaml", tmp_path / "base.yaml")
    shutil.copy(shipped.SPECS_DIR / "modadd.yaml", tmp_path / "modadd.yaml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "fam.yaml").write_text(FAMILY.format(name="fam", base="base.yaml"))
    (tmp_path / "sub" / "up.yaml").write_text(FAMILY.format(name="up", base="../base.yaml"))
    (tmp_path / "other.yaml").write_text(FAMILY.format(name="other", base="modadd.yaml"))
    (tmp_path / "broken.yaml").write_text("family: [\nbase: base.yaml\n")
    (tmp_path / "compose.yml").write_text("services: {db: {image: postgres}}\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_families_whose_base_changed_are_found_by_the_resolved_path(tree):
    assert families_based_on(["base.yaml"]) == ["fam.yaml", os.path.join("sub", "up.yaml")]
    assert families_based_on([str(tree / "modadd.yaml")]) == ["other.yaml"]
    assert families_based_on(["fam.yaml", "base.yaml"]) == [os.path.join("sub", "up.yaml")]  # fam.yaml as given
    assert families_based_on(["compose.yml", "missing.yaml"]) == []


def test_a_base_change_that_breaks_an_untouched_family_fails_the_check(tree, capsys):
    shutil.copy(shipped.SPECS_DIR / "deep_linear.yaml", tree / "base.yaml")  # valid, but has no train_fraction
    assert main(["check", "--quiet", "base.yaml"]) == 0
    capsys.readouterr()
    assert main(["check", "--quiet", "--dependents", "base.yaml"]) == 2
    err = capsys.readouterr().err
    assert "fam.yaml:6:27: error: " in err and "unknown key 'train_fraction' in task" in err
    assert os.path.join("sub", "up.yaml") + ":6:27: error: " in err and "other.yaml" not in err


def test_dependents_that_hold_are_reported_ok(tree, capsys):
    assert main(["check", "--dependents", "base.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["base.yaml: ok (experiment quickstart)", "fam.yaml: ok (family fam)",
                                f"{os.path.join('sub', 'up.yaml')}: ok (family up)"]


def test_a_broken_base_is_reported_once_and_each_family_named(tree, capsys):
    (tree / "base.yaml").write_text((tree / "base.yaml").read_text().replace("  kind: adamw", "  kind: adamw\n  lrr: 1"))
    assert main(["check", "--quiet", "--dependents", "base.yaml"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert sum("unknown key 'lrr'" in line for line in err) == 1
    assert "fam.yaml: error: fails through its base base.yaml, whose errors are above" in err
    assert any(line.startswith(os.path.join("sub", "up.yaml") + ": error: fails through its base") for line in err)
