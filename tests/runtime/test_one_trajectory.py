"""One trajectory per train hash: a member trained in a batch writes the metrics.jsonl of the
same spec trained alone, bit for bit (float32, where rounding differences would grow), and a
divergence is reported at its exact step although the loop reads the objective only now and
then (issue 16)."""
import json

import pytest
import torch

import clockspec
from clockspec.runtime import loop as loop_module
from clockspec.runtime import run
from clockspec.runtime.batched import run_batch

torch.set_num_threads(1)

SPEC = """\
name: t{i}
seed: {seed}
task: {task}
model: {model}
regularizers: {{weight_decay: {{strength: {wd}}}}}
optimizer: {{kind: adamw, lr: {lr}}}
train: {{steps: {steps}, batch: {batch}}}
probes: {{every: {every}, metrics: [{metrics}]}}
clocks:
  fit: first train_acc >= 0.99
  generalize: first test_acc >= 0.99
{stop}"""
MODULAR = "{{kind: modular, op: add, modulus: {p}, train_fraction: 0.5, split_seed: {split}}}"
MODELS = {
    "embed_mlp": ("{kind: embed_mlp, embed_dim: 12, hidden: [24]}", "weight_norm, pattern_flips, grad_ratio"),
    "embed_mlp_sum": ("{kind: embed_mlp, embed_dim: 12, combine: sum, hidden: [24, 16]}", "weight_norm"),
    "mlp": ("{kind: mlp, hidden: [24]}", "weight_norm, margin"),
    "deep_linear": ("{kind: deep_linear, depth: 3, width: 16}", "weight_norm, balance"),
    "transformer": ("{kind: transformer, d_model: 16, heads: 2, d_head: 8, d_mlp: 32, layer_norm: pre}",
                    "weight_norm, attention_entropy"),
}
# (seed, lr, weight decay, split seed): members differ in what a batch lets them differ in
MEMBERS = [(0, 0.01, 0.3, 0), (1, 0.01, 1.0, 0), (2, 0.003, 1.0, 1)]


def member_plans(model, batch="full", steps=60, p=11, every=10, stop=""):
    text, metrics = MODELS[model]
    return [clockspec.compile(clockspec.loads(SPEC.format(
        i=i, seed=seed, task=MODULAR.format(p=p, split=split), model=text, wd=wd, lr=lr, steps=steps, batch=batch,
        every=every, metrics=metrics, stop=stop))) for i, (seed, lr, wd, split) in enumerate(MEMBERS)]


def assert_one_trajectory(tmp_path, plans):
    alone = [run(p, out=tmp_path / "alone", progress=False) for p in plans]
    batched = run_batch(plans, out=tmp_path / "batched")
    for a, b in zip(alone, batched):
        assert a.run_dir.name == b.run_dir.name  # one train hash ...
        assert (a.run_dir / "metrics.jsonl").read_bytes() == (b.run_dir / "metrics.jsonl").read_bytes()  # ... one trajectory
        assert (a.status, a.step) == (b.status, b.step)
    return alone


@pytest.mark.parametrize("model, batch", [("embed_mlp", "full"), ("embed_mlp_sum", "16"), ("mlp", "16"),
                                          ("deep_linear", "full")])
def test_a_member_in_a_batch_follows_its_trajectory_alone(tmp_path, model, batch):
    assert_one_trajectory(tmp_path, member_plans(model, batch))


def test_members_that_stop_early_leave_the_stack_without_moving_the_others(tmp_path):
    """The stop clocks end members at different steps; each leaves the stack, the rest go on."""
    plans = member_plans("embed_mlp", steps=400, p=7, stop="stop: {after: [fit]}\n")
    alone = assert_one_trajectory(tmp_path, plans)
    assert len({r.step for r in alone}) > 1


@pytest.mark.slow
@pytest.mark.parametrize("model, batch", [("embed_mlp", "full"), ("mlp", "32"), ("deep_linear", "16"),
                                          ("transformer", "full")])
def test_one_trajectory_through_a_long_chaotic_run(tmp_path, model, batch):
    """Long enough for a rounding difference to grow, so only bit-identical steps pass."""
    plans = member_plans(model, batch, steps=2000, p=23, every=50)
    assert_one_trajectory(tmp_path, plans)


DIVERGES = """\
name: blowup
task: {kind: modular, modulus: 11}
model: {kind: mlp, hidden: [16]}
optimizer: {kind: sgd, lr: 3.0}
train: {steps: 300, loss: mse_half_sum}  # the objective is inf at step 62
probes: {every: 100, metrics: [weight_norm]}
"""


class ItemCounter:
    """Counts host reads of one-element tensors (`Tensor.item`) while it is on."""

    def __init__(self, monkeypatch):
        self.calls = 0
        item = torch.Tensor.item

        def counting(tensor):
            self.calls += 1
            return item(tensor)

        monkeypatch.setattr(torch.Tensor, "item", counting)


class EveryStep:
    """A step that reads its objective on the host at every step, as the loop once did:
    the first non-finite step is known exactly."""

    def __init__(self, steps):
        self.steps, self.first_bad = steps, None

    def __getattr__(self, name):
        return getattr(self.steps, name)

    def objective(self, t):
        values = self.steps.objective(t)
        if self.first_bad is None and not torch.isfinite(values).all():
            self.first_bad = t
        return values


def test_a_divergence_is_reported_at_its_exact_step_without_a_sync_per_step(tmp_path, monkeypatch):
    plan = clockspec.compile(clockspec.loads(DIVERGES))
    seen = []
    original = loop_module.train_members

    def watched(steps, members, start, last):
        seen.append(EveryStep(steps))
        counter = ItemCounter(monkeypatch)
        original(seen[0], members, start, last)
        seen.append(counter.calls)

    monkeypatch.setattr("clockspec.runtime.session.train_members", watched)
    result = run(plan, out=tmp_path, progress=False)
    first_bad, items = seen[0].first_bad, seen[1]
    assert result.status == "diverged"
    assert first_bad is not None and first_bad % loop_module.CHECK_EVERY not in (0, loop_module.CHECK_EVERY - 1)
    assert result.step == first_bad  # the exact step, not the check that found it
    status = json.loads((result.run_dir / "status.json").read_text())
    assert status["step"] == first_bad and f"at step {first_bad}" in status["reason"]
    assert items < first_bad / 4  # probes and checks read the host, not every step
