"""vary.refine's rounds, with a runner that decides each member's phase from its values
(the executor is a black box to the refinement, so any function of the member serves)."""
from __future__ import annotations

import math

import pytest

from clockspec.families import lattice
from clockspec.families.refine import refine
from clockspec.ir.spec import Family

BASE = {"name": "base", "task": {"kind": "modular", "modulus": 7, "train_fraction": 0.5},
        "model": {"kind": "embed_mlp", "embed_dim": 4, "hidden": [8]},
        "regularizers": {"weight_decay": {"strength": 1.0}}, "train": {"steps": 20}, "probes": {"every": 2},
        "clocks": {"memorize": "first train_acc >= 0.95", "generalize": "first test_acc >= 0.95"}}
WD, FRAC = "regularizers.weight_decay.strength", "task.train_fraction"


def family(**refine_options) -> Family:
    region = {"x": {"path": WD, "low": 0.01, "high": 100.0, "scale": "log"},
              "y": {"path": FRAC, "low": 0.2, "high": 0.8}, "coarse": 3, "levels": 3, **refine_options}
    return Family.model_validate({"family": "f", "base": BASE, "vary": {"refine": region}})


def boundary(member) -> str:
    """Grokking above a line in (log wd, frac), memorisation below it; seed 2 disagrees."""
    wd, frac = member.assignment[WD], member.assignment[FRAC]
    above = math.log10(wd) + 4 * (frac - 0.5) > 0.3
    if member.assignment.get("seed") == 2:
        above = not above
    return "grokking" if above else "memorization"


class Runner:
    def __init__(self, decide=boundary, stop_at_round: int | None = None):
        self.decide, self.stop_at_round, self.rounds, self.trained = decide, stop_at_round, 0, []

    def __call__(self, exp):
        if self.rounds == self.stop_at_round:
            return None
        self.rounds += 1
        self.trained.append(len(exp.members))
        return {m.name: self.decide(m) for m in exp.members}


def test_only_cells_whose_corners_disagree_are_split():
    diagram = refine(family(), Runner())
    assert diagram.stopped_by == "resolution"
    size = family().vary.refine.size  # 17 x 17
    assert len(diagram.points) < size * size / 2
    assert set(lattice.coarse(family().vary.refine)) <= set(diagram.points)
    truth = {(i, j): "grokking" if math.log10(diagram.xs[i]) + 4 * (diagram.ys[j] - 0.5) > 0.3 else "memorization"
             for i in range(size) for j in range(size)}
    assert all(diagram.phase_at[p] == truth[p] for p in diagram.points)
    # every finest cell that straddles the line was sampled at all four corners
    for (i, j) in truth:
        if i + 1 < size and j + 1 < size:
            corners = [(i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)]
            if len({truth[c] for c in corners}) > 1:
                assert any(c in diagram.phase_at for c in corners)


def test_the_same_spec_and_phases_give_the_same_points():
    first, second = refine(family(), Runner()), refine(family(), Runner())
    assert first.points == second.points and first.phase_at == second.phase_at


def test_one_phase_everywhere_stops_after_the_coarse_grid():
    diagram = refine(family(), Runner(lambda m: "confusion"))
    assert diagram.stopped_by == "agreement" and len(diagram.points) == 9


def test_the_budget_counts_members_and_is_never_passed():
    diagram = refine(family(budget=30, seeds=[0, 1]), Runner())
    assert diagram.members <= 30 and diagram.stopped_by == "budget"
    assert diagram.members == 2 * len(diagram.points)


def test_each_point_takes_its_seeds_majority_and_a_tie_is_mixed():
    diagram = refine(family(seeds=[0, 1, 2], levels=1), Runner())
    for point, seeds in diagram.seed_phases.items():
        assert len(seeds) == 3 and diagram.phase_at[point] == max(set(seeds), key=seeds.count)
    assert lattice.point_phase(["grokking", "memorization"]) == lattice.MIXED
    assert lattice.point_phase(["grokking", lattice.FAILED, lattice.FAILED]) == "grokking"
    assert lattice.point_phase([lattice.FAILED]) == lattice.FAILED


def test_an_interrupted_refinement_resumes_to_the_same_diagram():
    whole = refine(family(), Runner())
    cut = refine(family(), Runner(stop_at_round=2))
    assert cut.interrupted and len(cut.points) < len(whole.points)
    again = refine(family(), Runner())
    assert again.points == whole.points and again.phase_at == whole.phase_at


def test_each_round_hands_over_every_point_so_far():
    runner = Runner()
    diagram = refine(family(seeds=[0, 1]), runner)
    assert runner.trained == sorted(runner.trained)  # cumulative
    assert runner.trained[-1] == 2 * len(diagram.points)


@pytest.mark.parametrize("levels, size", [(0, 3), (2, 9), (3, 17)])
def test_the_lattice_is_the_coarse_grid_halved_levels_times(levels, size):
    spec = family(levels=levels).vary.refine
    xs, ys = lattice.axis_values(spec)
    assert len(xs) == len(ys) == size
    assert xs[0] == 0.01 and xs[-1] == 100.0 and xs[(size - 1) // 2] == 1.0  # log: the middle is the geometric mean
    assert ys[(size - 1) // 2] == 0.5


def test_values_that_round_alike_are_refused():
    region = {"x": {"path": WD, "low": 1.0, "high": 1.0001}, "y": {"path": FRAC, "low": 0.2, "high": 0.8},
              "coarse": 3, "levels": 3}
    assert "round to repeated values" in lattice.distinct_values(Family.model_validate(
        {"family": "f", "base": BASE, "vary": {"refine": region}}).vary.refine)
