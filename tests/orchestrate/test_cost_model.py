"""The executor's cost model: stacks when a calibration says they train the family sooner,
one by one when they do not (issue 16, item 3); the choice never changes a result."""
import os

import pytest

from clockspec.families.expand import expand_family
from clockspec.orchestrate import cost, worker
from clockspec.orchestrate.execute import run_family
from tests.orchestrate.test_family_run import BASE
from thread_backend import ThreadBackend


def test_stacks_win_when_the_step_overhead_dominates():
    # 8 members, 2 slots: one member 1 ms per step, a stack of 4 1.5 ms -> 2 rounds of 1.5 ms vs 4 of 1 ms
    assert cost.stack_size(8, 2, {1: 1e-3, 4: 1.5e-3}) == 4


def test_one_by_one_wins_when_a_stack_costs_its_members_steps():
    # the quickstart model on a CPU: a stack of 6 costs more than 6 steps alone
    assert cost.stack_size(12, 2, {1: 2e-3, 6: 13e-3}) == 1


def test_a_near_tie_goes_to_the_smaller_stack():
    assert cost.stack_size(8, 2, {1: 1e-3, 4: 3.9e-3}) == 1
    assert cost.largest_useful(200, 2) == cost.MAX_STACK and cost.largest_useful(3, 4) == 1


def test_the_calibration_measures_real_steps():
    spec = ("name: c\ntask: {kind: modular, modulus: 7}\nmodel: {kind: embed_mlp, embed_dim: 4, hidden: [8]}\n"
            "train: {steps: 100}\n")
    import clockspec

    times = worker.calibrate(worker.payload(clockspec.loads(spec)), [1, 3], 1)
    assert set(times) == {1, 3} and all(0 < t < 1 for t in times.values())


class CalibratedBackend(ThreadBackend):
    def __init__(self, times):
        super().__init__()
        self.times, self.calibrated = times, []

    def calibrate(self, spec, sizes, threads, device):
        self.calibrated.append(sizes)
        return {size: self.times[size] for size in sizes}


@pytest.mark.parametrize("times, jobs", [({1: 1e-3, 2: 1.2e-3}, [2, 2]), ({1: 1e-3, 2: 2.5e-3}, [1, 1, 1, 1])])
def test_the_executor_follows_the_calibration(tmp_path, times, jobs):
    (tmp_path / "base.yaml").write_text(BASE.replace("STEPS", "20"))
    (tmp_path / "fam.yaml").write_text("family: fam\nbase: base.yaml\nvary:\n  grid:\n    seed: [0, 1, 2, 3]\n")
    backend = CalibratedBackend(times)
    outcome = run_family(expand_family(tmp_path / "fam.yaml"), out=tmp_path / "runs", jobs=2,
                         stream=open(os.devnull, "w"), backend_factory=lambda: backend)
    assert outcome.count("complete") == 4
    assert backend.calibrated == [[1, 2]]
    assert sorted(len(job) for job in backend.submitted) == jobs
