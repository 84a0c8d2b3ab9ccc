"""The torch.compile'd stacked step (`train.compile`, runtime/compiled.py): its own train
hash, and one trajectory per hash still: a member of a compiled batch, early stops and the
deferred compaction of the stack included, writes the bytes of the same spec compiled alone."""
import json

import pytest
import torch
from torch._dynamo.exc import TorchDynamoException

import clockspec
from clockspec.commands.main import main
from clockspec.runtime import run
from clockspec.runtime.stacked import Stacked
from interrupts import cut_and_resume

from .test_one_trajectory import assert_one_trajectory, member_plans

TINY = """\
name: tiny
task: {kind: modular, modulus: 7}
model: {kind: embed_mlp, embed_dim: 8, hidden: [16]}
optimizer: {kind: adamw, lr: 0.01}
train: {steps: 40, compile: COMPILE}
probes: {every: 20}
"""


def tiny(compile_value: str):
    return clockspec.compile(clockspec.loads(TINY.replace("COMPILE", compile_value)))


def compiled(plans):
    """The same members with `train.compile: true`."""
    return [clockspec.compile(p.spec.model_copy(update={"train": p.spec.train.model_copy(update={"compile": True})}))
            for p in plans]


def test_a_compiled_run_is_its_own_program_and_reports_its_compile_time(tmp_path):
    eager, fast = run(tiny("false"), out=tmp_path, progress=False), run(tiny("true"), out=tmp_path, progress=False)
    assert eager.run_dir != fast.run_dir  # another numerical program: another train hash
    assert (fast.status, fast.step) == ("complete", 40)
    status = json.loads((fast.run_dir / "status.json").read_text())
    assert status["compile_s"] > 0 and "torch.compile" in fast.note
    assert "compile_s" not in json.loads((eager.run_dir / "status.json").read_text())


def test_a_compiled_run_resumed_from_its_checkpoint_writes_the_uninterrupted_bytes(tmp_path, monkeypatch):
    plan = tiny("true")
    whole = run(plan, out=tmp_path / "a", progress=False)
    cut, resumed = cut_and_resume(plan, tmp_path / "b", monkeypatch)
    assert (cut.status, cut.step) == ("interrupted", 21)
    assert (resumed.action, resumed.status, resumed.step) == ("resumed", "complete", 40)
    assert (resumed.run_dir / "metrics.jsonl").read_bytes() == (whole.run_dir / "metrics.jsonl").read_bytes()


def test_a_compiled_stack_compiles_once_per_stack_size_and_never_again():
    """Only a call at a new stack size may compile (runtime/compiled.py raises torch's limits
    there alone): the steps between compile nothing."""
    from torch._dynamo.utils import counters

    torch._dynamo.reset()  # nothing compiled by the tests before: each size compiles here
    plan = tiny("true")
    stack = Stacked([plan, plan], torch.device("cpu"), torch.float32)
    before = counters["stats"]["unique_graphs"]
    for t in range(30):
        if t == 20:
            stack.retire([0])  # half the rows: the stack compacts to one
        stack.objective(t)
        stack.backward()
        stack.update(t)
    assert counters["stats"]["unique_graphs"] - before == 2
    assert stack.compiled.sizes == {2, 1}


def test_a_compile_failure_names_the_setting_and_exits_3(tmp_path, monkeypatch, capsys):
    def broken(fn, **options):
        def call(*args):
            raise TorchDynamoException("no C++ compiler found")
        return call

    monkeypatch.setattr("clockspec.runtime.compiled.torch.compile", broken)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY.replace("COMPILE", "true"))
    assert main(["run", "-q", str(spec), "--out", str(tmp_path / "runs")]) == 3
    err = capsys.readouterr().err
    assert "train.compile: error: torch.compile could not compile the training step" in err
    assert "no C++ compiler found" in err and "--set train.compile=false" in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("model, batch", [("embed_mlp", "full"), ("mlp", "16"), ("deep_linear", "full")])
def test_a_member_of_a_compiled_batch_follows_its_compiled_trajectory_alone(tmp_path, model, batch):
    torch.set_num_threads(1)
    assert_one_trajectory(tmp_path, compiled(member_plans(model, batch, steps=200)))


@pytest.mark.slow
def test_members_that_stop_early_stay_in_a_compiled_stack_without_moving_the_others(tmp_path, monkeypatch):
    """Three members stopping at different steps (50, 60, 170): the first one's rows stay in
    the stack (computed, unread) until a second ends, then the stack compacts to one; none
    moves the others."""
    compactions = []
    compact = Stacked._compact
    monkeypatch.setattr(Stacked, "_compact", lambda self: (compactions.append((len(self.rows), len(self.leaving))),
                                                           compact(self)))
    plans = compiled(member_plans("embed_mlp", steps=400, p=11, stop="stop: {after: [fit]}\n"))
    alone = assert_one_trajectory(tmp_path, plans)
    assert len({r.step for r in alone}) == 3
    assert compactions == [(3, 2)]  # the first to stop stayed until the second did
