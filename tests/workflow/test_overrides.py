"""`--set` and `--grid`: parsing, errors at the argument (golden), and an override equal to
the edited file (same IR, same train hash)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clockspec import compile, load
from clockspec.commands.main import main
from clockspec.core.errors import SpecError
from clockspec.families.adhoc import grid_family, with_overrides
from clockspec.families.expand import expand_family
from clockspec.syntax.overrides import GRID, parse_all, parse_override
from clockspec.syntax.yaml_front import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "specs" / "quickstart.yaml"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "workflow" / "override_errors.txt"

BAD = [
    ["optimizer.lerning_rate=1e-3"],
    ["optimizer.lr=abc"],
    ["optimizer.lr=-1"],
    ["model.hidden=[64, x]"],
    ["model.depth=3"],
    ["optimizer={kind: sgd, lrr: 1}"],
    ["seed=[1"],
    ["seed"],
    ["seed="],
    ["=3"],
    ["seed=1", "seed=2"],
    ["name=x", "train.steps=0"],
    ["stop.after=[nothing]"],
    ["clocks.generalize=null"],
    ["clockspec=2"],
    ["model.hidden.width=3"],
    ["seed=1\nname: x"],
]


def _set(path: Path, *sets: str):
    return with_overrides(load(path), parse_all(list(sets)))


def test_error_messages_point_at_the_argument(golden):
    out = []
    for sets in BAD:
        with pytest.raises(SpecError) as exc:
            _set(QUICK, *sets)
        out.append("$ --set " + " --set ".join(repr(s) for s in sets))
        out += [d.format() for d in exc.value.diagnostics]
    golden(GOLDEN, "\n".join(out) + "\n")


def test_an_override_equals_the_edited_file(tmp_path):
    text = QUICK.read_text()
    edited = tmp_path / "edited.yaml"
    edits = [("lr: 3e-3", "lr: 1.0e-2"), ("kind: embed_mlp\n", "kind: embed_mlp\n  hidden: [64, 64]\n"),
             ("    strength: 1.0\n", "    strength: 0.3\n"), ("first train_loss <= 0.01", "first train_loss <= 1e-3")]
    for old, new in edits:
        assert text.count(old) == 1, old  # the shipped spec still reads this way
        text = text.replace(old, new)
    edited.write_text(text)
    want = load(edited)
    got = _set(QUICK, "optimizer.lr=1e-2", "model.hidden=[64, 64]", "regularizers.weight_decay.strength=0.3",
               "clocks.fit.value=1e-3")
    assert got == want
    assert compile(got).train_hash == compile(want).train_hash
    assert [n.hash for n in compile(got).nodes.values()] == [n.hash for n in compile(want).nodes.values()]


def test_null_removes_a_part_and_a_later_set_rebuilds_it():
    off = _set(QUICK, "regularizers.weight_decay=null")
    assert off.regularizers.weight_decay is None
    assert _set(QUICK, "clocks.fit=null").clocks.keys() == {"memorize", "generalize", "simplify", "freeze"}
    clk = _set(ROOT / "specs" / "modadd.clk", "seed=7")
    assert clk == _set(ROOT / "specs" / "modadd.yaml", "seed=7")


def test_a_set_on_a_family_edits_its_base():
    fam = _set(ROOT / "specs" / "wd_family.yaml", "train.steps=2000", "seed=5", "optimizer.lr=2e-3")
    members = expand_family(fam).members
    assert len(members) == 15 and all(m.spec.train.steps == 2000 and m.spec.optimizer.lr == 2e-3 for m in members)
    assert {m.spec.seed for m in members} == {0, 1, 2}  # the family's own axis wins over the base


def test_a_grid_is_a_family_named_after_spec_and_axes():
    fam = grid_family(load(QUICK), parse_all(["optimizer.lr=1e-3,1e-2", "model.hidden=[64],[32, 32]"], GRID))
    assert fam.family == "quickstart-grid-lr-hidden"
    exp = expand_family(fam)
    assert [m.name for m in exp.members] == ["lr-1e-3_hidden-64", "lr-1e-3_hidden-32x32",
                                             "lr-0p01_hidden-64", "lr-0p01_hidden-32x32"]
    assert exp.members[3].spec.model.hidden == [32, 32]
    with pytest.raises(SpecError) as exc:
        expand_family(grid_family(load(QUICK), parse_all(["seed=0,1", "optimizer.lr=1e-3,-2"], GRID)))
    assert exc.value.diagnostics[0].format().startswith("--grid:2:19: error: ")


def test_the_cli_reports_a_bad_override_with_exit_2(capsys):
    assert main(["compile", str(QUICK), "--set", "optimizer.lr=x"]) == 2
    assert capsys.readouterr().err.startswith("--set:1:14: error: optimizer.lr: expected a number")
    assert main(["check", str(QUICK), "--set", "seed=3"]) == 0
    assert main(["diff", str(QUICK), "--set", "seed=3", "--no-impact"]) == 1
    assert "~ seed: 0 -> 3" in capsys.readouterr().out
    assert main(["run", str(ROOT / "specs" / "wd_family.yaml"), "--grid", "seed=1,2"]) == 2
    assert "is a family already" in capsys.readouterr().err


SCALARS = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                    st.none(), st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def _flow(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return {None: "null", True: "true", False: "false"}.get(value, str(value)) if not isinstance(value, float) \
        else repr(value)


@given(VALUES)
def test_values_read_as_a_spec_file_reads_them(value):
    text = _flow(value)
    assert parse_override(f"model.hidden={text}").value == parse_yaml(f"v: {text}\n").data["v"]


@given(st.text(min_size=1, max_size=30))
def test_any_argument_is_read_or_refused_with_a_position(text):
    try:
        parse_override(text)
    except SpecError as exc:
        assert all(d.file == "--set" and d.line == 1 and d.col >= 1 for d in exc.diagnostics)
