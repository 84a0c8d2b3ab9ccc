"""The plan's FLOPs are what torch computes: the stacked step and a probe's forward, counted by torch.utils.flop_counter.FlopCounterMode.

Tolerance: none. Both count products only (matmuls, 2 FLOPs per multiply-add); gathers,
adds, activations, the loss and the optimizer are free to both, so the counts are equal.
"""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import clockspec
from clockspec.runtime.models import build_model
from clockspec.runtime.stacked import Stacked
from clockspec.runtime.tasks import build_task

MODULAR = "{kind: modular, modulus: 23, train_fraction: 0.5}"
TEACHER = "{kind: teacher, inputs: 20, classes: 5, train_size: 200, test_size: 100}"
CASES = {  # name: (task, model, extra), and the first layer each one's execution names
    "embed_mlp concat": (MODULAR, "{kind: embed_mlp, embed_dim: 16, hidden: [32]}", ""),
    "embed_mlp sum": (MODULAR, "{kind: embed_mlp, embed_dim: 16, combine: sum, hidden: [32, 24]}", ""),
    "mlp on tokens": (MODULAR, "{kind: mlp, hidden: [32]}", ""),
    "mlp on dense inputs": (TEACHER, "{kind: mlp, hidden: [32]}", ""),
    "deep_linear": (TEACHER, "{kind: deep_linear, depth: 3, width: 16}", ""),
    "deep_linear on tokens": (MODULAR, "{kind: deep_linear, depth: 3, width: 16}", ""),
    "embed_mlp with snapshots": (MODULAR, "{kind: embed_mlp, embed_dim: 16, hidden: [32]}",
                                 "snapshots: {every: 100}\n"),
    "minibatch": (MODULAR, "{kind: embed_mlp, embed_dim: 16, hidden: [32]}", "train: {steps: 1000, batch: 64}\n"),
}
FIRST_LAYER = {"embed_mlp concat": "projection_gather", "embed_mlp sum": "projection_gather",
               "mlp on tokens": "column_gather", "mlp on dense inputs": "dense", "deep_linear": "dense",
               "deep_linear on tokens": "column_gather", "embed_mlp with snapshots": "projection_gather",
               "minibatch": "projection_gather"}


def plan_of(case: str):
    task, model, extra = CASES[case]
    train = "" if "train:" in extra else "train: {steps: 1000}\n"
    return clockspec.loads(f"name: cost\ntask: {task}\nmodel: {model}\n{train}{extra}").compile()


@pytest.mark.parametrize("case", CASES)
def test_flops_per_step_are_the_steps_torch_runs(case):
    plan = plan_of(case)
    assert plan.derived["execution"]["first_layer"] == FIRST_LAYER[case]
    step = Stacked([plan], torch.device("cpu"), torch.float32)
    with FlopCounterMode(display=False) as counter:
        step.objective(0)
        step.backward()
    assert plan.derived["flops_per_step"] == counter.get_total_flops()


@pytest.mark.parametrize("case", CASES)
def test_flops_per_probe_are_a_forward_of_the_members_module(case):
    plan = plan_of(case)
    data = build_task(plan.spec.task).to(torch.device("cpu"), torch.float32)
    net = build_model(plan.spec.model, data, 0, torch.float32)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.cat([data.x_train, data.x_test]))
    assert plan.derived["flops_per_probe"] == counter.get_total_flops()


def test_a_gathered_first_layer_costs_the_same_whatever_the_batch():
    """The tables are made from the p token values once per step: only the head grows with n."""
    full, mini = plan_of("embed_mlp concat").derived, plan_of("minibatch").derived
    tables = 6 * 23 * 32 * 32  # p x 2d x h, 3 passes of 2 FLOPs
    head = 6 * 32 * 23  # per example
    assert (full["flops_per_step"], mini["flops_per_step"]) == (tables + full["batch_size"] * head, tables + 64 * head)
