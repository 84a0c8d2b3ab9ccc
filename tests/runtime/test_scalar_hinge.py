"""Barak et al. 2022's scalar hinge (issue 31): one output f(x), a +-1 target, max(0, 1 - y f);
the model is built with one output, accuracy and margin read its sign, and `check` refuses a
task it does not fit. Its batching is in test_every_kind_batches.py (loss-scalar_hinge)."""
from __future__ import annotations

import pytest
import torch

import clockspec
from clockspec.compiler.explain import explain
from clockspec.core.errors import SpecError
from clockspec.runtime.losses import scalar_hinge
from clockspec.runtime.metrics import accuracy, margins
from stacks import stack_of, step

SPEC = """\
name: barak
task: %s
model: {kind: mlp, hidden: [8]}
train: {steps: 10, loss: scalar_hinge}
probes: {every: 5}
"""
PARITY = "{kind: sparse_parity, bits: 6, relevant: 2, train_size: 16, test_size: 8}"


def test_the_loss_is_the_mean_hinge_of_signed_outputs():
    f = torch.tensor([[2.0], [0.5], [-0.25], [0.0]])
    labels = torch.tensor([1, 1, 1, 0])  # y = +1, +1, +1, -1
    assert scalar_hinge(f, labels).item() == pytest.approx((0 + 0.5 + 1.25 + 1) / 4)
    stacked = scalar_hinge(torch.stack([f, -f]), torch.stack([labels, labels]))
    assert stacked.tolist() == pytest.approx([(0 + 0.5 + 1.25 + 1) / 4, (3 + 1.5 + 0.75 + 1) / 4])


def test_one_output_predicts_class_one_where_it_is_positive():
    f, labels = torch.tensor([[2.0], [-1.0], [0.5], [-3.0]]), torch.tensor([1, 1, 0, 0])
    assert accuracy(f, labels).item() == 0.5
    assert margins(f, labels).tolist() == [2.0, -1.0, -0.5, 3.0]


def test_the_model_has_one_output_and_trains():
    spec = clockspec.loads(SPEC % PARITY)
    plan = spec.compile()
    assert plan.derived["output_dim"] == 1 and "-> 1," in explain(plan)
    stack = stack_of(spec)
    assert stack.models[0](stack.data[0].x_train).shape == (16, 1)
    before = stack.objective(0).item()
    for t in range(5):
        step(stack, t)
    assert stack.objective(5).item() < before


@pytest.mark.parametrize("task, says", [
    ("{kind: modular, modulus: 7}", "needs two classes; task 'modular' has 7"),
    ("{kind: regression}", "needs class labels"),
])
def test_a_task_without_two_classes_is_refused_at_the_loss(task, says):
    with pytest.raises(SpecError, match=rf"barak.yaml:4:\d+.*{says}"):
        clockspec.loads(SPEC % task, file="barak.yaml").compile()
