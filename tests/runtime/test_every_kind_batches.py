"""Every kind and every feature runs on the one stacked step: for each kind registered in each
runtime registry (enumerated, so a kind added later is covered without editing this file) and
for each feature of the step, the middle member of a batch of three writes the metrics.jsonl of
the same spec trained alone, byte for byte (float32, where a rounding difference would show),
eager here and compiled in the slow suite. Snapshots on or off leave the metrics as they are.

A kind is tried on the first base spec it compiles with; a kind that compiles with none needs
an entry in EXAMPLES (the test says so)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import clockspec
from clockspec.core.errors import SpecError
from clockspec.ir.base import Strict
from clockspec.runtime import run
from clockspec.runtime.batched import run_batch
from clockspec.runtime.interventions import INTERVENTIONS
from clockspec.runtime.models import MODELS
from clockspec.runtime.objective import LOSSES
from clockspec.runtime.optimizers import OPTIMIZERS
from clockspec.runtime.regularizers import REGULARIZERS
from clockspec.runtime.tasks import TASKS

torch.set_num_threads(1)

MODULAR = "{kind: modular, modulus: 7, train_fraction: 0.5}"
TEACHER = "{kind: teacher, inputs: 8, classes: 3, rank: 2, train_size: 32, test_size: 16}"
BASES = [  # (task, model, train): a kind is tried in each until its spec compiles
    (MODULAR, "{kind: embed_mlp, embed_dim: 8, hidden: [16]}", ""),
    (TEACHER, "{kind: mlp, hidden: [16]}", ""),
    (TEACHER, "{kind: deep_linear, depth: 3, width: 8}", ""),
    (TEACHER, "{kind: mlp, hidden: [16]}", ", loss: mse"),
    ("{kind: sparse_parity, bits: 8, relevant: 3, train_size: 32, test_size: 16}", "{kind: mlp, hidden: [16]}", ""),
]
# Small sizes for whatever fields a kind has of these names (the rest keep their defaults).
SMALL = {"embed_dim": 8, "hidden": [16], "width": 8, "depth": 3, "d_model": 16, "heads": 2, "d_head": 8, "d_mlp": 16,
         "modulus": 7, "train_fraction": 0.5, "train_size": 32, "test_size": 16, "inputs": 8, "classes": 3,
         "bits": 8, "relevant": 3, "n": 3, "operands": 6}
EXAMPLES: dict[tuple[str, str], str] = {  # (family, kind): the fragment to use when defaults cannot be
    ("task", "dataset"): "{kind: dataset, path: data.npz}",
}
SPEC = """\
name: m{i}
seed: {seed}
task: {task}
model: {model}
optimizer: {optimizer}
regularizers: {regularizers}
train: {{steps: 24{train}}}
probes: {{every: 8, metrics: [weight_norm]}}
{extra}"""


def fragment(family: str, kind: str, ir_class) -> str:
    """`{kind: K, ...}` with the small sizes the kind's class has fields for."""
    if (family, kind) in EXAMPLES:
        return EXAMPLES[(family, kind)]
    fields = {k: v for k, v in SMALL.items() if ir_class is not None and k in ir_class.model_fields}
    return json.dumps({"kind": kind, **fields})


def ir_class(family: str, kind: str):
    from clockspec.ir.models import MODELS as IR_MODELS
    from clockspec.ir.optimizers import OPTIMIZERS as IR_OPTIMIZERS
    from clockspec.ir.tasks import TASKS as IR_TASKS

    return {"task": IR_TASKS, "model": IR_MODELS, "optimizer": IR_OPTIMIZERS}.get(family, {}).get(kind)


