"""⊥Grad (Prieto et al. 2025) on the stacked step: three steps against the projection written
out by hand, rescaled and bare; its batching is held in test_every_kind_batches.py."""
import pytest
import torch
import torch.nn.functional as F

import clockspec
from clockspec.compiler.explain import explain
from stacks import member, stack_of, step

torch.set_num_threads(1)
SPEC = """\
name: perp
task: {kind: teacher, inputs: 6, classes: 3, rank: 2, train_size: 20, test_size: 10}
model: {kind: deep_linear, depth: 2, width: 5}
optimizer: {kind: sgd, lr: 0.1, perp_grad: %s}
"""


@pytest.mark.parametrize("rescale", [True, False])
def test_three_steps_of_perp_grad_by_hand(rescale):
    spec = clockspec.loads(SPEC % f"{{rescale: {str(rescale).lower()}}}")
    stack = stack_of(spec)
    data = stack.data[0]
    w = [p.clone().requires_grad_() for p in member(stack).values()]
    for t in range(3):
        step(stack, t)
        grads = torch.autograd.grad(F.cross_entropy(data.x_train @ w[0].T @ w[1].T, data.y_train), w)
        with torch.no_grad():
            for p, g in zip(w, grads):
                perp = g - (p * g).sum() / (p * p).sum() * p
                assert abs(float((perp * p).sum())) < 1e-9 * float(p.norm() * g.norm())
                p.sub_(0.1 * (perp * g.norm() / perp.norm() if rescale else perp))
    for mine, theirs in zip(member(stack).values(), w):
        torch.testing.assert_close(mine, theirs.detach(), atol=1e-12, rtol=0)


def test_perp_grad_is_stated_and_hashed_and_not_plain_gradient_descent():
    on, off = clockspec.loads(SPEC % "{}"), clockspec.loads(SPEC.replace(", perp_grad: %s", ""))
    assert "⊥Grad: each parameter tensor's gradient projected orthogonal to the tensor, rescaled" in explain(on.compile())
    assert on.compile().train_hash != off.compile().train_hash
    assert off.optimizer.plain_gradient_descent and not on.optimizer.plain_gradient_descent


def test_grokfast_is_not_plain_gradient_descent_either():
    """The theory's rates assume plain descent: a Grokfast filter on SGD changes every step."""
    filtered = clockspec.loads(SPEC.replace("perp_grad: %s", "grokfast: {alpha: 0.9, lamb: 1.0}"))
    assert filtered.optimizer.transforms_gradient and not filtered.optimizer.plain_gradient_descent
