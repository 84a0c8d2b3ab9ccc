"""Issue 30, item 5: a run's status.json ends in a final state at the step it reached, however
its training stops (a full disk, a refused --resume, Ctrl-C while it is built, a divergence
at step 0), and says how far a run is at its probes, not only at its checkpoints."""
from __future__ import annotations

import errno
import json

import pytest

import clockspec
import clockspec.runtime.member as member
from clockspec.core.errors import RunError
from clockspec.runtime import run
from clockspec.runtime.batched import run_batch
from clockspec.store.objects import object_dir
from tiny import tiny_spec


def plan_of(name: str = "fs-tiny", steps: int = 100, seed: int = 0):
    return clockspec.compile(clockspec.loads(tiny_spec(name, steps=steps, head=f"seed: {seed}\n")))


def status_of(out, plan) -> dict:
    return json.loads((object_dir(out, plan.train_hash) / "status.json").read_text())


def full_from(monkeypatch, step: int) -> None:
    """The disk fills when the row of `step` is written (a write names no file, as the OS's)."""
    line = member.row_line

    def row_line(row):
        if row.get("step") == step and "train_loss" in row:
            raise OSError(errno.ENOSPC, "No space left on device")
        return line(row)

    monkeypatch.setattr(member, "row_line", row_line)


def test_a_full_disk_records_failed_at_the_step_reached_and_names_the_file(tmp_path, monkeypatch):
    plan = plan_of()
    full_from(monkeypatch, 40)
    with pytest.raises(RunError, match="metrics.jsonl: No space left on device"):
        run(plan, out=tmp_path, progress=False)
    status = status_of(tmp_path, plan)
    assert (status["status"], status["step"]) == ("failed", 40)
    assert status["reason"].endswith("metrics.jsonl: No space left on device")


def test_a_full_disk_at_a_checkpoint_records_the_step_reached_not_the_last_checkpoint(tmp_path, monkeypatch):
    plan = plan_of()
    write = member.MemberRun.checkpoint

    def checkpoint(self, step):
        if step == 64:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.rd / "checkpoint.pt"))
        write(self, step)

    monkeypatch.setattr(member.MemberRun, "checkpoint", checkpoint)
    with pytest.raises(RunError, match="checkpoint.pt: No space left on device"):
        run(plan, out=tmp_path, progress=False, checkpoint_every=0)
    status = status_of(tmp_path, plan)
    assert (status["status"], status["step"]) == ("failed", 64)  # the checkpoint kept is step 32's


def test_a_full_disk_fails_every_member_of_a_batch_at_its_step(tmp_path, monkeypatch):
    plans = [plan_of("fs-batch", seed=s) for s in (0, 1, 2)]
    full_from(monkeypatch, 40)
    with pytest.raises(RunError, match="No space left on device"):
        run_batch(plans, out=tmp_path)
    assert [(d["status"], d["step"]) for d in (status_of(tmp_path, p) for p in plans)] == [("failed", 40)] * 3


def test_the_status_says_how_far_at_probes(tmp_path, monkeypatch):
    plan, seen = plan_of(), {}
    monkeypatch.setattr(member, "PROGRESS_EVERY_S", -1.0, raising=False)  # every probe; by default at most once a second
    record = member.MemberRun.record

    def spy(self, row):
        if row["step"] == 50:
            seen.update(json.loads((self.rd / "status.json").read_text()))
        return record(self, row)

    monkeypatch.setattr(member.MemberRun, "record", spy)
    run(plan, out=tmp_path, progress=False)  # no checkpoint in so short a run
    assert (seen["status"], seen["step"]) == ("running", 40)
    assert status_of(tmp_path, plan)["status"] == "complete"


def unfinished(out, plan, checkpoint: bytes) -> None:
    """The object of `plan`, interrupted at step 40 with this checkpoint."""
    obj = object_dir(out, plan.train_hash)
    obj.mkdir(parents=True)
    (obj / "status.json").write_text(json.dumps({"status": "interrupted", "step": 40, "steps": 100, "reason": "",
                                                 "train_hash": plan.train_hash, "wall_s": 1.5}))
    (obj / "checkpoint.pt").write_bytes(checkpoint)


@pytest.mark.parametrize("checkpoint", [b"not a checkpoint", b"\x80\x04\x95"], ids=["text", "cut pickle"])
def test_a_refused_resume_leaves_a_final_status_at_its_step(tmp_path, checkpoint):
    plan = plan_of()
    unfinished(tmp_path, plan, checkpoint)
    with pytest.raises(RunError, match="cannot read the checkpoint"):
        run(plan, out=tmp_path, progress=False, resume=True)
    status = status_of(tmp_path, plan)
    assert (status["status"], status["step"]) == ("failed", 40)
    assert "cannot read the checkpoint" in status["reason"]
    with pytest.raises(RunError, match=r"unfinished run \(failed at step 40\)"):
        run(plan, out=tmp_path, progress=False)  # what the next plain run says of it


def test_ctrl_c_while_the_model_is_built_leaves_interrupted(tmp_path, monkeypatch):
    plan = plan_of()

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr("clockspec.runtime.session.Stacked", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(plan, out=tmp_path, progress=False)
    status = status_of(tmp_path, plan)
    assert (status["status"], status["step"]) == ("interrupted", 0)


def test_members_diverging_at_step_0_in_a_batch_end_diverged(tmp_path):
    plans = [clockspec.compile(clockspec.loads(tiny_spec("fs-dv", steps=20, head=f"seed: {s}\n").replace(
        "embed_dim: 8,", "embed_dim: 8, init_scale: 1e30,"))) for s in (0, 1)]
    results = run_batch(plans, out=tmp_path)
    assert [(r.status, r.step) for r in results] == [("diverged", 0)] * 2
    assert [(d["status"], d["step"]) for d in (status_of(tmp_path, p) for p in plans)] == [("diverged", 0)] * 2
