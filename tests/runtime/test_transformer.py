"""The transformer kind: its forward against an explicit-einsum implementation, the
readout-only computation against the full one, the IR's layout against the module, and a
tiny run that fits."""
import json
import math

import pytest
import torch

import clockspec
from clockspec.runtime import run
from clockspec.runtime.models import build_model
from clockspec.runtime.tasks import build_task

torch.set_num_threads(1)

BASE = {"layers": 2, "d_model": 8, "heads": 2, "d_head": 3, "d_mlp": 10}
VARIANTS = [
    {},
    {"layer_norm": "pre", "activation": "gelu"},
    {"layer_norm": "post", "attention": "full", "tied": True},
    {"d_mlp": 0, "sequence": "a op b =", "layers": 1},
    {"layers": 1, "bias": False, "layer_norm": "pre", "tied": True},
    {"attention_bias": True, "layer_norm": "pre"},
]


def spec_of(**model):
    fields = ", ".join(f"{k}: {json.dumps(v)}" for k, v in {**BASE, **model}.items())
    return clockspec.loads(f"name: t\ntask: {{kind: modular, modulus: 7, train_fraction: 0.5}}\n"
                           f"model: {{kind: transformer, {fields}}}\n")


def built(spec, dtype=torch.float64):
    net = build_model(spec.model, build_task(spec.task), 0, dtype)
    with torch.no_grad():  # random weights everywhere, LayerNorm and biases included
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel()), dtype=dtype))
    return net


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * w + b


def reference(cfg, params, x, p):
    """The same model written independently: explicit einsums, every position, every block."""
    act = {"relu": torch.relu, "gelu": torch.nn.functional.gelu}[cfg.activation]
    layout = cfg.sequence.split()
    columns = {"a": x[:, 0], "b": x[:, 1], "=": torch.full_like(x[:, 0], p), "op": torch.full_like(x[:, 0], p + 1)}
    tokens = torch.stack([columns[t] for t in layout], 1)
    T, H, D = len(layout), cfg.heads, cfg.d_head
    resid = params["embed.weight"][tokens] + params["pos_embed.weight"][None]
    norm = cfg.layer_norm

    def ln(name, v):
        return layer_norm(v, params[f"{name}.weight"], params[f"{name}.bias"])

    def bias(name, heads, width):
        """An attention projection's bias per head, (1, heads, 1, width), or 0 without one."""
        b = params.get(f"{name}.bias")
        return 0.0 if b is None else b.view(1, heads, 1, width)

    for i in range(cfg.layers):
        pre = f"blocks.{i}."
        seen = ln(pre + "ln1", resid) if norm == "pre" else resid
        wq, wk, wv = (params[pre + f"attn.{m}.weight"].view(H, D, -1) for m in ("query", "key", "value"))
        q, k, v = (torch.einsum("hed,ntd->nhte", w, seen) + bias(pre + f"attn.{m}", H, D)
                   for w, m in zip((wq, wk, wv), ("query", "key", "value")))
        scores = torch.einsum("nhqe,nhke->nhqk", q, k) / math.sqrt(D)
        if cfg.attention == "causal":
            scores = scores + torch.triu(torch.full((T, T), float("-inf"), dtype=x.dtype if x.is_floating_point()
                                                    else resid.dtype), 1)
        pattern = scores.softmax(-1)
        z = torch.einsum("nhqk,nhke->nqhe", pattern, v)
        wo = params[pre + "attn.out.weight"].view(-1, H, D)
        resid = resid + torch.einsum("dhe,nqhe->nqd", wo, z) + params.get(pre + "attn.out.bias", 0.0)
        if norm == "post":
            resid = ln(pre + "ln1", resid)
        if cfg.d_mlp:
            m_in = ln(pre + "ln2", resid) if norm == "pre" else resid
            hidden = torch.einsum("md,ntd->ntm", params[pre + "mlp.fc_in.weight"], m_in)
            hidden = act(hidden + params.get(pre + "mlp.fc_in.bias", 0.0))
            out = torch.einsum("dm,ntm->ntd", params[pre + "mlp.fc_out.weight"], hidden)
            resid = resid + out + params.get(pre + "mlp.fc_out.bias", 0.0)
            if norm == "post":
                resid = ln(pre + "ln2", resid)
    if norm == "pre":
        resid = ln("ln_final", resid)
    unembed = params["embed.weight"][:p] if cfg.tied else params["unembed.weight"]
    return torch.einsum("cd,ntd->ntc", unembed, resid)[:, -1]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v) or "base")
