"""Weight decay's placement as one named choice (issue 31): `decoupled` (AdamW's shrink),
`loss` (a term of the loss) and `coupled` (g + lambda W after the gradient transforms, before
the rule: torch's `weight_decay` of SGD and Adam). The former `decoupled: true|false` keeps
its hashes; explain states the placement; batching is in test_every_kind_batches.py."""
import pytest
import torch

import clockspec
from clockspec.compiler.explain import explain
from clockspec.core.errors import SpecError
from stacks import member, stack_of, step
from tests.runtime.test_runtime_builders import assert_steps_as, deep, deep_loss

torch.set_num_threads(1)


def test_coupled_decay_is_torch_adams_weight_decay():
    s, data, _ = deep("{weight_decay: {strength: 0.3, placement: coupled}}", "{kind: adam, lr: 0.01}")
    assert_steps_as(s, data, lambda ref: torch.optim.Adam(ref, lr=0.01, weight_decay=0.3), 5)


def test_coupled_decay_comes_after_grokfast_so_the_filter_does_not_amplify_it():
    s, data, _ = deep("{weight_decay: {strength: 0.3, placement: coupled}}",
                      "{kind: sgd, lr: 0.1, grokfast: {alpha: 0.5, lamb: 2.0}}")
    stack = stack_of(s)
    w = [p.clone().requires_grad_() for p in member(stack).values()]
    ema = None
    for t in range(3):
        step(stack, t)
        grads = torch.autograd.grad(deep_loss(data, w), w)
        ema = list(grads) if ema is None else [0.5 * e + 0.5 * g for e, g in zip(ema, grads)]
        with torch.no_grad():
            for p, g, e in zip(w, grads, ema):
                p.sub_(0.1 * (g + 2.0 * e + 0.3 * p))
    for mine, theirs in zip(member(stack).values(), w):
        torch.testing.assert_close(mine, theirs.detach(), atol=1e-12, rtol=0)


SPEC = "name: d\ntask: {kind: modular, modulus: 7}\nmodel: {kind: embed_mlp}\ntrain: {steps: 10}\nprobes: {every: 5}\n" \
       "regularizers: {weight_decay: %s}\n"


def test_the_former_spelling_keeps_its_hash_and_each_placement_is_stated():
    plans = {form: clockspec.loads(SPEC % form).compile() for form in (
        "{strength: 0.1}", "{strength: 0.1, decoupled: true}", "{strength: 0.1, placement: decoupled}",
        "{strength: 0.1, decoupled: false}", "{strength: 0.1, placement: loss}", "{strength: 0.1, placement: coupled}")}
    hashes = [p.train_hash for p in plans.values()]
    assert len(set(hashes[:3])) == 1 and hashes[3] == hashes[4] and len(set(hashes)) == 3
    for placement, says in [("decoupled", "W <- W (1 - lr * lambda)"), ("loss", "2 lambda W passes through"),
                            ("coupled", "g <- g + lambda W after the gradient transforms")]:
        text = explain(plans[f"{{strength: 0.1, placement: {placement}}}"])
        assert f"placement {placement} (" in text and says in text


@pytest.mark.parametrize("form, says", [
    ("{decoupled: false, placement: decoupled}", "decoupled: false says placement loss, but placement is decoupled"),
    ("{decoupled: 0}", "decoupled is true or false"),
])
def test_a_contradicting_former_spelling_is_refused_at_the_field(form, says):
    with pytest.raises(SpecError, match=rf"6:\d+.*{says}"):
        clockspec.loads(SPEC % form)