def cases() -> list[tuple[str, dict[str, str]]]:
    """(case id, the parts of the spec it sets), one per registered kind and per step feature."""
    out = [(f"model-{k}", {"model": fragment("model", k, ir_class("model", k))}) for k in MODELS]
    out += [(f"task-{k}", {"task": fragment("task", k, ir_class("task", k))}) for k in TASKS]
    out += [(f"optimizer-{k}", {"optimizer": fragment("optimizer", k, ir_class("optimizer", k))}) for k in OPTIMIZERS]
    out += [(f"loss-{k}", {"train": f", loss: {k}"}) for k in LOSSES]
    out += [(f"regularizer-{k}", {"regularizers": f"{{{k}: {{strength: 0.05}}}}"}) for k in REGULARIZERS]
    out += [(f"intervention-{k}", {"extra": f"interventions: {{{k}: {{}}}}\n"}) for k in INTERVENTIONS]
    out += [
        ("coupled-weight-decay", {"regularizers": "{weight_decay: {strength: 0.05, decoupled: false}}"}),
        ("decay-coupled-into-gradient", {"regularizers": "{weight_decay: {strength: 0.05, placement: coupled}}"}),
        ("grokfast", {"optimizer": "{kind: adamw, lr: 0.01, grokfast: {alpha: 0.9, lamb: 2.0}}"}),
        ("perp-grad", {"optimizer": "{kind: adamw, lr: 0.01, perp_grad: {}}"}),
        ("grokfast-perp-grad", {"optimizer": "{kind: sgd, lr: 0.05, grokfast: {alpha: 0.9}, perp_grad: {rescale: false}}"}),
        ("loss-dtype", {"train": ", loss: stablemax, loss_dtype: float64"}),
        ("parametrization", {"model": "{kind: embed_mlp, embed_dim: 8, hidden: [16], parametrization: "
                                      "{init: {law: he}, output_scale: 2, layers: {head: {lr: 0.5}}}}"}),
        ("centred-output", {"model": "{kind: mlp, hidden: [16], parametrization: {output_scale: 4, centered: true}}"}),
        ("transformer-parametrized", {"model": "{kind: transformer, d_model: 16, heads: 2, d_head: 8, d_mlp: 16, "
                                               "layer_norm: pre, parametrization: {output_scale: 0.5}}"}),
        ("transformer-attention-bias", {"model": "{kind: transformer, d_model: 16, heads: 2, d_head: 8, d_mlp: 16, "
                                                 "attention_bias: true}"}),
        ("minibatch", {"train": ", batch: 8"}),
        ("three-operands", {"task": "{kind: modular, op: add, modulus: 5, arity: 3, train_fraction: 0.5}"}),
        ("schedule", {"optimizer": "{kind: sgd, lr: 0.05, momentum: 0.9, schedule: cosine, warmup_steps: 4}"}),
        ("online-parity", {"task": "{kind: sparse_parity, bits: 8, relevant: 3, train_size: 32, test_size: 16, "
                                   "online: true}", "train": ", batch: 8"}),
        ("online-teacher", {"task": TEACHER[:-1] + ", online: true}"}),
        ("online-regression", {"task": "{kind: regression, inputs: 8, train_size: 32, test_size: 16, online: true}",
                               "train": ", batch: 8, loss: mse"}),
    ]
    return out


def member_plans(parts: dict[str, str], folder, compiled: bool = False):
    """Three members (seeds 0-2, the last at half the rate) of the first base the parts compile with."""
    rng = np.random.default_rng(0)
    np.savez(folder / "data.npz", x=rng.normal(size=(48, 6)).astype(np.float32), y=rng.integers(0, 3, 48))
    errors = []
    for task, model, train in BASES:
        values = {"task": task, "model": model, "optimizer": "{kind: adamw, lr: 0.01}",
                  "regularizers": "{weight_decay: {strength: 0.1}}", "train": train, "extra": "", **parts}
        if compiled:
            values["train"] += ", compile: true"
        try:
            texts = [SPEC.format(i=i, seed=i, **values) for i in range(3)]
            specs = [clockspec.loads(t, file=str(folder / f"m{i}.yaml")) for i, t in enumerate(texts)]
            specs[2] = specs[2].model_copy(update={"optimizer": specs[2].optimizer.model_copy(
                update={"lr": specs[2].optimizer.lr / 2})})
            return [clockspec.compile(s) for s in specs]
        except SpecError as exc:
            errors.append(str(exc))
    pytest.fail(f"{parts} compiles with no base spec; give the kind an entry in EXAMPLES:\n" + "\n".join(errors))


def assert_member_alone_equals_member_in_batch(tmp_path, parts, compiled=False):
    plans = member_plans(parts, tmp_path, compiled)
    batched = run_batch(plans, out=tmp_path / "batched")
    alone = run(plans[1], out=tmp_path / "alone", progress=False)
    assert alone.run_dir.name == batched[1].run_dir.name  # one train hash ...
    assert (alone.status, alone.step) == (batched[1].status, batched[1].step)
    metrics = (alone.run_dir / "metrics.jsonl").read_bytes()
    assert metrics == (batched[1].run_dir / "metrics.jsonl").read_bytes()  # ... one trajectory
    assert len(metrics.splitlines()) == 4
    return plans


CASES = cases()
# The compiled function is the forward, the loss and the penalties (runtime/compiled.py); the
# optimizer, the gradient transforms and the interventions run eagerly after it. So the compiled
# test takes the kinds and features that change that function (each compile costs seconds).
IN_THE_GRAPH = ("model-", "loss-", "regularizer-", "coupled-", "parametrization", "centred-", "transformer-",
                "three-operands", "task-regression")
