"""The executor's strategy (issue 32): the family's wall clock, not one step, decides
between stacks and one by one, from given timings; a calibration runs only where it may
change the choice and pays for itself, on every slot at once; the choice never changes a
result."""
import os

import pytest

from clockspec.families.expand import expand_family
from clockspec.orchestrate import cost, worker
from clockspec.orchestrate.execute import run_family
from tests.orchestrate.test_family_run import BASE
from thread_backend import ThreadBackend


def timing(**step_s):
    return cost.Timing({int(k[1:]): v for k, v in step_s.items()}, "given")


def test_stacks_win_when_the_step_overhead_dominates():
    # 8 members, 2 slots: one member 1 ms per step, a stack of 4 1.5 ms -> 2 rounds of 1.5 ms vs 4 of 1 ms
    choice = cost.choose(8, 2, 100, timing(s1=1e-3, s4=1.5e-3))
    assert choice.size == 4 and choice.alone_s == pytest.approx(0.4) and choice.stacked_s == pytest.approx(0.15)
    assert "stacks of 4" in choice.reason and "given" in choice.reason


def test_one_by_one_wins_when_a_stack_costs_its_members_steps():
    # the quickstart model on a CPU: a stack of 6 costs more than 6 steps alone
    choice = cost.choose(12, 2, 100, timing(s1=2e-3, s6=13e-3))
    assert choice.size == 1 and "not the 95% or less" in choice.reason


def test_stacks_must_gain_the_margin():
    # a stack of 4 saves 2.5% of the family's time: not enough
    assert cost.choose(8, 2, 100, timing(s1=1e-3, s4=3.9e-3)).size == 1
    assert cost.choose(8, 2, 100, timing(s1=1e-3, s4=3.7e-3)).size == 4


def test_the_family_wall_clock_counts_idle_slots():
    # 2 members on 2 slots: a stack of 2 would leave a slot idle, so no stack is considered
    assert cost.largest_useful(2, 2) == 1 and cost.choose(2, 2, 100, timing(s1=1e-3, s2=1e-3)).size == 1
    # 3 members on 2 slots: two rounds alone (2 ms) against one round of stacks of 2 (1.5 ms)
    assert cost.choose(3, 2, 1, timing(s1=1e-3, s2=1.5e-3)).size == 2
    assert cost.largest_useful(200, 2) == cost.MAX_STACK


def test_sizes_between_the_measured_ones_are_interpolated():
    # 9 members, 1 slot, a stack of 9 out of the caches: 5 ms; a line from 1 ms at size 1.
    # Stacks of 3 (3 rounds of 2 ms) beat both one by one (9 ms) and the stack of 9 (5 ms)
    step_s = {1: 1e-3, 9: 5e-3}
    assert cost.step_at(step_s, 3) == pytest.approx(2e-3)
    assert cost.family_seconds(9, 1, 3, step_s, 1) == pytest.approx(6e-3)
    assert cost.choose(9, 1, 1, cost.Timing(step_s, "given")).size == 9
    assert cost.choose(9, 3, 1, cost.Timing(step_s, "given")).size == 3


def test_the_model_decides_alone_where_it_is_decisive_or_the_family_short():
    tiny = cost.modelled(1e4, 8)  # overhead-bound: stacks of 8 predicted ~8x faster
    assert not cost.worth_calibrating(16, 2, 100_000, tiny)
    assert cost.choose(16, 2, 100_000, tiny).size == 8
    middling = cost.modelled(5e6, 8)  # 0.5 ms of arithmetic a member: stacks predicted ~1.8x
    assert cost.worth_calibrating(16, 2, 100_000, middling)
    assert not cost.worth_calibrating(16, 2, 100, middling)  # 0.1 s of training: a calibration cannot pay
    assert not cost.worth_calibrating(2, 2, 100_000, middling)  # nothing to stack
    # the calibration holds up all the family's slots while this group trains on 2 of 200
    assert not cost.worth_calibrating(16, 2, 100_000, middling, jobs=200)


def test_the_model_alone_must_predict_a_larger_gain_than_a_calibration():
    # the quickstart model, 12 members on 2 slots: the model predicts stacks of 6 ~6% faster,
    # which a calibration's measurement would take and the model alone does not
    model = cost.modelled(6.76e7, 6)
    assert cost.choose(12, 2, 1000, model).size == 1
    assert cost.choose(12, 2, 1000, cost.Timing(model.step_s, "measured")).size == 6


