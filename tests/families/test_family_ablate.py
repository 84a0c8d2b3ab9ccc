"""Auto-generated ablations: the axes of DOMAIN.md's ablation list, each valid around the base."""
import pytest

import clockspec
from clockspec.families.ablate import ablation
from clockspec.families.expand import expand
from clockspec.syntax.source import RawDoc
from clockspec.syntax.validate import validate

BASE = """\
name: abl
seed: 5
task: {kind: modular, op: add, modulus: 11, train_fraction: 0.5}
model: {kind: embed_mlp, embed_dim: 8, hidden: [16]}
regularizers: {weight_decay: {strength: 0.03}}
optimizer: {kind: adamw, lr: 0.001}
probes: {metrics: [pattern_flips]}
clocks:
  freeze: first pattern_flips <= 1e-3
"""


def family_of(tmp_path, text=BASE, **kw):
    (tmp_path / "base.yaml").write_text(text)
    spec = clockspec.load(tmp_path / "base.yaml")
    data, comments = ablation(spec, "base.yaml", **kw)
    return validate(RawDoc(data)), comments


def test_each_axis_around_the_base_crossed_with_seeds(tmp_path):
    fam, comments = family_of(tmp_path)
    axes = fam.vary.one_at_a_time
    assert axes == {
        "regularizers.weight_decay": [None],
        "regularizers.weight_decay.strength": [0.01, 0.09],
        "optimizer.lr": [0.0003, 0.003],
        "model.init_scale": [0.5, 2.0],
        "model.hidden": [[16, 16], [8], [32]],
        "model.embed_dim": [4, 16],
        "task.train_fraction": [0.3, 0.7],
    }
    assert fam.vary.grid == {"seed": [5, 6, 7]}
    assert "model.activation" not in axes  # gelu has no on/off pattern for the freeze clock
    members = expand(fam, base_dir=tmp_path)
    assert len(members) == (1 + 14) * 3
    assert members[0].name == "seed-5" and members[3].name == "wd-off_seed-5"


def test_left_out_values_are_explained(tmp_path):
    _, comments = family_of(tmp_path)
    assert comments[("vary", "one_at_a_time")] == [
        " model.activation: base relu; swapped",
        " model.activation: left out gelu: clocks.freeze: clock 'freeze' watches 'pattern_flips', which cannot "
        "be measured here: needs a ReLU model, not embed_mlp with gelu"]
    assert comments[("vary", "one_at_a_time", "optimizer.lr")] == [" base 1e-3; x1/3 and x3"]


def test_only_restricts_the_axes_and_refuses_unknown_ones(tmp_path):
    fam, _ = family_of(tmp_path, only=["regularizers", "optimizer.lr"], seeds=1)
    assert list(fam.vary.one_at_a_time) == ["regularizers.weight_decay", "regularizers.weight_decay.strength",
                                            "optimizer.lr"]
    assert fam.vary.grid is None
    with pytest.raises(clockspec.SpecError, match="matches no ablation axis"):
        family_of(tmp_path, only=["optimizer.lrr"])


def test_deep_linear_steps_depth_and_width(tmp_path):
    text = ("name: dl\ntask: {kind: teacher, inputs: 8, classes: 4, rank: 2, train_size: 64}\n"
            "model: {kind: deep_linear, depth: 2, width: 16}\n")
    fam, _ = family_of(tmp_path, text=text, seeds=2)
    axes = fam.vary.one_at_a_time
    assert axes["model.depth"] == [3] and axes["model.width"] == [8, 32]
    assert axes["task.train_size"] == [32, 128] and "regularizers.weight_decay" not in axes


def test_the_command_writes_a_family_that_expands(tmp_path, monkeypatch, capsys):
    """The command's plumbing (base path relative to the output, validation, preview count),
    with JSON standing in for the canonical printer (JSON is YAML)."""
    import json

    from clockspec.commands.main import main

    monkeypatch.setattr(clockspec, "dumps", lambda spec, syntax, comments=None: json.dumps(
        spec.model_dump(mode="json", exclude_none=True)), raising=False)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "base.yaml").write_text(BASE)
    out = tmp_path / "families" / "abl.yaml"
    assert main(["ablate", str(tmp_path / "specs" / "base.yaml"), "-o", str(out), "--seeds", "2",
                 "--only", "optimizer"]) == 0
    assert "abl-ablation: 6 members" in capsys.readouterr().err
    family = clockspec.load(out)
    assert family.base == "../specs/base.yaml"
    assert [m.name for m in expand(out)] == ["seed-5", "seed-6", "lr-3e-4_seed-5", "lr-3e-4_seed-6",
                                             "lr-3e-3_seed-5", "lr-3e-3_seed-6"]
    assert main(["ablate", str(tmp_path / "specs" / "base.yaml"), "--seeds", "0"]) == 2
