"""Lion (Chen et al. 2023, Algorithm 2) on the stacked step: three steps against the algorithm
written out by hand, decoupled weight decay included; its batching is held with every other
optimizer kind's in test_every_kind_batches.py."""
import pytest
import torch
import torch.nn.functional as F

import clockspec
from stacks import member, stack_of, step

torch.set_num_threads(1)
SPEC = """\
name: lion
task: {kind: teacher, inputs: 6, classes: 3, rank: 2, train_size: 20, test_size: 10}
model: {kind: deep_linear, depth: 2, width: 5}
optimizer: {kind: lion, lr: 0.01, betas: [0.8, 0.95]}
regularizers: {weight_decay: {strength: 0.5}}
"""


def test_three_steps_of_lion_by_hand():
    spec = clockspec.loads(SPEC)
    stack = stack_of(spec)
    data = stack.data[0]
    w = [p.clone().requires_grad_() for p in member(stack).values()]
    m = [torch.zeros_like(p) for p in w]
    for t in range(3):
        step(stack, t)
        loss = F.cross_entropy(data.x_train @ w[0].T @ w[1].T, data.y_train)
        grads = torch.autograd.grad(loss, w)
        with torch.no_grad():
            for p, g, mom in zip(w, grads, m):
                p.mul_(1 - 0.01 * 0.5)  # decoupled decay first, as for every optimizer
                p.sub_(0.01 * torch.sign(0.8 * mom + 0.2 * g))
                mom.mul_(0.95).add_(0.05 * g)
    for mine, theirs in zip(member(stack).values(), w):
        torch.testing.assert_close(mine, theirs.detach(), atol=1e-12, rtol=0)


def test_lion_says_what_it_is():
    spec = clockspec.loads(SPEC)
    assert spec.optimizer.lr == 0.01 and clockspec.loads(SPEC.replace(", lr: 0.01, betas: [0.8, 0.95]", "")).optimizer.lr == pytest.approx(1e-4)
    from clockspec.compiler.explain import explain
    assert "lion at lr 0.01, betas (0.8, 0.95) (sign of the momentum)" in explain(spec.compile())
