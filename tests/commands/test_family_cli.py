"""The family commands end to end: expand's table and list, the example families, errors."""
from pathlib import Path

import pytest

import clockspec
import shipped
from clockspec.commands.main import main

SPECS = Path(__file__).resolve().parents[2] / "specs"
FAMILIES = [p for p in shipped.ALL if p.suffix == ".yaml" and shipped.is_family(p)]


@pytest.mark.parametrize("path", FAMILIES, ids=lambda p: str(p.relative_to(SPECS)))
def test_example_families_expand(path):
    members = clockspec.expand(path)
    assert len(members) >= 2 and len({m.name for m in members}) == len(members)


def test_the_weight_decay_family_has_off_and_three_strengths_by_three_seeds():
    members = clockspec.expand(SPECS / "quickstart_wd.yaml")
    assert [m.name for m in members][-4:] == ["wd_strength-3_seed-2", "wd-off_seed-0", "wd-off_seed-1",
                                              "wd-off_seed-2"]
    assert len(members) == 12 and members[-1].spec.regularizers.weight_decay is None


def test_expand_prints_what_varies_and_the_members(capsys):
    assert main(["expand", str(SPECS / "quickstart_wd.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "family quickstart-wd: 12 members (18 combinations: 6 duplicates merged)"
    assert "  wd_strength  regularizers.weight_decay.strength  0.3, 1, 3, off" in out
    assert "12  wd-off_seed-2           off  off          2" in out


def test_expand_list_and_errors(capsys, tmp_path):
    assert main(["expand", "--list", str(SPECS / "deep_linear_depth.yaml")]) == 0
    assert capsys.readouterr().out.split()[:2] == ["depth-2_seed-0", "depth-2_seed-1"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("family: bad\nbase: nowhere.yaml\nvary:\n  grid:\n    seed: [0]\n")
    assert main(["expand", str(bad)]) == 2
    assert f"{bad}:2:7: error: base 'nowhere.yaml' not found" in capsys.readouterr().err