def test_forward_equals_an_explicit_einsum_implementation(variant):
    spec = spec_of(**variant)
    net = built(spec)
    x = build_task(spec.task).x_train
    expected = reference(spec.model, dict(net.named_parameters()), x, 7)
    torch.testing.assert_close(net(x), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v) or "base")
def test_readout_only_equals_the_full_computation(variant):
    spec = spec_of(**variant)
    net = built(spec)
    x = build_task(spec.task).x_test
    logits, preacts = net.forward_with_preacts(x)
    torch.testing.assert_close(logits, net.forward_full(x), rtol=1e-12, atol=1e-12)
    if spec.model.d_mlp:  # the last block's MLP ran at the readout position only
        assert preacts[-1].shape == (len(x), 1, spec.model.d_mlp)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v) or "base")
def test_the_ir_layout_is_the_modules(variant):
    spec = spec_of(**variant)
    plan = spec.compile()
    net = build_model(spec.model, build_task(spec.task), 0, torch.float32)
    assert plan.derived["param_shapes"] == [[n, list(p.shape)] for n, p in net.named_parameters()]
    assert len(net.layer_weights()) == len([s for _, s in plan.derived["param_shapes"] if len(s) == 2])


def test_default_init_is_nandas():
    spec = spec_of(d_model=64, d_mlp=64, layers=1, heads=4, d_head=16)
    net = build_model(spec.model, build_task(spec.task), 0, torch.float64)
    params = dict(net.named_parameters())
    assert params["blocks.0.attn.query.weight"].std().item() == pytest.approx(1 / 8, rel=0.05)
    assert params["unembed.weight"].std().item() == pytest.approx(1 / math.sqrt(7), rel=0.15)
    assert params["blocks.0.mlp.fc_in.bias"].abs().max().item() == 0.0


def test_a_transformer_on_an_operand_task_only():
    with pytest.raises(clockspec.SpecError, match="transformer reads token sequences"):
        clockspec.loads("name: t\ntask: {kind: teacher}\nmodel: {kind: transformer}\n").compile()


def test_a_tiny_transformer_fits_its_training_set(tmp_path):
    spec = clockspec.loads("""
name: tiny-transformer
task: {kind: modular, modulus: 11, train_fraction: 0.5}
model: {kind: transformer, d_model: 32, heads: 2, d_head: 16, d_mlp: 64}
optimizer: {kind: adamw, lr: 3e-3}
train: {steps: 400}
probes: {every: 50}
clocks: {memorise: first train_acc >= 1.0}
stop: {after: [memorise]}
""")
    result = run(spec.compile(), out=tmp_path, progress=False)
    assert result.status == "complete"
    assert result.clocks["memorise"].reached, result.clocks


@pytest.mark.parametrize("variant", [{}, {"d_mlp": 0, "sequence": "a op b =", "layers": 1}])
def test_the_cost_estimate_counts_the_forward_torch_runs(variant):
    """The plan's FLOPs per probe are torch's count of the readout-only forward (its matmuls)."""
    from torch.utils.flop_counter import FlopCounterMode

    spec = spec_of(**variant)
    data = build_task(spec.task)
    net = build_model(spec.model, data, 0, torch.float32)
    x = torch.cat([data.x_train, data.x_test])
    with FlopCounterMode(display=False) as counter:
        net(x)
    assert spec.compile().derived["flops_per_probe"] == counter.get_total_flops()


def test_attention_biases_are_asked_for_stated_and_spared_by_the_default_decay():
    absent, off, on = spec_of(), spec_of(attention_bias=False), spec_of(attention_bias=True)
    assert absent.compile().train_hash == off.compile().train_hash != on.compile().train_hash
    from clockspec.compiler.explain import explain
    assert "(causal attention, with biases)" in explain(on.compile())
    roles = {name: role for name, role, _ in build_model(on.model, build_task(on.task), 0, torch.float32).spec_parameters()}
    assert roles["blocks.0.attn.query.bias"] == roles["blocks.1.attn.out.bias"] == "biases"
