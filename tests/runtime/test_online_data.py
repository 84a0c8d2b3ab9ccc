"""Online data (issue 31): an online task trains each step on fresh examples drawn by (seed,
step), so a resumed run and a batch member draw what the uninterrupted run alone draws (the
batch test is in test_every_kind_batches.py); the fixed sets stay as they were."""
from __future__ import annotations

import pytest
import torch

import clockspec
from clockspec.core.errors import SpecError
from clockspec.runtime import run
from clockspec.runtime.tasks import build_task, online_batch
from interrupts import cut_and_resume
from stacks import stack_of

torch.set_num_threads(1)

PARITY = "{kind: sparse_parity, bits: 8, relevant: 3, train_size: 32, test_size: 16%s}"
SPEC = """\
name: online
task: %s
model: {kind: mlp, hidden: [16]}
optimizer: {kind: sgd, lr: 0.1}
train: {steps: 40, batch: 8%s}
probes: {every: 10, metrics: [train_loss, test_loss]}
"""


def load(task: str = PARITY % ", online: true", loss: str = ""):
    return clockspec.loads(SPEC % (task, loss))


@pytest.mark.parametrize("task, loss", [
    (PARITY, ""),
    ("{kind: teacher, inputs: 8, classes: 3, rank: 2, train_size: 32, test_size: 16%s}", ""),
    ("{kind: regression, inputs: 8, train_size: 32, test_size: 16%s}", ", loss: mse"),
])
def test_steps_draw_fresh_examples_and_the_fixed_sets_stay(task, loss):
    fixed, fresh = build_task(load(task % "", loss).task), build_task(load(task % ", online: true", loss).task)
    for a, b in [(fixed.x_train, fresh.x_train), (fixed.y_train, fresh.y_train), (fixed.x_test, fresh.x_test)]:
        assert torch.equal(a, b)
    assert fixed.draw is None
    first, again, second = (online_batch(fresh, 8, 0, t) for t in (5, 5, 6))
    assert torch.equal(first[0], again[0]) and not torch.equal(first[0], second[0])
    assert first[0].shape == (8, 8) and not any(torch.equal(first[0][0], x) for x in fresh.x_train)


def test_a_stack_trains_on_the_fresh_batch_of_its_seed_and_step():
    stack = stack_of(load())
    x, y = stack._inputs(7)
    drawn = online_batch(stack.data[0], 8, 0, 7)
    assert torch.equal(x[0], drawn[0]) and torch.equal(y[0], drawn[1])


def test_a_resumed_online_run_writes_the_uninterrupted_bytes(tmp_path, monkeypatch):
    plan = load().compile()
    whole = run(plan, out=tmp_path / "whole", progress=False)
    cut, resumed = cut_and_resume(plan, tmp_path / "cut", monkeypatch)
    assert (cut.status, resumed.status) == ("interrupted", "complete")
    assert (resumed.run_dir / "metrics.jsonl").read_bytes() == (whole.run_dir / "metrics.jsonl").read_bytes()


def test_online_changes_the_data_node_and_false_is_absent():
    absent, false, true = (load(PARITY % extra).compile() for extra in ("", ", online: false", ", online: true"))
    assert absent.train_hash == false.train_hash != true.train_hash
    assert "online" not in absent.nodes[next(n for n in absent.nodes if str(n) == "data")].data


def test_online_with_label_noise_is_refused_at_the_field():
    with pytest.raises(SpecError, match=r"2:\d+.*label_noise replaces labels of the fixed training set"):
        load(PARITY % ", online: true, label_noise: {fraction: 0.1}")
