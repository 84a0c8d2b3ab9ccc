"""Batched members: the same layers, the same updates, the same files as runs alone (to the bit:
rel 0; tests/runtime/test_one_trajectory.py compares the bytes)."""
import json

import pytest
import torch

import clockspec
from clockspec.compiler.batching import groups
from clockspec.runtime import run
from clockspec.runtime.batched import run_batch
from clockspec.runtime.models import build_model
from clockspec.runtime.tasks import build_task

torch.set_num_threads(1)

SPEC = """\
name: m{i}
seed: {seed}
task: {task}
model: {model}
regularizers: {{weight_decay: {{strength: {wd}}}}}
optimizer: {optimizer}
train: {{steps: {steps}, batch: {batch}, dtype: {dtype}}}
probes: {{every: 10, metrics: [{metrics}]}}
clocks:
  fit: first train_acc >= 0.9
{stop}"""
MODULAR = "{{kind: modular, op: add, modulus: 11, train_fraction: 0.6, split_seed: {split}}}"
EMBED = "{kind: embed_mlp, embed_dim: 8, hidden: [16]}"
# (seed, lr, weight decay, split seed) per member
VARIANTS = [(0, 0.01, 0.1, 0), (1, 0.03, 0.3, 0), (2, 0.003, 1.0, 1)]


def plans(model=EMBED, optimizer="{kind: adamw, lr: {lr}}", batch="full", dtype="float64", steps=40,
          metrics="weight_norm, pattern_flips, grad_ratio", stop="", variants=VARIANTS):
    out = []
    for i, (seed, lr, wd, split) in enumerate(variants):
        text = SPEC.format(i=i, seed=seed, task=MODULAR.format(split=split), model=model, wd=wd,
                           optimizer=optimizer.replace("{lr}", str(lr)), steps=steps, batch=batch,
                           dtype=dtype, metrics=metrics, stop=stop)
        out.append(clockspec.compile(clockspec.loads(text)))
    return out


def rows(result):
    return [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]


def assert_same_runs(alone, batched, rel):
    for a, b in zip(alone, batched):
        assert (a.status, a.step) == (b.status, b.step)
        assert {n: c.step for n, c in a.clocks.items()} == {n: c.step for n, c in b.clocks.items()}
        ra, rb = rows(a), rows(b)
        assert [r["step"] for r in ra] == [r["step"] for r in rb]
        for x, y in zip(ra, rb):
            assert x.keys() == y.keys()
            for key in x:
                if x[key] is None:
                    assert y[key] is None
                else:
                    assert y[key] == pytest.approx(x[key], rel=rel, abs=rel), (key, x["step"])
        for name in ("spec.lock.yaml", "plan.json", "clocks.json", "curves.png"):
            assert (b.run_dir / name).exists()
        status = json.loads((b.run_dir / "status.json").read_text())
        assert status["status"] == b.status and status["batch_size"] == len(batched)


@pytest.mark.parametrize("model, task_kind", [
    (EMBED, "modular"),
    ("{kind: embed_mlp, embed_dim: 8, combine: sum, hidden: [16, 8], activation: gelu}", "modular"),
    ("{kind: mlp, hidden: [16], bias: false}", "modular"),
    ("{kind: mlp, hidden: []}", "modular"),
    ("{kind: deep_linear, depth: 3, width: 8}", "modular"),
    ("{kind: mlp, hidden: [16, 16]}", "teacher"),
])
def test_the_stacked_forward_is_each_networks_forward(model, task_kind):
    task = ("{kind: teacher, inputs: 6, classes: 3, rank: 2, train_size: 20, test_size: 5}"
            if task_kind == "teacher" else MODULAR.format(split=0))
    specs = [clockspec.loads(f"name: n\nseed: {s}\ntask: {task}\nmodel: {model}\n") for s in range(3)]
    data = build_task(specs[0].task).to("cpu", torch.float64)
    nets = [build_model(s.model, data, s.seed, torch.float64) for s in specs]
    params = {name: torch.stack([dict(n.named_parameters())[name] for n in nets]) for name, _ in nets[0].named_parameters()}
    shared = nets[0].forward_stacked(params, data.x_train)
    own = nets[0].forward_stacked(params, torch.stack([data.x_train] * 3))
    for k, net in enumerate(nets):
        expected = net(data.x_train)
        torch.testing.assert_close(shared[k], expected)
        torch.testing.assert_close(own[k], expected)


