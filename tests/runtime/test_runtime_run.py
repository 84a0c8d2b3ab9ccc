"""Tiny real runs through `clockspec.runtime.run`: clocks, files, resume, divergence, reuse."""
import json

import pytest
import torch

import clockspec
from clockspec.core.run_names import run_dir_name
from clockspec.runtime import run
from clockspec.runtime.metrics import Prober
from interrupts import ctrl_c_at

torch.set_num_threads(1)

GROKS = """\
name: tiny-grok
task: {kind: modular, op: add, modulus: 23, train_fraction: 0.9}
model: {kind: embed_mlp, embed_dim: 32, hidden: [64]}
regularizers: {weight_decay: {strength: 1.0}}
optimizer: {kind: adamw, lr: 0.01}
train: {steps: 800}
probes: {every: 10, metrics: [weight_norm, pattern_flips]}
clocks:
  fit: first train_loss <= 0.1
  memorize: first train_acc >= 0.99
  generalize: first test_acc >= 0.99
  simplify: settle weight_norm within 5% after generalize
stop: {after: [generalize], patience: 100}
"""

MINIBATCH = """\
name: tiny-batches
seed: 3
task: {kind: modular, op: sub, modulus: 11, train_fraction: 0.7}
model: {kind: mlp, hidden: [16]}
regularizers: {weight_decay: {strength: 0.1}}
optimizer: {kind: adam, lr: 0.01}
train: {steps: 120, batch: 16}
probes: {every: 10, metrics: [pattern_flips, margin]}
clocks:
  memorize: first train_acc >= 0.9
"""


def plan_of(text, **edits):
    for old, new in edits.items():
        text = text.replace(old, new)
    return clockspec.compile(clockspec.loads(text))


