"""`train.compile`: whether the stacked step is torch.compile'd (compiler/compile_cost.py),
decided from the plan alone, recorded in its execution and its train hash."""

import clockspec
from clockspec.compiler import compile_cost
from clockspec.compiler.explain import explain

SPEC = """\
name: c
task: {{kind: modular, modulus: {p}}}
model: {model}
optimizer: {{kind: adamw, lr: 0.01}}
train: {{steps: {steps}{compile}}}
probes: {{every: 10}}
device: {device}
"""
SMALL = "{kind: embed_mlp, embed_dim: 8, hidden: [16]}"
WIDE = "{kind: embed_mlp, embed_dim: 256, hidden: [2048]}"


def plan(compile_value=None, steps=100, model=SMALL, p=7, device="cpu"):
    extra = "" if compile_value is None else f", compile: {compile_value}"
    return clockspec.compile(clockspec.loads(SPEC.format(p=p, model=model, steps=steps, compile=extra, device=device)))


def test_auto_leaves_a_short_run_eager_with_the_hash_of_compile_false():
    auto, off = plan(), plan("false")
    assert auto.derived["execution"]["compiled"] is False
    assert auto.train_hash == off.train_hash  # one program, one hash, whatever the words
    assert "under the 150 s from which compiling pays" in explain(auto)


def test_compile_true_is_another_program_with_another_hash():
    on = plan("true")
    assert on.derived["execution"]["compiled"] is True
    assert on.train_hash != plan().train_hash
    assert "torch.compile'd (train.compile: true)" in explain(on)


def test_auto_compiles_a_run_long_enough_to_pay_for_it():
    long = plan(steps=200_000, model=WIDE, p=97)
    assert compile_cost.eager_seconds(long.spec, long.derived["flops_per_step"]) > compile_cost.pays_after(long.spec)
    assert long.derived["execution"]["compiled"] is True
    assert "over the 150 s from which compiling pays" in explain(long)
    assert plan("false", steps=200_000, model=WIDE, p=97).derived["execution"]["compiled"] is False


def test_auto_never_compiles_a_kind_whose_compiled_step_saves_nothing():
    long = plan(steps=500_000, model="{kind: transformer, d_model: 128, heads: 4, d_head: 32, d_mlp: 512}", p=97)
    assert long.derived["execution"] == {"step": "stacked", "first_layer": "token_embedding", "optimizer": "fused",
                                         "compiled": False}
    assert "compiling a transformer's step saves no time on a CPU" in explain(long)


def test_auto_never_compiles_on_mps():
    assert plan(steps=200_000, model=WIDE, p=97, device="mps").derived["execution"]["compiled"] is False


def test_compile_true_compiles_every_spec_since_every_spec_trains_on_the_stacked_step():
    text = SPEC.format(p=7, model=SMALL, steps=100, compile=", compile: true", device="cpu")
    text += "interventions: {grad_clip: {max_norm: 1.0}}\n"  # once kept on the torch module's step
    assert clockspec.compile(clockspec.loads(text)).derived["execution"] == {
        "step": "stacked", "first_layer": "projection_gather", "optimizer": "fused", "compiled": True}
