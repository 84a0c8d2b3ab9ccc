"""The diff on chosen edits: golden outputs, the impact class of single-field edits, the CLI.

Golden files: tests/golden/diff/; regenerate with `CLOCKSPEC_REGEN=1 python -m pytest -q tests/diff`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import clockspec
from clockspec.commands.main import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path("tests/fixtures/diff")  # relative, so the outputs name files as a reviewer types them
GOLDEN = ROOT / "tests" / "golden" / "diff"
CASES = ["reformatted", "retrain", "reevaluate", "cosmetic", "noeffect"]


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("fmt", ["text", "md"])
@pytest.mark.parametrize("case", CASES)
def test_golden_output(in_root, capsys, golden, case, fmt):
    code = main(["diff", str(FIXTURES / "base.yaml"), str(FIXTURES / f"{case}.yaml"), "--format", fmt])
    out = capsys.readouterr().out
    assert code == (0 if case == "reformatted" else 1)
    golden(GOLDEN / f"{case}.{'txt' if fmt == 'text' else 'md'}", out)


def test_json_output_is_the_library_result(in_root, capsys):
    assert main(["diff", str(FIXTURES / "base.yaml"), str(FIXTURES / "retrain.yaml"), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    d = clockspec.diff(FIXTURES / "base.yaml", FIXTURES / "retrain.yaml")
    assert out["changes"] == [c.to_json() for c in d.changes]
    assert out["impact"]["verdict"] == "retrain"
    assert out["summary"] == d.summary()
    assert [c["dotted"] for c in out["changes"]] == [
        "model.hidden", "regularizers.weight_decay.strength", "clocks.fit", "clocks.freeze"]


def test_changes_are_at_the_finest_meaningful_level():
    d = clockspec.diff(FIXTURES / "base.yaml", FIXTURES / "retrain.yaml", impact=False)
    assert d.changes == [
        clockspec.Change(("model", "hidden"), "changed", [256], [256, 256]),  # a list is one value
        clockspec.Change(("regularizers", "weight_decay", "strength"), "changed", 1.0, 0.5),
        clockspec.Change(("clocks", "fit"), "changed", "first train_loss <= 0.01", "first train_loss <= 1e-3"),
        clockspec.Change(("clocks", "freeze"), "added", None, "first pattern_flips <= 1e-3 for 500 steps"),
    ]


BASE = yaml.safe_load((ROOT / FIXTURES / "base.yaml").read_text())


def edited(path: str, value):
    data = json.loads(json.dumps(BASE))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(last)
    else:
        node[last] = value
    return clockspec.loads(yaml.safe_dump(data))


# (edit, value, verdict, the nodes changed directly: their own part of the spec changed)
IMPACT = [
    ("clocks.fit", "first train_loss <= 1e-3", "re-evaluate", {"clock:fit"}),
    ("clocks.simplify", "settle weight_norm within 2%", "re-evaluate", {"clock:simplify"}),
    ("clocks.fit", None, "re-evaluate", {"clock:fit"}),
    ("clocks.late", "first test_loss <= 0.1", "re-evaluate", {"clock:late"}),  # test_loss is recorded anyway
    ("clocks.generalize", "first test_acc >= 0.95", "retrain", {"train", "clock:generalize"}),  # stop waits for it
    ("clocks.rank", "first effective_rank <= 3", "retrain", {"train", "probe:effective_rank", "clock:rank"}),
    ("regularizers.weight_decay.strength", 0.5, "retrain", {"objective"}),
    ("regularizers.weight_decay", None, "retrain", {"objective"}),
    ("train.loss", "mse", "retrain", {"objective"}),
    ("seed", 1, "retrain", {"init"}),
    ("task.train_fraction", 0.5, "retrain", {"split"}),
    ("task.op", "sub", "retrain", {"data"}),
    ("model.hidden", [512], "retrain", {"model"}),
    ("model.init_scale", 0.5, "retrain", {"init"}),
    ("optimizer.lr", 3e-3, "retrain", {"optimizer"}),
    ("train.steps", 20000, "retrain", {"train"}),
    ("probes.every", 100, "retrain", {"train"}),
    ("probes.metrics", ["grad_ratio"], "retrain", {"train", "probe:grad_ratio"}),
    ("stop.after", [], "retrain", {"train"}),
    ("device", "cpu", "retrain", {"train"}),
    ("name", "renamed", "cosmetic", {"report"}),
    ("description", "the classic grokking run", "cosmetic", {"report"}),
    ("tags", ["grokking", "relu"], "cosmetic", {"report"}),
    ("probes.points", 7, "none", set()),  # read by the log schedule only
    ("probes.flip_band", 1e-5, "none", set()),  # pattern_flips is not recorded
]


@pytest.mark.parametrize("path,value,verdict,direct", IMPACT, ids=[f"{p}={v}" for p, v, _, _ in IMPACT])
def test_impact_class_of_a_single_edit(path, value, verdict, direct):
    a = clockspec.load(ROOT / FIXTURES / "base.yaml")
    d = clockspec.diff(a, edited(path, value))
    assert [c.dotted for c in d.changes] == [path]
    assert d.impact.verdict == verdict
    assert {n.id for n in d.impact.nodes if n.direct} == direct
    if verdict == "none":
        assert d.impact.no_effect == [path]
    if verdict == "re-evaluate":  # the recorded run stays valid
        assert d.impact.train_hash[0] == d.impact.train_hash[1]


def test_spelling_out_a_default_is_no_change():
    a = clockspec.load(ROOT / FIXTURES / "base.yaml")
    for path, value in [("optimizer.eps", 1e-8), ("task.split_seed", 0), ("model.combine", "concat")]:
        assert not clockspec.diff(a, edited(path, value))


def test_clock_order_in_the_spec_is_no_change():
    """A clock listed before the clock it runs after: same IR meaning, same hashes."""
    first = edited("clocks.late", "first test_loss <= 0.1 after generalize")
    data = first.model_dump(mode="json", exclude_none=True)
    data["clocks"] = dict(reversed(list(data["clocks"].items())))
    d = clockspec.diff(first, clockspec.loads(yaml.safe_dump(data, sort_keys=False)))
    assert not d and not d.impact.nodes


def test_a_changed_model_kind_is_one_change_of_the_whole_part():
    a = clockspec.load(ROOT / FIXTURES / "base.yaml")
    b = edited("model", {"kind": "mlp", "hidden": [256]})
    (change,) = clockspec.diff(a, b, impact=False).changes
    assert change.path == ("model",) and change.old["kind"] == "embed_mlp" and change.new["kind"] == "mlp"


def test_bad_spec_is_a_positioned_error(in_root, capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / FIXTURES / "base.yaml").read_text().replace("modulus: 97", "modulos: 97"))
    assert main(["diff", str(FIXTURES / "base.yaml"), str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:6:32: error: unknown key 'modulos' in task" in err


def test_missing_file_is_an_error(in_root, capsys):
    assert main(["diff", str(FIXTURES / "base.yaml"), "nowhere.yaml"]) == 2
    assert "nowhere.yaml:1:1: error: no such file" in capsys.readouterr().err