@pytest.mark.parametrize("options, rel", [
    ({"optimizer": "{kind: adam, lr: {lr}, betas: [0.8, 0.99], schedule: cosine, warmup_steps: 10}"}, 0),
    ({"optimizer": "{kind: sgd, lr: {lr}, momentum: 0.9, nesterov: true}", "variants": VARIANTS[1:]}, 0),
    ({"batch": "16", "model": "{kind: mlp, hidden: [16]}", "metrics": "margin", "variants": VARIANTS[1:]}, 0),
    ({"dtype": "float32", "variants": VARIANTS[:2]}, 0),  # adamw
])
def test_batched_members_match_separate_runs(tmp_path, options, rel):
    members = plans(**options)
    alone = [run(p, out=tmp_path / "alone", progress=False) for p in members]
    batched = run_batch(members, out=tmp_path / "batched")
    assert_same_runs(alone, batched, rel)


def test_a_diverging_or_stopping_member_leaves_the_others_running(tmp_path):
    variants = [(0, 0.5, 0.0, 0), (1, 1e3, 0.0, 0), (2, 2.0, 0.0, 0)]
    members = plans(variants=variants, optimizer="{kind: sgd, lr: {lr}}", stop="stop: {after: [fit]}\n",
                    steps=200, metrics="weight_norm")
    alone = [run(p, out=tmp_path / "alone", progress=False) for p in members]
    batched = run_batch(members, out=tmp_path / "batched")
    assert batched[1].status == "diverged"
    assert {r.status for r in (batched[0], batched[2])} == {"complete"}
    assert batched[0].step != batched[2].step  # stopped by their own clocks
    assert_same_runs(alone, batched, 0)


def test_members_group_by_what_they_share():
    base = "name: g\ntask: {kind: modular, modulus: 11}\nmodel: {kind: mlp, hidden: [8]}\n"
    specs = [clockspec.loads(base + extra) for extra in (
        "seed: 1\noptimizer: {kind: adamw, lr: 0.1}\n",
        "seed: 2\nregularizers: {weight_decay: {strength: 0.5}}\n",
        "regularizers: {weight_decay: {strength: 0.1}}\nclocks: {fit: first train_acc >= 0.5}\n",
        "train: {steps: 5}\n",
        "regularizers: {weight_decay: {strength: 0.1, decoupled: false}}\n",
    )]
    assert groups(specs) == [[0], [1, 2], [3], [4]]  # a penalty (coupled decay) is another program
    assert groups(specs[1:3] * 3, size=4) == [[0, 1, 2, 3], [4, 5]]


@pytest.mark.slow
def test_figures_drawn_off_the_training_path_are_the_figures_drawn_in_line(tmp_path):
    members = plans(steps=30, stop="stop: {after: [fit]}\n")
    inline = run_batch(members, out=tmp_path / "inline")
    pooled = run_batch(members, out=tmp_path / "pooled", figure_workers=2)
    for a, b in zip(inline, pooled):
        for name in ("metrics.jsonl", "clocks.json", "curves.png"):
            assert (a.run_dir / name).read_bytes() == (b.run_dir / name).read_bytes(), name
        status = json.loads((b.run_dir / "status.json").read_text())
        assert status["status"] == b.status == a.status and status["step"] == a.step


def _metrics(result) -> bytes:
    return (result.run_dir / "metrics.jsonl").read_bytes()


def test_a_batched_member_is_extended_alone_on_its_own_trajectory(tmp_path):
    """A batch keeps each member's state at its last step (`final.pt`, as a run alone
    does), so a longer run of one member continues it instead of starting over."""
    minibatch = {"batch": "16", "model": "{kind: mlp, hidden: [16]}", "optimizer": "{kind: adam, lr: {lr}}",
                 "metrics": "margin", "variants": VARIANTS[1:]}
    short = run_batch(plans(steps=20, **minibatch), out=tmp_path / "b")
    assert all((r.run_dir / "final.pt").is_file() for r in short)
    for member in plans(steps=40, **minibatch):
        longer = run(member, out=tmp_path / "b", progress=False)
        assert longer.action == "extended" and "resumed steps 20..40" in longer.note, longer.note
        assert _metrics(longer) == _metrics(run(member, out=tmp_path / "scratch", progress=False))


def test_an_interrupted_batch_leaves_each_member_a_checkpoint_it_resumes_from_alone(tmp_path, monkeypatch):
    from tests.interrupts import ctrl_c_at

    members = plans(steps=40, batch="16", model="{kind: mlp, hidden: [16]}", metrics="margin")
    stop_pressing = ctrl_c_at(monkeypatch, 20)
    stopped = run_batch(members, out=tmp_path / "b")
    stop_pressing()
    assert [(r.status, r.step) for r in stopped] == [("interrupted", 21)] * 3
    assert all((r.run_dir / "checkpoint.pt").is_file() for r in stopped)
    for member in members:
        resumed = run(member, out=tmp_path / "b", resume=True, progress=False)
        assert resumed.action == "resumed" and resumed.status == "complete"
        assert _metrics(resumed) == _metrics(run(member, out=tmp_path / "alone", progress=False))