@pytest.fixture(scope="module")
def grokked(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    plan = plan_of(GROKS)
    return plan, out, run(plan, out=out, progress=False)


def rows_of(result):
    return [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]


def test_a_tiny_run_fits_groks_and_stops(grokked):
    plan, out, result = grokked
    rows = rows_of(result)
    assert result.action == "trained" and result.status == "complete"
    assert rows[-1]["train_loss"] < rows[0]["train_loss"] / 100
    c = result.clocks
    assert all(clock.reached for clock in c.values()), c
    assert c["memorize"].step <= c["generalize"].step <= c["simplify"].step
    assert c["fit"].step < c["generalize"].step
    # stop after generalize plus 100 steps of patience, well before the 800 planned
    assert result.step == rows[-1]["step"] == c["generalize"].step + 100 < 800


def test_the_run_directory_holds_exactly_the_designed_files(grokked):
    plan, out, result = grokked
    assert result.view == out / f"tiny-grok-{plan.train_hash[:12]}"
    assert result.run_dir == out / ".objects" / plan.train_hash
    assert sorted(p.name for p in result.run_dir.iterdir()) == sorted(
        ["spec.lock.yaml", "plan.json", "metrics.jsonl", "times.jsonl", "clocks.json", "status.json", "curves.png"])
    # the name is a view: what its spec asks for, pointing at the object
    assert sorted(p.name for p in result.view.iterdir()) == sorted(
        ["view.json", "spec.lock.yaml", "plan.json", "clocks.json", "curves.png"])
    assert json.loads((result.view / "view.json").read_text())["train_hash"] == plan.train_hash
    for name in ("clocks.json", "curves.png", "spec.lock.yaml"):
        assert (result.view / name).read_bytes() == (result.run_dir / name).read_bytes()
    assert clockspec.loads((result.run_dir / "spec.lock.yaml").read_text()) == plan.spec
    assert json.loads((result.run_dir / "plan.json").read_text())["train_hash"] == plan.train_hash
    status = json.loads((result.run_dir / "status.json").read_text())
    assert (status["status"], status["step"], status["device"]) == ("complete", result.step, "cpu")
    clocks = json.loads((result.run_dir / "clocks.json").read_text())
    assert clocks["status"] == "complete" and clocks["probe_options"] == {"flip_band": 0.0}
    assert {n: (d["step"], d["reached"]) for n, d in clocks["clocks"].items()} == \
        {n: (r.step, r.reached) for n, r in result.clocks.items()}
    assert (result.run_dir / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rows_hold_exactly_the_plans_metrics(grokked):
    plan, out, result = grokked
    rows = rows_of(result)
    assert all(list(row) == ["step", *plan.metrics] for row in rows)
    assert [r["step"] for r in rows] == [s for s in plan.probe_steps() if s <= result.step]
    assert rows[0]["pattern_flips"] is None and rows[1]["pattern_flips"] > 0


def test_a_finished_run_is_reused_and_changed_clocks_are_reevaluated(grokked):
    plan, out, result = grokked
    again = run(plan, out=out, progress=False)
    assert again.action == "reused" and again.clocks == result.clocks
    looser = plan_of(GROKS, **{"train_loss <= 0.1": "train_loss <= 1.5", "within 5%": "within 20%"})
    assert looser.train_hash == plan.train_hash  # stop clocks unchanged: same training
    changed = run(looser, out=out, progress=False)
    assert changed.action == "reevaluated" and "re-evaluated 4 clocks" in changed.note
    assert changed.clocks["fit"].step < result.clocks["fit"].step
    assert changed.clocks["simplify"].step <= result.clocks["simplify"].step
    assert changed.clocks["generalize"] == result.clocks["generalize"]
    recorded = json.loads((changed.view / "clocks.json").read_text())["clocks"]
    assert recorded["fit"]["expr"] == "first train_loss <= 1.5"
    assert run(looser, out=out, progress=False).action == "reused"


def test_a_clock_only_change_leaves_the_stored_run_byte_identical(grokked):
    plan, out, result = grokked
    stored = {p: p.read_bytes() for p in result.run_dir.rglob("*") if p.is_file()}
    looser = plan_of(GROKS, **{"train_loss <= 0.1": "train_loss <= 1.5"})
    changed = run(looser, out=out, progress=False)
    assert changed.view == result.view and changed.run_dir == result.run_dir
    assert changed.clocks["fit"].step < result.clocks["fit"].step
    shown = json.loads((result.view / "clocks.json").read_text())["clocks"]["fit"]["expr"]
    assert shown == "first train_loss <= 1.5"  # the view shows the set its spec asks for
    back = run(plan, out=out, progress=False)  # the plain spec again: its own record, nothing evaluated
    assert back.action == "reused" and back.clocks == result.clocks
    assert json.loads((result.view / "clocks.json").read_text())["clocks"]["fit"]["expr"] == "first train_loss <= 0.1"
    after = {p: p.read_bytes() for p in result.run_dir.rglob("*") if p.is_file()}
    new = sorted(p.relative_to(result.run_dir).as_posix() for p in after if p not in stored)
    assert len(new) == 2 and all(n.startswith("clocks/") for n in new)  # the second set's record and figure
    assert {p: after[p] for p in stored} == stored


def test_same_seed_same_metrics_and_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    plan = plan_of(MINIBATCH)
    whole = run(plan, out=tmp_path / "a", progress=False)
    again = run(plan, out=tmp_path / "b", progress=False)
    expected = (whole.run_dir / "metrics.jsonl").read_bytes()
    assert (again.run_dir / "metrics.jsonl").read_bytes() == expected

    stop_pressing = ctrl_c_at(monkeypatch, 50)
    cut = run(plan, out=tmp_path / "c", progress=False)
    assert (cut.status, cut.step) == ("interrupted", 51)
    assert (cut.run_dir / "checkpoint.pt").exists()
    assert json.loads((cut.run_dir / "status.json").read_text())["status"] == "interrupted"
    stop_pressing()
    with pytest.raises(clockspec.RunError, match="unfinished run"):
        run(plan, out=tmp_path / "c", progress=False)
    with open(cut.run_dir / "metrics.jsonl", "a") as fh:
        fh.write('{"step": 60, "train_lo')  # a torn last line, as a crash would leave
    resumed = run(plan, out=tmp_path / "c", resume=True, progress=False)
    assert (resumed.action, resumed.status, resumed.step) == ("resumed", "complete", 120)
    assert (resumed.run_dir / "metrics.jsonl").read_bytes() == expected
    assert resumed.clocks == whole.clocks
    assert not (resumed.run_dir / "checkpoint.pt").exists()


def test_a_crashed_run_resumes_from_its_last_periodic_checkpoint(tmp_path, monkeypatch):
    plan = plan_of(MINIBATCH)
    expected = (run(plan, out=tmp_path / "a", progress=False).run_dir / "metrics.jsonl").read_bytes()
    measure = Prober.__call__

    def crash_at_90(self, step):
        if step == 90:
            raise MemoryError("simulated")
        return measure(self, step)

    monkeypatch.setattr(Prober, "__call__", crash_at_90)
    with pytest.raises(clockspec.RunError, match="out of memory on cpu at step"):
        run(plan, out=tmp_path / "b", progress=False, checkpoint_every=0.0)
    run_dir = tmp_path / "b" / ".objects" / plan.train_hash
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "failed" and status["reason"] == "out of memory (MemoryError: simulated)"
    monkeypatch.setattr(Prober, "__call__", measure)
    with pytest.raises(clockspec.RunError, match=r"unfinished run \(failed at step"):
        run(plan, out=tmp_path / "b", progress=False)
    resumed = run(plan, out=tmp_path / "b", resume=True, progress=False)  # from step 64
    assert (run_dir / "metrics.jsonl").read_bytes() == expected and resumed.status == "complete"
    assert "resumed steps 64..120" in resumed.note


@pytest.mark.parametrize("damage", [b"", b"not a checkpoint" * 8, b"PK\x03\x04" + b"x" * 64])
def test_an_unreadable_checkpoint_is_a_clear_error_and_force_starts_over(tmp_path, damage):
    plan = plan_of(MINIBATCH, **{"steps: 120": "steps: 20"})
    rd = tmp_path / run_dir_name("tiny-batches", plan.train_hash)
    rd.mkdir()
    (rd / "status.json").write_text(json.dumps({"status": "interrupted", "step": 10, "train_hash": plan.train_hash}))
    (rd / "checkpoint.pt").write_bytes(damage)
    with pytest.raises(clockspec.RunError, match="cannot read the checkpoint") as info:
        run(plan, out=tmp_path, resume=True, progress=False)
    assert info.value.exit_status == 3 and "--force" in info.value.diagnostic.hint
    assert run(plan, out=tmp_path, force=True, progress=False).status == "complete"


def test_a_non_finite_loss_ends_the_run_as_diverged(tmp_path):
    plan = plan_of("""\
name: blows-up
task: {kind: teacher, inputs: 8, classes: 3, rank: 2, train_size: 64, test_size: 16}
model: {kind: deep_linear, depth: 4, width: 16, init_scale: 3.0}
optimizer: {kind: sgd, lr: 50.0}
train: {steps: 200, loss: mse_half_sum}
probes: {every: 1, metrics: [weight_norm]}
clocks:
  early: first train_loss >= 0
  settled: settle weight_norm within 1%
""")
    result = run(plan, out=tmp_path, progress=False)
    status = json.loads((result.run_dir / "status.json").read_text())
    assert result.status == status["status"] == "diverged" and 0 < result.step < 200
    assert "step" in status["reason"] and status["step"] == result.step
    assert result.clocks["early"].reached and result.clocks["early"].step == 0
    assert not result.clocks["settled"].reached  # no final value to settle to
    assert rows_of(result)[-1]["step"] == result.step - 1
    assert run(plan, out=tmp_path, progress=False).action == "reused"


def test_force_retrains(tmp_path):
    plan = plan_of(MINIBATCH, **{"steps: 120": "steps: 20"})
    run(plan, out=tmp_path, progress=False)
    assert run(plan, out=tmp_path, force=True, progress=False).action == "trained"


def test_a_device_override_is_its_own_run_not_a_reuse(tmp_path):
    plan = plan_of(MINIBATCH, **{"steps: 120": "steps: 20"})  # device: auto
    first = run(plan, out=tmp_path, progress=False)
    on_cpu = run(plan, out=tmp_path, device="cpu", progress=False)
    assert on_cpu.action == "trained" and on_cpu.run_dir != first.run_dir
    assert "device: cpu" in (on_cpu.run_dir / "spec.lock.yaml").read_text()
    assert run(plan, out=tmp_path, device="cpu", progress=False).action == "reused"


def test_a_missing_device_is_a_spec_error(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(clockspec.SpecError, match="not available"):
        run(plan_of(MINIBATCH), out=tmp_path, device="cuda:0", progress=False)


@pytest.mark.slow
def test_the_quickstart_groks_with_its_clocks_in_order(tmp_path):
    from pathlib import Path

    spec = clockspec.load(Path(__file__).resolve().parents[2] / "specs" / "quickstart.yaml")
    result = run(spec.compile(), out=tmp_path, progress=False)
    c = result.clocks
    assert result.status == "complete" and result.step < spec.train.steps  # the stop clocks fired
    assert all(clock.reached for clock in c.values()), c
    assert c["memorize"].step < c["fit"].step < c["generalize"].step < c["simplify"].step
    assert c["generalize"].step > 10 * c["memorize"].step  # grokking: a long wait between the two
    assert c["freeze"].step < c["generalize"].step


def test_a_longer_run_extends_the_stored_one_byte_for_byte(tmp_path):
    whole = run(plan_of(MINIBATCH), out=tmp_path / "scratch", progress=False)
    short = run(plan_of(MINIBATCH, **{"steps: 120": "steps: 55"}), out=tmp_path / "b", progress=False)
    assert short.step == 55 and (short.run_dir / "final.pt").exists()  # its last step, not a probe of the longer run
    stored = {p: p.read_bytes() for p in short.run_dir.rglob("*") if p.is_file()}
    longer = run(plan_of(MINIBATCH), out=tmp_path / "b", progress=False)
    assert longer.action == "extended" and "resumed steps 55..120" in longer.note, longer.note
    assert longer.run_dir != short.run_dir and longer.run_dir.name == whole.run_dir.name
    assert (longer.run_dir / "metrics.jsonl").read_bytes() == (whole.run_dir / "metrics.jsonl").read_bytes()
    assert longer.clocks == whole.clocks and (longer.status, longer.step) == ("complete", 120)
    assert json.loads((longer.run_dir / "extends.json").read_text()) == {"train_hash": short.run_dir.name, "step": 55}
    assert {p: p.read_bytes() for p in short.run_dir.rglob("*") if p.is_file()} == stored  # the stored run unchanged


def test_a_schedule_over_the_total_makes_a_longer_run_a_new_program(tmp_path):
    cosine = {"lr: 0.01}": "lr: 0.01, schedule: cosine}"}
    short = run(plan_of(MINIBATCH, **cosine, **{"steps: 120": "steps: 50"}), out=tmp_path, progress=False)
    assert not (short.run_dir / "final.pt").exists()  # nothing to continue from: not kept
    assert run(plan_of(MINIBATCH, **cosine), out=tmp_path, progress=False).action == "trained"


def test_a_failed_write_to_a_view_leaves_the_finished_run_as_it_was(grokked, monkeypatch):
    import errno

    import clockspec.runtime.results as results

    plan, out, result = grokked
    status = (result.run_dir / "status.json").read_bytes()

    def full(view, *_):
        raise OSError(errno.ENOSPC, "No space left on device", str(view / "view.json"))

    monkeypatch.setattr(results, "write_view", full)
    with pytest.raises(clockspec.RunError, match="No space left on device"):
        run(plan, out=out, progress=False)
    assert (result.run_dir / "status.json").read_bytes() == status
