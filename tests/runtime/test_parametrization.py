"""Parametrization: each init law's statistics, addressing by layer, alpha and per-layer
learning rates in one hand-checked step, weight decay on exactly the named parameters, and
the compile-time refusals."""
import math

import pytest
import torch

import clockspec
from clockspec.compiler.batching import batch_key
from clockspec.runtime.models import build_model
from clockspec.runtime.regularizers import build_regularizers
from clockspec.runtime.tasks import build_task
from stacks import member, stack_of, step

torch.set_num_threads(1)
WIDE = "{kind: teacher, inputs: 400, classes: 300, rank: 2, train_size: 8, test_size: 8}"


def load(model, task=WIDE, **parts):
    text = f"name: t\ntask: {task}\nmodel: {model}\n" + "".join(f"{k}: {v}\n" for k, v in parts.items())
    return clockspec.loads(text)


def params_of(spec, dtype=torch.float64):
    net = build_model(spec.model, build_task(spec.task), spec.seed, dtype)
    return net, {name: p for name, _, p in net.spec_parameters()}


@pytest.mark.parametrize("law, std", [
    ("{law: he}", math.sqrt(2 / 400)),
    ("{law: xavier}", math.sqrt(2 / (400 + 500))),
    ("{law: normal, std: 0.05, scale: 2}", 0.1),
    ("{law: uniform, scale: 3}", 3 / 20 / math.sqrt(3)),  # U(+-3/sqrt(400))
])
def test_each_init_law_draws_its_statistics(law, std):
    _, p = params_of(load(f"{{kind: mlp, hidden: [500], parametrization: {{init: {law}}}}}"))
    w = p["hidden.0.weight"]
    assert w.mean().item() == pytest.approx(0.0, abs=4 * std / math.sqrt(w.numel()))
    assert w.std().item() == pytest.approx(std, rel=0.02)
    bias = p["hidden.0.bias"]
    if "uniform" in law:  # torch's Linear bias: U(+-1/sqrt(fan_in)), times the scale
        assert 0 < bias.abs().max().item() <= 3 / 20
    else:
        assert bias.abs().max().item() == 0.0


def test_zero_law_and_default_scale_and_per_layer_addressing():
    plain_net, plain = params_of(load("{kind: mlp, hidden: [500]}"))
    _, p = params_of(load("{kind: mlp, hidden: [500], parametrization: {init: {scale: 3}, "
                          "layers: {head: {init: {law: zero}}}}}"))
    torch.testing.assert_close(p["hidden.0.weight"], 3 * plain["hidden.0.weight"])  # the same draws, scaled
    assert p["head.weight"].abs().max().item() == 0.0 and p["head.bias"].abs().max().item() == 0.0


def test_a_prefix_addresses_every_layer_below_it_and_the_most_specific_key_wins():
    spec = load("{kind: transformer, d_model: 64, heads: 2, d_head: 32, d_mlp: 64, parametrization: "
                "{layers: {blocks.0.attn: {init: {law: zero}}, blocks.0.attn.out: {init: {law: normal, std: 0.5}}}}}",
                task="{kind: modular, modulus: 7}")
    _, p = params_of(spec)
    for m in ("query", "key", "value"):
        assert p[f"blocks.0.attn.{m}.weight"].abs().max().item() == 0.0
    assert p["blocks.0.attn.out.weight"].std().item() == pytest.approx(0.5, rel=0.05)
    assert p["blocks.0.mlp.fc_in.weight"].std().item() == pytest.approx(1 / 8, rel=0.05)  # the kind's default


def test_bias_on_the_first_layer_only():
    spec = load("{kind: mlp, hidden: [6, 5], bias: false, parametrization: {layers: {hidden.0: {bias: true}}}}")
    net, p = params_of(spec)
    assert [n for n in p if n.endswith(".bias")] == ["hidden.0.bias"]
    assert spec.compile().derived["param_shapes"] == [[n, list(t.shape)] for n, t in p.items()]
    x = torch.randn(4, 400, dtype=torch.float64)
    w0, b0, w1, w2 = p["hidden.0.weight"], p["hidden.0.bias"], p["hidden.1.weight"], p["head.weight"]
    torch.testing.assert_close(net(x), torch.relu(torch.relu(x @ w0.T + b0) @ w1.T) @ w2.T)