COMPILED = [c for c in CASES if c[0].startswith(IN_THE_GRAPH)]


@pytest.mark.parametrize("parts", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_a_member_of_a_batch_of_three_is_bit_identical_to_it_alone(tmp_path, parts):
    assert_member_alone_equals_member_in_batch(tmp_path, parts)


@pytest.mark.slow
@pytest.mark.parametrize("parts", [c[1] for c in COMPILED], ids=[c[0] for c in COMPILED])
def test_compiled_a_member_of_a_batch_of_three_is_bit_identical_to_it_alone(tmp_path, parts):
    plans = assert_member_alone_equals_member_in_batch(tmp_path, parts, compiled=True)
    assert plans[0].derived["execution"]["compiled"] is True


def test_snapshots_on_and_off_write_the_same_metrics(tmp_path):
    off = member_plans({}, tmp_path)[1]
    on = clockspec.compile(off.spec.model_copy(update={"snapshots": clockspec.loads(
        SPEC.format(i=1, seed=1, task=MODULAR, model=BASES[0][1], optimizer="{kind: adamw}", regularizers="{}",
                    train="", extra="snapshots: {every: 8}\n")).snapshots}))
    assert on.train_hash != off.train_hash
    a, b = run(off, out=tmp_path / "off", progress=False), run(on, out=tmp_path / "on", progress=False)
    assert (a.run_dir / "metrics.jsonl").read_bytes() == (b.run_dir / "metrics.jsonl").read_bytes()
    assert len(list((b.run_dir / "snapshots").glob("*.pt"))) >= 3


def test_members_of_a_batch_keep_their_own_snapshots(tmp_path):
    plans = member_plans({"extra": "snapshots: {every: 8}\n"}, tmp_path)
    batched = run_batch(plans, out=tmp_path / "batched")
    alone = run(plans[1], out=tmp_path / "alone", progress=False)
    for name in sorted(p.name for p in (alone.run_dir / "snapshots").glob("*.pt")):
        assert (alone.run_dir / "snapshots" / name).read_bytes() == (batched[1].run_dir / "snapshots" / name).read_bytes()


# ---- a kind missing its runtime piece is refused when it registers --------------------------

def test_an_optimizer_rule_without_its_update_is_refused():
    class Half:
        states = ()

    with pytest.raises(TypeError, match="runtime optimizer 'half' does not provide apply"):
        OPTIMIZERS.add("half", Half)


def test_a_model_without_a_stacked_forward_is_refused():
    class Plain(torch.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="runtime model 'plain': Plain has no forward_stacked"):
        MODELS.register("plain", Plain)(lambda model, data, generator, dtype: Plain())


def test_a_loss_without_its_stacked_form_is_refused():
    class OnlySingle:
        single = staticmethod(lambda logits, labels: logits.sum())

    with pytest.raises(TypeError, match="runtime loss 'single' does not provide stacked"):
        LOSSES.add("single", OnlySingle())


def test_an_intervention_without_its_hooks_is_refused():
    class Nothing:
        @classmethod
        def build(cls, cfg, models):
            return cls()

    with pytest.raises(TypeError, match="runtime intervention 'nothing' does not provide after_backward, after_update"):
        INTERVENTIONS.add("nothing", Nothing)


def test_a_clock_kind_without_a_judge_is_refused_not_judged_as_another():
    from typing import Literal

    from clockspec.clocks import ClockTracker, judge
    from clockspec.ir.clocks import CLOCKS

    class Never(Strict):
        kind: Literal["never"] = "never"
        metric: str = "train_loss"
        after: None = None
        online: bool = True

    with pytest.raises(TypeError, match="clock kind 'never' has no judge"):
        judge(Never(), [{"step": 0, "train_loss": 1.0}], 0)
    with pytest.raises(TypeError, match="clock kind 'never' has no judge"):
        ClockTracker({"n": Never()})
    assert "never" not in CLOCKS


def test_an_ir_kind_without_its_runtime_piece_is_named_when_the_step_is_imported():
    from clockspec.ir.losses import LOSSES as IR_LOSSES
    from clockspec.ir.losses import Loss
    from clockspec.runtime import kinds

    assert kinds.missing_pieces() == []
    IR_LOSSES.add("scratch_loss", Loss("a scratch loss", "nats"))
    try:
        with pytest.raises(TypeError, match=r"loss kind 'scratch_loss' has no runtime piece \(a LossKind in runtime/objective.py\)"):
            kinds.check()
    finally:
        del IR_LOSSES._entries["scratch_loss"]
