"""The transformer's stacked forward (`Transformer.forward_stacked`): each member's slice is
its own module's forward, and has the same bits in a stack of any size, so a transformer run
alone (a stack of one) and the same member in a family batch follow one trajectory."""
import pytest
import torch

import clockspec
from clockspec.runtime.models import build_model
from clockspec.runtime.tasks import build_task

from .test_one_trajectory import assert_one_trajectory, member_plans
from .test_transformer import VARIANTS, built, spec_of

torch.set_num_threads(1)


def members(spec, k):
    """k modules of `spec` with different random weights, and their parameters stacked."""
    nets = []
    for i in range(k):
        net = built(spec, torch.float32)
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn(p.shape, generator=torch.Generator().manual_seed(100 + i)) * 0.1)
        nets.append(net)
    names = [n for n, _ in nets[0].named_parameters()]
    return nets, {n: torch.stack([dict(m.named_parameters())[n].detach() for m in nets]) for n in names}


@pytest.mark.parametrize("variant", VARIANTS, ids=[str(v) for v in VARIANTS])
def test_each_slice_is_its_members_forward_with_the_same_bits_in_any_stack(variant):
    spec = spec_of(**variant)
    x = build_task(spec.task).x_train
    nets, params = members(spec, 3)
    with torch.no_grad():
        stacked = nets[0].forward_stacked(params, x)
        for i, net in enumerate(nets):
            torch.testing.assert_close(stacked[i], net(x), rtol=1e-5, atol=1e-5)
            alone = net.forward_stacked({n: p[i:i + 1] for n, p in params.items()}, x)[0]
            assert torch.equal(alone, stacked[i])  # a stack's size does not move a member's bits


def test_per_member_inputs_are_each_members_own():
    spec = spec_of()
    data = build_task(spec.task)
    nets, params = members(spec, 2)
    x = torch.stack([data.x_train, data.x_train.flip(0)])
    with torch.no_grad():
        out = nets[0].forward_stacked(params, x)
        for i, net in enumerate(nets):
            torch.testing.assert_close(out[i], net(x[i]), rtol=1e-5, atol=1e-5)


def test_a_transformer_trains_stacked():
    plan = clockspec.compile(spec_of())
    assert plan.derived["execution"]["step"] == "stacked"
    assert plan.derived["execution"]["first_layer"] == "token_embedding"
    assert build_model(plan.spec.model, build_task(plan.spec.task), 0, torch.float32).forward_stacked


@pytest.mark.parametrize("batch", ["full", "16"])
def test_a_transformer_in_a_batch_follows_its_trajectory_alone(tmp_path, batch):
    assert_one_trajectory(tmp_path, member_plans("transformer", batch))