def test_a_calibration_takes_the_median_of_every_slot_s_samples():
    # one slot's second sample caught a burst of load: the median ignores it
    results = [{"step_s": {1: [1e-3, 9e-3, 1.1e-3], 4: [2e-3, 2.1e-3, 2e-3]}, "seconds": 0.4},
               {"step_s": {1: [1.2e-3, 1e-3, 1e-3], 4: [2.2e-3, 2e-3, 9e-3]}, "seconds": 0.6}]
    calibrated = cost.calibrated(results)
    assert calibrated.step_s == {1: pytest.approx(1.05e-3), 4: pytest.approx(2.05e-3)}
    assert "2 slot(s)" in calibrated.source and "0.6 s" in calibrated.source


def test_the_calibration_measures_real_steps_interleaved():
    spec = ("name: c\ntask: {kind: modular, modulus: 7}\nmodel: {kind: embed_mlp, embed_dim: 4, hidden: [8]}\n"
            "train: {steps: 100}\n")
    import clockspec

    result = worker.calibrate(worker.payload(clockspec.loads(spec)), [1, 3], 1)
    assert set(result["step_s"]) == {1, 3} and result["seconds"] > 0
    assert all(len(samples) == cost.CALIBRATION_ROUNDS and all(0 < t < 1 for t in samples)
               for samples in result["step_s"].values())


class CalibratedBackend(ThreadBackend):
    def __init__(self, times):
        super().__init__()
        self.times, self.calibrated = times, []

    def calibrate(self, spec, sizes, threads, device):
        self.calibrated.append(sizes)
        return {"step_s": {size: [self.times[size]] for size in sizes}, "seconds": 0.1}


@pytest.mark.parametrize("times, jobs", [({1: 1e-3, 2: 1.2e-3}, [2, 2]), ({1: 1e-3, 2: 2.5e-3}, [1, 1, 1, 1])])
def test_the_executor_follows_a_calibration_on_every_slot(tmp_path, monkeypatch, times, jobs):
    monkeypatch.setattr(cost, "CALIBRATION_SHARE", float("inf"))  # calibrate however short the family
    (tmp_path / "base.yaml").write_text(BASE.replace("STEPS", "20"))
    (tmp_path / "fam.yaml").write_text("family: fam\nbase: base.yaml\nvary:\n  grid:\n    seed: [0, 1, 2, 3]\n")
    backend = CalibratedBackend(times)
    outcome = run_family(expand_family(tmp_path / "fam.yaml"), out=tmp_path / "runs", jobs=2,
                         stream=open(os.devnull, "w"), backend_factory=lambda: backend)
    assert outcome.count("complete") == 4
    assert backend.calibrated == [[], [], [1, 2], [1, 2]]  # every slot started, then calibrated
    assert sorted(len(job) for job in backend.submitted) == jobs


@pytest.mark.parametrize("share, said", [(cost.CALIBRATION_SHARE, None), (float("inf"), "! calibrating a stack of 2 failed")])
def test_a_short_family_or_a_failed_calibration_leaves_the_choice_to_the_model(tmp_path, monkeypatch, share, said):
    monkeypatch.setattr(cost, "CALIBRATION_SHARE", share)
    (tmp_path / "base.yaml").write_text(BASE.replace("STEPS", "20"))
    (tmp_path / "fam.yaml").write_text("family: fam\nbase: base.yaml\nvary:\n  grid:\n    seed: [0, 1, 2, 3]\n")
    backend = CalibratedBackend({})  # a calibration raises KeyError
    board = tmp_path / "board.txt"
    with open(board, "w") as stream:
        run_family(expand_family(tmp_path / "fam.yaml"), out=tmp_path / "runs", jobs=2, stream=stream,
                   backend_factory=lambda: backend)
    text = board.read_text()
    assert bool(backend.calibrated) == bool(said)
    assert (said or "(the plan's cost model)") in text and "(the plan's cost model)" in text
    assert sorted(len(job) for job in backend.submitted) == [2, 2]  # the tiny model's step is all overhead