def test_alpha_and_a_per_layer_lr_in_one_hand_checked_sgd_step():
    spec = load("{kind: deep_linear, depth: 2, width: 3, parametrization: {output_scale: 4, "
                "layers: {layers.1: {lr: 0.5}}}}", task="{kind: teacher, inputs: 5, classes: 2, rank: 1, "
                "train_size: 6, test_size: 2}", optimizer="{kind: sgd, lr: 0.1}", train="{loss: mse}")
    stack = stack_of(spec)
    w1, w2 = (p.clone() for p in member(stack).values())
    x, y = stack.data[0].x_train, torch.nn.functional.one_hot(stack.data[0].y_train, 2).double()
    f = 4 * x @ w1.T @ w2.T
    g = 2 * (f - y) / f.numel()  # d mean((f - y)^2) / df
    grad_w2, grad_w1 = 4 * g.T @ (x @ w1.T), 4 * (g @ w2).T @ x
    step(stack)
    new_w1, new_w2 = member(stack).values()
    torch.testing.assert_close(new_w1, w1 - 0.1 * grad_w1)
    torch.testing.assert_close(new_w2, w2 - 0.05 * grad_w2)


def test_a_centred_model_starts_at_zero_and_is_alpha_times_its_change():
    spec = load("{kind: mlp, hidden: [16], parametrization: {output_scale: 10, centered: true}}",
                task="{kind: modular, modulus: 7}")
    net, p = params_of(spec)
    initial, _ = params_of(spec)  # the same seed: the network at initialisation
    x = build_task(spec.task).x_train
    assert net(x).abs().max().item() == 0.0
    with torch.no_grad():
        p["head.weight"].add_(0.01)
    torch.testing.assert_close(net(x), 10 * (net.net(x) - initial.net(x)))
    assert len(list(net.parameters())) == len(p)  # the initial copy is buffers, not trained


def decayed(spec, net):
    regs = build_regularizers(spec.regularizers, net)
    return {id(p): s for r in regs for p, s in r.decay}


@pytest.mark.parametrize("applies_to, expected", [
    ("", {"embed.weight", "hidden.0.weight", "head.weight"}),
    ("applies_to: [biases]", {"hidden.0.bias", "head.bias"}),
    ("applies_to: [weights, biases, embeddings]", {"embed.weight", "hidden.0.weight", "hidden.0.bias",
                                                   "head.weight", "head.bias"}),
])
def test_decay_applies_to_exactly_the_named_parameters(applies_to, expected):
    spec = load("{kind: embed_mlp, embed_dim: 4, hidden: [6]}", task="{kind: modular, modulus: 7}",
                regularizers=f"{{weight_decay: {{strength: 0.1, {applies_to}}}}}")
    net, p = params_of(spec)
    ids = decayed(spec, net)
    assert {name for name, t in p.items() if id(t) in ids} == expected


def test_transformer_norms_decay_when_named_and_each_at_its_layers_rate():
    spec = load("{kind: transformer, d_model: 8, heads: 2, d_head: 4, d_mlp: 8, layer_norm: pre, "
                "parametrization: {layers: {ln_final: {lr: 0.5}}}}", task="{kind: modular, modulus: 7}",
                regularizers="{weight_decay: {strength: 0.1, applies_to: [norms]}}", optimizer="{kind: sgd, lr: 0.2}")
    net, p = params_of(spec)
    norms = {n for n in p if ".ln" in n or n.startswith("ln_final")}
    assert {n for n, t in p.items() if id(t) in decayed(spec, net)} == norms
    stack = stack_of(spec)
    before = {n: t.clone() for n, t in member(stack).items()}
    for t in stack.params.values():
        t.grad = torch.zeros_like(t)
    stack.update(0)
    for n, t in member(stack).items():
        rate = 0.5 if n.startswith("ln_final") else 1.0
        factor = 1 - 0.2 * rate * 0.1 if n in norms else 1.0
        torch.testing.assert_close(t.detach(), before[n] * factor)


def test_members_batch_only_with_the_same_parametrization():
    plain, scaled = load("{kind: mlp}"), load("{kind: mlp, parametrization: {output_scale: 2}}")
    assert batch_key(plain) != batch_key(scaled)
    assert batch_key(scaled) == batch_key(scaled.model_copy(update={"seed": 5}))


@pytest.mark.parametrize("model, message", [
    ("{kind: mlp, parametrization: {layers: {hiden.0: {lr: 2}}}}", "no layer 'hiden.0' in this mlp; its layers are hidden.0, head"),
    ("{kind: transformer, parametrization: {layers: {blocks.0.attn: {bias: true}}}}",
     "'blocks.0.attn' cannot have a bias in a transformer; the layers that can are blocks.0.mlp.fc_in, blocks.0.mlp.fc_out"),
    ("{kind: deep_linear, parametrization: {layers: {layers.0: {bias: true}}}}", "the layers that can are none"),
    ("{kind: mlp, parametrization: {init: {law: he, std: 0.1}}}", "std belongs to the normal law, not to he"),
    ("{kind: mlp, parametrization: {init: {law: normal}}}", "the normal law needs its std"),
])
def test_a_bad_parametrization_is_refused_with_its_position(model, message):
    task = "{kind: modular, modulus: 7}"
    with pytest.raises(clockspec.SpecError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load(model, task=task).compile()
    assert info.value.diagnostics[0].line == 3
