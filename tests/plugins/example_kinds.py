"""The example plugin's kinds, tested in a process that has it installed: test_example_plugin.py
pip-installs it and runs this file with it on PYTHONPATH (its name is not `test_*`, so the suite
does not collect it alone, where every test here would have nothing to test).

- `signum`: three steps against Bernstein et al. 2018's Algorithm 1 written out by hand, and
  step for step equal to Lion with beta1 = beta2 (then both take the sign of the same average);
- `ntk_alignment`: against the tangent kernel built one gradient at a time;
- all four kinds (task, model, optimizer, metric) in one batch of three, whose middle member
  writes the metrics.jsonl of its solo run byte for byte."""
from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F

import clockspec
from clockspec.runtime import run
from clockspec.runtime.batched import run_batch
from stacks import member, stack_of, step

torch.set_num_threads(1)
LINEAR = """\
name: s
task: {kind: teacher, inputs: 6, classes: 3, rank: 2, train_size: 20, test_size: 10}
model: {kind: deep_linear, depth: 2, width: 5}
optimizer: OPTIMIZER
regularizers: {weight_decay: {strength: 0.5}}
"""
ALL_FOUR = """\
name: m
seed: SEED
task: {kind: sign_parity, inputs: 6, relevant: 2, train_size: 40, test_size: 16}
model: {kind: res_mlp, width: 8, depth: 2}
optimizer: {kind: signum, lr: LR, momentum: 0.8}
train: {steps: 24}
probes: {every: 8}
clocks: {aligned: first ntk_alignment >= 0.5}
"""


def test_three_steps_of_signum_by_hand():
    stack = stack_of(clockspec.loads(LINEAR.replace("OPTIMIZER", "{kind: signum, lr: 0.01, momentum: 0.8}")))
    data = stack.data[0]
    w = [p.clone().requires_grad_() for p in member(stack).values()]
    m = [torch.zeros_like(p) for p in w]
    for t in range(3):
        step(stack, t)
        grads = torch.autograd.grad(F.cross_entropy(data.x_train @ w[0].T @ w[1].T, data.y_train), w)
        with torch.no_grad():
            for p, g, mom in zip(w, grads, m):
                p.mul_(1 - 0.01 * 0.5)  # decoupled decay first, as for every optimizer
                mom.mul_(0.8).add_(0.2 * g)
                p.sub_(0.01 * torch.sign(mom))
    for mine, theirs in zip(member(stack).values(), w):
        torch.testing.assert_close(mine, theirs.detach(), atol=1e-12, rtol=0)


def test_signum_is_lion_with_equal_betas_bit_for_bit():
    signum = stack_of(clockspec.loads(LINEAR.replace("OPTIMIZER", "{kind: signum, lr: 0.01, momentum: 0.8}")))
    lion = stack_of(clockspec.loads(LINEAR.replace("OPTIMIZER", "{kind: lion, lr: 0.01, betas: [0.8, 0.8]}")))
    for t in range(4):
        step(signum, t)
        step(lion, t)
    for a, b in zip(member(signum).values(), member(lion).values()):
        assert torch.equal(a, b)


def test_ntk_alignment_is_the_centred_alignment_of_the_tangent_kernel_built_gradient_by_gradient():
    spec = clockspec.loads(LINEAR.replace("OPTIMIZER", "{kind: adamw}").replace(
        "deep_linear, depth: 2, width: 5", "res_mlp, width: 4, depth: 1") + "probes: {metrics: [ntk_alignment]}\n")
    stack = stack_of(spec)
    model, data = stack.models[0], stack.data[0]
    x, y = data.x_train, data.y_train  # 20 examples: fewer than the 32 the metric takes
    params = list(model.parameters())
    grads = [torch.cat([g.reshape(-1) for g in torch.autograd.grad(model(x[i:i + 1])[0, c], params)])
             for i in range(len(x)) for c in range(3)]
    jac = torch.stack(grads).double().reshape(len(x), 3, -1)
    kernel = torch.einsum("icp,jcp->ij", jac, jac)
    labels = F.one_hot(y, 3).double() @ F.one_hot(y, 3).double().T
    h = torch.eye(len(x), dtype=torch.float64) - 1 / len(x)
    kc, lc = h @ kernel @ h, h @ labels @ h
    expected = ((kc * lc).sum() / (kc.norm() * lc.norm())).item()
    value = stack.probers[0](0)["ntk_alignment"]
    assert 0.0 < value < 1.0
    assert abs(value - expected) < 1e-9


def test_all_four_plugin_kinds_in_a_batch_of_three_equal_their_solo_runs(tmp_path):
    plans = [clockspec.compile(clockspec.loads(ALL_FOUR.replace("SEED", str(i)).replace("LR", lr)))
             for i, lr in enumerate(["0.01", "0.01", "0.005"])]
    assert "ntk_alignment" in plans[1].metrics and plans[1].derived["execution"]["compiled"] is False
    batched = run_batch(plans, out=tmp_path / "batched")
    alone = run(plans[1], out=tmp_path / "alone", progress=False)
    assert alone.run_dir.name == batched[1].run_dir.name and alone.status == batched[1].status == "complete"
    metrics = (alone.run_dir / "metrics.jsonl").read_bytes()
    assert metrics == (batched[1].run_dir / "metrics.jsonl").read_bytes()
    values = [json.loads(row)["ntk_alignment"] for row in metrics.splitlines()]
    assert len(values) == 4 and all(np.isfinite(v) for v in values)
